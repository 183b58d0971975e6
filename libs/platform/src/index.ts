export * from './signing';
export * from './platform-port';
export * from './national/business-codes';
export * from './national/national-platform.mapper';
export * from './national/platform-http.client';
export * from './national/national-platform.adapter';
