export * from './dispatcher';
export * from './dispatch.module';
export * from './wake-signal';
export * from './parked.controller';
