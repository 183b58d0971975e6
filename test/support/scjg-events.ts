import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TOKENS } from './test-gateway';

/** The SCJG example of departments.md, as shipped in config/examples/ (read once). */
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(resolve(__dirname, '..', '..', 'config', 'examples', 'scjg-event.json'), 'utf8'),
);

/** The SCJG example of departments.md, with overrides; a fresh eventId each time unless given. */
export function scjgEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(EXAMPLE), eventId: randomUUID(), ...overrides };
}

/** Posts an SCJG event, as JSON, to a gateway with SCJG's own token. */
export function postScjgEvent(gatewayUrl: string, body: unknown) {
  return request(gatewayUrl)
    .post('/api/v1/departments/scjg/events')
    .set('Authorization', `Bearer ${TOKENS.SCJG}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
}
