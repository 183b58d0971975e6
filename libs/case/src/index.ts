export * from './stages';
export * from './stage-machine';
export * from './identifiers';
export * from './masking';
export * from './codes';
export * from './canonical-event';
export * from './validate-event';
export * from './beijing-time';
