export * from './catalogue.types';
export * from './catalogue';
export * from './holidays';
