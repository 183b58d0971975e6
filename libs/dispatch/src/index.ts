export * from './dispatcher';
export * from './dispatch.module';
export * from './wake-signal';
export * from './parked.controller';
export * from './dispatch-waker';
export * from './dispatch-status.controller';
export * from './licence-registry';
