export * from './catalogue.types';
export * from './catalogue';
export * from './holidays';
export * from './licence-types';
