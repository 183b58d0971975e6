#!/usr/bin/env node
// Lists every locked package whose `engines.node` this Node does not satisfy: what `npm ci` prints
// as `npm warn EBADENGINE`. Exit 1 when there is any (CI: .ci/run). Reads only the lockfile, so it
// also checks a checkout whose node_modules was installed earlier.
'use strict';
const { join } = require('node:path');
// semver comes with the installed dev tools (jest, typescript-eslint, npm itself use it).
const semver = require('semver');

const lock = require(join(__dirname, '..', 'package-lock.json'));
const bad = Object.entries(lock.packages ?? {}).filter(
  ([path, p]) => path && !p.optional && p.engines?.node && !semver.satisfies(process.version, String(p.engines.node), { includePrerelease: true }),
);
for (const [path, p] of bad) {
  process.stdout.write(`EBADENGINE ${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${p.engines.node}, this is ${process.version}\n`);
}
if (bad.length) process.exit(1);
