export * from './department-adapter';
export * from './adapter-registry';
export * from './mapping-helpers';
