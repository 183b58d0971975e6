export * from './catalogue.types';
export * from './catalogue';
