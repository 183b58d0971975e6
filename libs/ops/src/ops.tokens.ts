export const OPS_CONFIG = Symbol('OPS_CONFIG');
