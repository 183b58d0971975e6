import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, openDatabase } from './database';
import { CaseEntity, CaseEventEntity, InboundMessageEntity, OutboxEntity } from './entities';
import { hydratedValue, persistentValue } from './persistent-value';

/** The fast path for SQLite dates must write exactly what TypeORM's own SQLite driver writes. */
describe('persistentValue', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-persistent-value-'));
    db = await openDatabase({ kind: 'sqlite', path: join(dir, 'gateway.sqlite'), busyTimeoutMs: 5000 });
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const columns = () =>
    [CaseEntity, CaseEventEntity, OutboxEntity, InboundMessageEntity].flatMap((e) => db.dataSource.getMetadata(e).columns);

  it('has datetime columns to check (the fast path is taken for them)', () => {
    expect(columns().filter((c) => c.type === 'datetime').length).toBeGreaterThan(5);
  });

  it('writes any date of any column as the SQLite driver does', () => {
    const driver = db.dataSource.driver;
    const all = columns();
    const date = fc.oneof(
      fc.date({ min: new Date('-000100-01-01T00:00:00Z'), max: new Date('+010100-01-01T00:00:00Z') }),
      fc.constantFrom(
        new Date('0000-01-01T00:00:00.000Z'),
        new Date('9999-12-31T23:59:59.999Z'),
        new Date('+010000-01-01T00:00:00.000Z'),
        new Date('-000001-12-31T23:59:59.999Z'),
        new Date('1970-01-01T00:00:00.000Z'),
        new Date(Number.NaN),
      ),
    );
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: all.length - 1 }), (d, i) => {
        const column = all[i];
        const expected = (() => {
          try {
            return { value: driver.preparePersistentValue(d, column) };
          } catch (e) {
            return { error: (e as Error).constructor };
          }
        })();
        if ('error' in expected) expect(() => persistentValue(driver, 'sqlite', d, column)).toThrow(expected.error as never);
        else expect(persistentValue(driver, 'sqlite', d, column)).toEqual(expected.value);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves other values to the driver', () => {
    const driver = db.dataSource.driver;
    for (const column of columns()) {
      for (const v of [null, undefined, 'text', 42, true, Buffer.from('x')]) {
        expect(persistentValue(driver, 'sqlite', v, column)).toEqual(driver.preparePersistentValue(v, column));
      }
    }
  });

  /** A hydrated value in a form `toEqual` compares exactly (an invalid date's time is NaN). */
  const comparable = (v: unknown) => (v instanceof Date ? { date: v.getTime() } : v);

  it('reads back any date it wrote, and any text shaped like one, as the SQLite driver does', () => {
    const driver = db.dataSource.driver;
    const all = columns();
    const datetimes = all.filter((c) => c.type === 'datetime');
    const digit = fc.constantFrom(...'0123456789');
    const written = fc
      .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
      .map((d) => persistentValue(driver, 'sqlite', d, datetimes[0]) as string);
    // Same layout, any digits (month 13, 24:00, 30 February …), or one character off.
    const shaped = fc
      .tuple(fc.array(digit, { minLength: 17, maxLength: 17 }), fc.constantFrom('-', ':', ' ', '.', 'T', 'x'))
      .map(([d, odd]) => `${d.slice(0, 4).join('')}-${d[4]}${d[5]}-${d[6]}${d[7]} ${d[8]}${d[9]}:${d[10]}${d[11]}:${d[12]}${d[13]}.${d[14]}${d[15]}${d[16]}`.replace(/[-: .]/, (m) => (odd === 'x' ? m : odd)));
    const edge = fc.constantFrom(
      '2024-02-29 23:59:59.999',
      '2026-02-29 00:00:00.000',
      '0000-01-01 00:00:00.000',
      '9999-12-31 23:59:59.999',
      '2026-10-23 24:00:00.000',
      '2026-10-23T09:00:00.000',
      '2026-10-23 09:00:00.000Z',
      '２026-10-23 09:00:00.000',
    );
    fc.assert(
      fc.property(fc.oneof(written, shaped, edge), fc.integer({ min: 0, max: all.length - 1 }), (text, i) => {
        const column = all[i];
        expect(comparable(hydratedValue(driver, 'sqlite', text, column))).toEqual(comparable(driver.prepareHydratedValue(text, column)));
      }),
      { numRuns: 20000 },
    );
  });

  it('leaves other stored values to the driver', () => {
    const driver = db.dataSource.driver;
    for (const column of columns()) {
      for (const v of [null, undefined, 'text', 42, 1, 0, Buffer.from('x')]) {
        expect(comparable(hydratedValue(driver, 'sqlite', v, column))).toEqual(comparable(driver.prepareHydratedValue(v, column)));
      }
    }
  });
});
