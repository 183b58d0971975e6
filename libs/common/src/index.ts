export * from './errors';
export * from './gateway-config';
export * from './secrets';
export * from './personal-data-cipher';
export * from './logging';
