import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The SCJG example of departments.md, as shipped in config/examples/ (read once). */
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(resolve(__dirname, '..', '..', 'config', 'examples', 'scjg-event.json'), 'utf8'),
);

/** The SCJG example of departments.md, with overrides; a fresh eventId each time unless given. */
export function scjgEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(EXAMPLE), eventId: randomUUID(), ...overrides };
}
