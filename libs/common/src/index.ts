export * from './errors';
export * from './gateway-config';
export * from './secrets';
export * from './personal-data-cipher';
export * from './logging';
export * from './heap-pacer';
export * from './foreground-work';
export * from './text-slices';
