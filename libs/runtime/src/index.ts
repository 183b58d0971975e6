export * from './bootstrap';
export * from './nest-app';
export * from './split-apps';
export * from './logger';
export * from './disk-space';
export * from './config-fingerprint';
