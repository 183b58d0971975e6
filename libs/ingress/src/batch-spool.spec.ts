import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCutOffSpools } from './batch-ingest.service';

describe('removeCutOffSpools', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes spooled files older than the limit and keeps younger ones and other files', () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of ['old.batch', 'young.batch', 'old.txt']) writeFileSync(join(dir, name), 'x');
    utimesSync(join(dir, 'old.batch'), hourAgo, hourAgo);
    utimesSync(join(dir, 'old.txt'), hourAgo, hourAgo);
    expect(removeCutOffSpools(dir, 15 * 60_000)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['old.txt', 'young.batch']);
  });

  it('does nothing where there is no spool directory yet', () => {
    expect(removeCutOffSpools(join(dir, 'missing'), 0)).toBe(0);
  });
});
