import type { AccessCredentialEntity, AccessCredentialRepository } from '#gw/persistence';
import { CredentialRegistry, credentialHash } from './credential-registry';

/** A table in memory, as the repository reads it. */
function fakeRepo(rows: Partial<AccessCredentialEntity>[]) {
  const touched: Map<string, Date>[] = [];
  let reads = 0;
  const repo = {
    all: async () => {
      reads++;
      return rows as AccessCredentialEntity[];
    },
    recordConfigured: async () => undefined,
    touch: async (m: Map<string, Date>) => void touched.push(new Map(m)),
  } as unknown as AccessCredentialRepository;
  return { repo, touched, reads: () => reads };
}

const row = (over: Partial<AccessCredentialEntity>): Partial<AccessCredentialEntity> => ({
  kind: 'DEPARTMENT',
  owner: 'SCJG',
  source: 'database',
  expiresAt: null,
  revokedAt: null,
  ...over,
});

describe('CredentialRegistry', () => {
  let clock = Date.parse('2026-12-05T08:00:00Z');
  const now = () => clock;
  const registries: CredentialRegistry[] = [];
  afterEach(async () => {
    for (const r of registries.splice(0)) await r.stop();
  });
  const make = (production: boolean, rows: Partial<AccessCredentialEntity>[]) => {
    const reg = new CredentialRegistry('DEPARTMENT', [{ owner: 'SCJG', value: 'configured-token-0123456789', source: 'env' }], { production, now, missRefreshMs: 1000 });
    registries.push(reg);
    const fake = fakeRepo(rows);
    return { reg, fake };
  };

  it('accepts an issued token until its expiry, judged at each check; refuses it as retired after', async () => {
    const { reg, fake } = make(false, [row({ id: '7', tokenHash: credentialHash('DEPARTMENT', 'issued-token'), expiresAt: new Date(clock + 60_000) })]);
    await reg.attach(fake.repo);
    expect(reg.matchNow('issued-token')).toMatchObject({ ok: true, owner: 'SCJG', id: '7' });
    clock += 60_000;
    expect(reg.matchNow('issued-token')).toEqual({ ok: false, owner: 'SCJG', reason: 'retired' });
    expect(reg.matchNow('nobody')).toEqual({ ok: false, owner: null, reason: 'unknown' });
  });

  it('retires a configured token by its row in embedded mode, never the environment one in production', async () => {
    const hash = credentialHash('DEPARTMENT', 'configured-token-0123456789');
    const rows = [row({ id: '1', source: 'env', tokenHash: hash, revokedAt: new Date(clock) })];
    const embedded = make(false, rows);
    await embedded.reg.attach(embedded.fake.repo);
    expect(embedded.reg.matchNow('configured-token-0123456789')).toMatchObject({ ok: false, reason: 'retired' });
    const production = make(true, rows);
    await production.reg.attach(production.fake.repo);
    expect(production.reg.matchNow('configured-token-0123456789')).toMatchObject({ ok: true, owner: 'SCJG', source: 'env' });
  });

  it('re-reads the table for an unknown token at most once a second', async () => {
    const rows: Partial<AccessCredentialEntity>[] = [];
    const { reg, fake } = make(false, rows);
    await reg.attach(fake.repo);
    const before = fake.reads();
    rows.push(row({ id: '9', tokenHash: credentialHash('DEPARTMENT', 'from-another-instance') }));
    expect(await reg.match('from-another-instance')).toMatchObject({ ok: false }); // read just now: not again yet
    clock += 1_000;
    expect(await reg.match('from-another-instance')).toMatchObject({ ok: true, id: '9' });
    expect(await reg.match('still-nobody')).toMatchObject({ ok: false });
    expect(fake.reads() - before).toBe(1);
  });

  it('writes the last use at most once a minute per token', async () => {
    const { reg, fake } = make(false, [row({ id: '3', tokenHash: credentialHash('DEPARTMENT', 'busy-token') })]);
    await reg.attach(fake.repo);
    for (let i = 0; i < 100; i++) reg.matchNow('busy-token');
    await reg.refresh();
    clock += 30_000;
    for (let i = 0; i < 100; i++) reg.matchNow('busy-token');
    await reg.refresh();
    clock += 30_000;
    reg.matchNow('busy-token');
    await reg.refresh();
    expect(fake.touched.map((m) => [...m.keys()])).toEqual([['3'], ['3']]);
  });

  it('gives the callback secrets valid now: configured and issued (unsealed) during the overlap', async () => {
    const reg = new CredentialRegistry('CALLBACK', [{ owner: 'PLATFORM', value: 'old-secret', source: 'stored' }], { production: false, now, unseal: (s) => s.replace('sealed:', '') });
    registries.push(reg);
    const old = row({ id: '1', kind: 'CALLBACK', owner: 'PLATFORM', source: 'stored', tokenHash: credentialHash('CALLBACK', 'old-secret'), expiresAt: new Date(clock + 1000) });
    const fresh = row({ id: '2', kind: 'CALLBACK', owner: 'PLATFORM', tokenHash: credentialHash('CALLBACK', 'new-secret'), secretSealed: 'sealed:new-secret' });
    await reg.attach(fakeRepo([old, fresh]).repo);
    expect(reg.validSecrets('PLATFORM').sort()).toEqual(['new-secret', 'old-secret']);
    clock += 1000;
    expect(reg.validSecrets('PLATFORM')).toEqual(['new-secret']);
  });
});

describe('CredentialRegistry when the database is away', () => {
  it('answers from memory: an unknown token stays unknown, a known one still works', async () => {
    let clock = 0;
    let fail = false;
    const repo = {
      all: async () => {
        if (fail) throw new Error('connection refused');
        return [{ id: '1', kind: 'DEPARTMENT', owner: 'BDC', source: 'database', tokenHash: credentialHash('DEPARTMENT', 'known'), expiresAt: null, revokedAt: null }];
      },
      recordConfigured: async () => undefined,
      touch: async () => undefined,
    } as unknown as AccessCredentialRepository;
    const reg = new CredentialRegistry('DEPARTMENT', [], { production: false, now: () => clock });
    await reg.attach(repo);
    fail = true;
    clock += 5_000;
    await expect(reg.match('unknown')).resolves.toMatchObject({ ok: false, reason: 'unknown' });
    await expect(reg.match('known')).resolves.toMatchObject({ ok: true, owner: 'BDC' });
    await reg.stop();
  });
});
