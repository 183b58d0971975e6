#!/usr/bin/env node
// Lets `npm start` and `npm test` work on a fresh clone with nothing but Node and npm:
// installs the locked dependencies when they are missing or older than the lockfile.
'use strict';
const { execSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  process.stdout.write('正在安装依赖 installing dependencies (npm ci) …\n');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
