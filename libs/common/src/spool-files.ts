import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of spooled batch files under DATA_DIR (sealed with the data key, 0700). */
export const spoolDirOf = (dataDir: string) => join(dataDir, 'spool');

/**
 * A batch run spooling longer than this is taken as cut off (its process stopped mid-file): its
 * batch is taken again when sent again, and its spooled file may go. Younger files may be under
 * way in a process sharing the folder.
 */
export const CUT_OFF_BATCH_MINUTES = 15;

/**
 * Removes the spooled batch files (`*.batch`) in `dir` last written more than `olderThanMs` ago —
 * left by runs the gateway was stopped in (a finished run removes its own). Younger ones may be
 * under way in another process sharing the directory. Returns how many were removed.
 */
export function removeCutOffSpools(dir: string, olderThanMs: number, now = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no spool directory yet
  }
  for (const name of names) {
    if (!name.endsWith('.batch')) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs <= olderThanMs) continue;
      rmSync(path, { force: true });
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove: left as it is
    }
  }
  return removed;
}
