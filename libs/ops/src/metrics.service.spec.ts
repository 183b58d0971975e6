import { ingestOutcome } from './metrics.service';

describe('ingest outcome labels', () => {
  it('maps every answer to a small fixed set of words', () => {
    expect([202, 200, 422, 400, 415, 401, 403, 404, 413, 503, 302].map(ingestOutcome)).toEqual([
      'accepted',
      'duplicate',
      'rejected',
      'unreadable',
      'unreadable',
      'refused',
      'refused',
      'refused',
      'too_large',
      'error',
      'other',
    ]);
  });
});
