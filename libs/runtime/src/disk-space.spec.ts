import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DISK_REFUSE_BYTES, checkDiskSpace } from './disk-space';

const fs = (freeBytes: number, totalBytes: number) => () => ({ bsize: 4096, bavail: Math.floor(freeBytes / 4096), blocks: Math.floor(totalBytes / 4096) });
const GiB = 1024 ** 3;

describe('checkDiskSpace', () => {
  it('is quiet with plenty of room', () => {
    expect(checkDiskSpace('/data', fs(50 * GiB, 100 * GiB))).toMatchObject({ level: 'ok', message: '' });
  });

  it('warns in Chinese (English beside) below 2 GiB', () => {
    const c = checkDiskSpace('/data', fs(1.5 * GiB, 8 * GiB));
    expect(c.level).toBe('warn');
    expect(c.message).toMatch(/^数据目录磁盘空间偏少 \/data: 剩余 1\.5 GiB/);
    expect(c.message).toContain('running low');
  });

  it('warns below 10 % of a large disk even with gigabytes left', () => {
    expect(checkDiskSpace('/data', fs(40 * GiB, 500 * GiB)).level).toBe('warn');
  });

  it('refuses below the hard minimum', () => {
    const c = checkDiskSpace('/data', fs(DISK_REFUSE_BYTES - 4096, 8 * GiB));
    expect(c.level).toBe('refuse');
    expect(c.message).toMatch(/^数据目录磁盘空间不足，网关未启动/);
    expect(c.message).toContain('did not start');
  });

  it('reads a real folder through node:fs', () => {
    const c = checkDiskSpace(mkdtempSync(join(tmpdir(), 'gw-disk-')));
    expect(c.totalBytes).toBeGreaterThan(0);
    expect(c.freeBytes).toBeGreaterThan(0);
  });
});
