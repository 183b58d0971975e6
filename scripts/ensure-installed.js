#!/usr/bin/env node
// Lets `npm start` and `npm test` work on a fresh clone with nothing but Node and npm:
// checks the Node version against package.json's engines, then installs the locked dependencies
// when they are missing or older than the lockfile. The install's output is also written to
// test-artifacts/install.log (CI fails on any engine warning there: see .ci/run).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** `>=20.19` → [20, 19, 0]; the only form package.json uses. */
function minimumNode(range) {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}

function olderThan(version, min) {
  const v = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) < min[i];
  return false;
}

const wanted = require(join(root, 'package.json')).engines?.node;
const min = wanted && minimumNode(wanted);
if (min && olderThan(process.version, min)) {
  process.stderr.write(
    `\nNode.js 版本过低：当前 ${process.version}，本网关需要 ${wanted}。请安装 Node.js ${min.join('.')} 或更新版本（如 20 LTS 的最新版）后重试。\n` +
      `Node.js is too old: this is ${process.version}, the gateway needs ${wanted}. Install Node.js ${min.join('.')} or newer and try again.\n\n`,
  );
  process.exit(1);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  process.stdout.write('正在安装依赖 installing dependencies (npm ci) …\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  try {
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'install.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
  } catch {
    // only a record for CI; the install itself matters
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
