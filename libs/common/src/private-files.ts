import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The gateway's own files hold personal data (the database, spooled batch files) and secrets
 * (secrets.json): readable by the gateway's user only, whatever the process's umask. Modes are
 * set explicitly after creating (the umask only ever removes bits from what `mkdir`/`open` ask).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and its parents) if needed, and makes it the owner's only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // A shared folder (the sticky bit: /tmp, /var/tmp) is never tightened: closing /tmp to others
  // breaks every other program on the machine (MariaDB's temporary tables, for one). The files
  // the gateway puts there are its own 0600 files all the same.
  if (statSync(dir).mode & 0o1000) return;
  restrictMode(dir, PRIVATE_DIR_MODE);
}

/** Makes an existing file the owner's only; a file that is not there is left alone. */
export function restrictFile(path: string): void {
  restrictMode(path, PRIVATE_FILE_MODE);
}

/** Creates the file empty if it is not there (never truncating it), the owner's only. */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  restrictFile(path);
}

function restrictMode(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Gone meanwhile, or a folder the operator gave us but does not let us change: left as it is.
    if (code !== 'ENOENT' && code !== 'EPERM') throw e;
  }
}
