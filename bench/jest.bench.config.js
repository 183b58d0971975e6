// Benchmarks written as jest files (they need the #gw/* sources as the tests do); not part of `npm test`.
const base = require('../jest.config.js');
const e2e = base.projects.find((p) => p.displayName === 'e2e');
module.exports = { ...e2e, rootDir: '..', displayName: 'bench', testMatch: ['<rootDir>/bench/**/*.bench-spec.ts'], testTimeout: 1_800_000 };
