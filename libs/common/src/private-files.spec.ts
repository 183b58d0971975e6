import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from './private-files';

describe('ensurePrivateDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gw-private-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the folder, or tightens an existing one, to the owner only', () => {
    ensurePrivateDir(join(root, 'new', 'data'));
    expect(statSync(join(root, 'new', 'data')).mode & 0o7777).toBe(0o700);
    mkdirSync(join(root, 'open'), { mode: 0o755 });
    ensurePrivateDir(join(root, 'open'));
    expect(statSync(join(root, 'open')).mode & 0o7777).toBe(0o700);
  });

  it('leaves a shared (sticky) folder such as /tmp open to the others it serves', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    ensurePrivateDir(shared);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });
});
