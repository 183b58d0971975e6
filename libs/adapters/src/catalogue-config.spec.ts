import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { checkIdNumber, validateCanonicalEvent } from '#gw/case';
import { Catalogue, CatalogueError } from '#gw/catalogue';
import { AdapterRegistry } from './adapter-registry';
import type { RawInbound } from './department-adapter';

const ROOT = join(__dirname, '..', '..', '..');
const CATALOGUE = join(ROOT, 'config', 'catalogue.yaml');
const EXAMPLES = join(ROOT, 'config', 'examples');
const NOW = new Date('2026-11-01T00:00:00+08:00');

/** The catalogue file as a plain object, for variants with one entry broken. */
function catalogueDoc(): any {
  return parseYaml(readFileSync(CATALOGUE, 'utf8'));
}

function withMzjOptions(change: (options: any) => void): Catalogue {
  const doc = catalogueDoc();
  change(doc.departments.find((d: any) => d.code === 'MZJ').options);
  return Catalogue.fromObject(doc, 'test');
}

describe('config/catalogue.yaml with the adapter registry', () => {
  it('loads, and builds an adapter for each of the five enabled departments', () => {
    const catalogue = Catalogue.fromFile(CATALOGUE);
    const registry = new AdapterRegistry(catalogue);
    expect(
      registry
        .all()
        .map((a) => a.department.code)
        .sort(),
    ).toEqual(['BDC', 'MZJ', 'RSJ', 'SCJG', 'YBJ']);
    expect(registry.get('gaj')).toBeUndefined();
    expect(registry.get('ybj')!.batch).toBeDefined();
    expect(registry.get('mzj')!.eventMediaTypes).toEqual(['application/json']);
  });

  it('lists MZJ with three matters whose task codes start with its organisation code', () => {
    const catalogue = Catalogue.fromFile(CATALOGUE);
    const mzj = catalogue.department('MZJ')!;
    expect(mzj.adapter).toBe('mapped');
    const matters = catalogue.mattersOf('MZJ');
    expect(matters.map((m) => m.name)).toEqual(['结婚登记', '最低生活保障金给付', '临时救助']);
    for (const m of matters) {
      expect(m.taskCode).toHaveLength(31);
      expect(m.taskCode.startsWith(`${mzj.orgCode}0000`)).toBe(true);
    }
  });

  it.each([
    [
      'an unknown dateFormat',
      (o: any) => (o.dateFormat = 'dd.MM.yyyy'),
      /departments \(MZJ\)\.adapter "mapped": .*options\.dateFormat: "dd\.MM\.yyyy" is not one of/,
    ],
    [
      'a stage mapped to a non-canonical value',
      (o: any) => (o.stages['09'] = { stage: 'DONE', name: '办结' }),
      /options\.stages\.09\.stage: "DONE" is not a canonical stage/,
    ],
    [
      'a stage shorthand that is not canonical',
      (o: any) => (o.stages['02'] = 'ACCEPT'),
      /options\.stages\.02: "ACCEPT" is not a canonical stage/,
    ],
    ['a missing stage time', (o: any) => delete o.fields.stageTime, /options\.fields\.stageTime: required/],
    [
      'a malformed payload path',
      (o: any) => (o.fields.stageTime = 'zt sj'),
      /options\.fields\.stageTime: "zt sj" is not a payload path/,
    ],
    [
      'a field that is no canonical field',
      (o: any) => (o.fields['applicant.name'] = 'sqr.xm'),
      /options\.fields\.applicant\.name: "applicant\.name" is not a canonical field/,
    ],
    [
      'a certificate type outside the code table',
      (o: any) => (o.certTypes['1'] = 'ID'),
      /options\.certTypes\.1: "ID" is not a canonical certificate type/,
    ],
    [
      'a result type out of range',
      (o: any) => (o.resultTypes['2'] = 9),
      /options\.resultTypes\.2: "9" is not a result type 0–6/,
    ],
    [
      'an unknown reply placeholder',
      (o: any) => (o.reply.okBody.data.gwid = '${eventID}'),
      /options\.reply\.okBody\.data\.gwid: unknown placeholder \$\{eventID\}/,
    ],
    [
      'a constant that is also a field',
      (o: any) => (o.constants['applicants[0].certType'] = '111'),
      /options\.constants\.applicants\[0\]\.certType: is also mapped in options\.fields\.applicants\[0\]\.certType/,
    ],
    ['a misspelt setting', (o: any) => (o.dateformat = 'iso'), /options\.dateformat: unknown setting/],
  ])('refuses a broken MZJ mapping: %s', (_what, change, message) => {
    const catalogue = withMzjOptions(change);
    let error: unknown;
    try {
      new AdapterRegistry(catalogue);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogueError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('departments (MZJ)');
  });

  it('refuses a mapped department without options', () => {
    const doc = catalogueDoc();
    delete doc.departments.find((d: any) => d.code === 'MZJ').options;
    expect(() => new AdapterRegistry(Catalogue.fromObject(doc, 'test'))).toThrow(
      /departments \(MZJ\)\.adapter "mapped": options: /,
    );
  });
});

describe('config/examples through the registry', () => {
  const registry = new AdapterRegistry(Catalogue.fromFile(CATALOGUE));
  const raw = (
    department: string,
    file: string,
    mediaType: string,
    charset?: string,
    headers: Record<string, string> = {},
  ): RawInbound => ({
    department,
    mediaType,
    charset,
    headers,
    body: readFileSync(join(EXAMPLES, file)),
    receivedAt: NOW,
  });

  it.each([
    ['SCJG', 'scjg-event.json', 'application/json', 'utf-8'],
    ['BDC', 'bdc-event.xml', 'text/xml', 'gbk'],
    ['RSJ', 'rsj-event.txt', 'application/x-www-form-urlencoded', undefined],
    ['MZJ', 'mzj-event.json', 'application/json', undefined],
  ])('%s: %s is accepted on /events, maps cleanly and validates', (code, file, mediaType, charset) => {
    const adapter = registry.get(code)!;
    expect(adapter.eventMediaTypes).toContain(mediaType);
    const result = adapter.parseEvent(raw(code, file, mediaType, charset));
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
    expect(result.event.issues).toEqual([]);
    expect(validateCanonicalEvent(result.event.event, NOW).errors).toEqual([]);
  });

  it('YBJ: ybj-batch.csv is accepted on /batches and every row validates', async () => {
    const adapter = registry.get('YBJ')!;
    expect(adapter.batch!.mediaTypes).toContain('text/csv');
    const { body, ...meta } = raw('YBJ', 'ybj-batch.csv', 'text/csv', undefined, { 'x-batch-id': 'YBJ-20261023' });
    expect(body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    let rows = 0;
    for await (const { result } of adapter.batch!.readRows(Readable.from([body]), meta)) {
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
      expect(validateCanonicalEvent(result.event.event, NOW).errors).toEqual([]);
      rows++;
    }
    expect(rows).toBe(5);
  });

  it('holds only fake people whose ID numbers are valid', () => {
    const text = ['scjg-event.json', 'rsj-event.txt', 'mzj-event.json', 'ybj-batch.csv']
      .map((f) => readFileSync(join(EXAMPLES, f), 'utf8'))
      .join('\n');
    // Every person in the examples is from Pingjiang (4306…); event ids and case numbers are not people.
    const ids = text.match(/(?<![\dA-Z])(4306\d{13}[\dX]|4306\d{11})(?!\d)/g) ?? [];
    expect(ids.length).toBeGreaterThan(3);
    for (const id of ids) expect([id, checkIdNumber(id, NOW).ok]).toEqual([id, true]);
    const phones = text.match(/(?<!\d)1[3-9]\d{9}(?!\d)/g) ?? [];
    for (const p of phones) expect(['13800000000', '13900000000']).toContain(p);
  });
});
