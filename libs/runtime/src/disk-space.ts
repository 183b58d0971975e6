import { statfsSync, type StatsFs } from 'node:fs';

/** Below either of these a start warns: the data folder holds the database, spooled files and backups. */
export const DISK_WARN_BYTES = 2 * 1024 ** 3;
export const DISK_WARN_FRACTION = 0.1;
/** Below this a start is refused: SQLite and the spool would fail mid-write instead. */
export const DISK_REFUSE_BYTES = 200 * 1024 ** 2;

export interface DiskCheck {
  level: 'ok' | 'warn' | 'refuse';
  freeBytes: number;
  totalBytes: number;
  /** Chinese first, English beside; empty when ok. */
  message: string;
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
const mib = (n: number) => `${Math.round(n / 1024 ** 2)} MiB`;
const shown = (n: number) => (n >= 1024 ** 3 ? gib(n) : mib(n));

/** Free space of the folder's file system (what an unprivileged process may use). */
export function checkDiskSpace(dir: string, statfs: (path: string) => Pick<StatsFs, 'bavail' | 'blocks' | 'bsize'> = statfsSync): DiskCheck {
  const s = statfs(dir);
  const freeBytes = Number(s.bavail) * Number(s.bsize);
  const totalBytes = Number(s.blocks) * Number(s.bsize);
  const where = `${dir}: 剩余 ${shown(freeBytes)} / 共 ${shown(totalBytes)} free of`;
  if (freeBytes < DISK_REFUSE_BYTES) {
    return {
      level: 'refuse',
      freeBytes,
      totalBytes,
      message:
        `数据目录磁盘空间不足，网关未启动 ${where}; the data folder's disk is nearly full, the gateway did not start ` +
        `(至少需要 needs at least ${mib(DISK_REFUSE_BYTES)}). 请清理旧备份和日志或扩容磁盘 free old backups and logs or grow the disk.`,
    };
  }
  if (freeBytes < DISK_WARN_BYTES || (totalBytes > 0 && freeBytes / totalBytes < DISK_WARN_FRACTION)) {
    return {
      level: 'warn',
      freeBytes,
      totalBytes,
      message:
        `数据目录磁盘空间偏少 ${where}; the data folder's disk is running low ` +
        `(建议至少 keep at least ${gib(DISK_WARN_BYTES)} 且 and ${DISK_WARN_FRACTION * 100}%). 请尽快清理旧备份和日志或扩容 free space soon.`,
    };
  }
  return { level: 'ok', freeBytes, totalBytes, message: '' };
}
