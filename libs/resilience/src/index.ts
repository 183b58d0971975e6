export * from './rate-limiter';
export * from './backoff';
export * from './breaker-registry';
export * from './claim-loop';
export * from './keyed-token-buckets';
export * from './retry-after';
