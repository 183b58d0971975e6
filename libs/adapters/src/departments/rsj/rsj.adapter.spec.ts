import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import { validateCanonicalEvent } from '#gw/case';
import type { DepartmentEntry } from '#gw/catalogue';
import type { MappedEvent, ParseResult, RawInbound } from '../../department-adapter';
import { RSJ_STATUS, createAdapter } from './rsj.adapter';

const NOW = new Date('2026-11-01T00:00:00+08:00');
const EXAMPLES = join(__dirname, '..', '..', '..', '..', '..', 'config', 'examples');
const FIXTURES = join(__dirname, 'fixtures');
const RSJ: DepartmentEntry = {
  code: 'RSJ',
  name: '平江县人力资源和社会保障局',
  orgCode: '11430626MB34567835',
  adapter: 'rsj',
  enabled: true,
  restricted: false,
};
const adapter = createAdapter(RSJ, undefined as never);

function raw(body: Buffer | string, charset?: string): RawInbound {
  return {
    department: 'RSJ',
    mediaType: 'application/x-www-form-urlencoded',
    charset,
    headers: {},
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    receivedAt: NOW,
  };
}

function mapped(result: ParseResult): MappedEvent {
  if (!result.ok) throw new Error(`expected a readable event, got ${result.code}: ${result.message}`);
  return result.event;
}

const example = () => readFileSync(join(EXAMPLES, 'rsj-event.txt'), 'utf8');
/** The example form with some fields replaced (or removed with null). */
function form(changes: Record<string, string | null>): string {
  const f = new URLSearchParams(example());
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) f.delete(k);
    else f.set(k, v);
  }
  return f.toString();
}

describe('RSJ adapter (form posts)', () => {
  it('maps the example form to the canonical event, passing the 15-digit ID number on as sent', () => {
    const m = mapped(adapter.parseEvent(raw(example())));
    expect(m.sourceEventId).toBe('RSJ202610230000456');
    expect(m.issues).toEqual([]);
    expect(m.event).toEqual({
      department: 'RSJ',
      sourceEventId: 'RSJ202610230000456',
      sourceCaseNo: 'RS2026102300017',
      matterCode: '11430626MB345678350000140001000',
      matterName: '就业失业登记',
      stage: 'ACCEPTED',
      stageName: '受理',
      stageTime: '2026-10-23T09:30:00+08:00',
      handler: { name: '张三' },
      opinion: '材料齐全，予以受理',
      applicants: [{ kind: 'PERSON', name: '李四', certType: '111', certNo: '430626850312004', phone: '13800000000' }],
      location: '430626001',
      applyChannel: 'WINDOW',
    });
  });

  it('validates, the canonical validator converting the old ID number and recording the warning', () => {
    const m = mapped(adapter.parseEvent(raw(example())));
    const v = validateCanonicalEvent(m.event, NOW);
    expect(v.errors).toEqual([]);
    expect(v.event!.applicants[0].certNo).toBe('430626198503120040');
    expect(v.warnings).toEqual([expect.objectContaining({ field: 'applicants[0].certNo', code: 'ID_15_CONVERTED' })]);
  });

  it.each(Object.entries(RSJ_STATUS))('maps zt=%s', (zt, { stage, name }) => {
    const m = mapped(adapter.parseEvent(raw(form({ zt, bjjg: zt === 'BJ' ? '1' : '' }))));
    expect(m.event.stage).toBe(stage);
    expect(m.event.stageName).toBe(name);
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps BJ with bjjg 1 to result 0', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'rsj-bj-granted.txt')))));
    expect(m.event.stage).toBe('COMPLETED');
    expect(m.event.result).toEqual({ type: 0 });
    expect(m.event.applyChannel).toBe('ONLINE');
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('maps BJ with bjjg 2 to result 1 with blyj as the reason', () => {
    const m = mapped(adapter.parseEvent(raw(readFileSync(join(FIXTURES, 'rsj-bj-denied.txt')))));
    expect(m.event.result).toEqual({ type: 1, explain: '原证书信息无法核实，不予补发' });
    expect(m.event.location).toBe('430626');
    expect(validateCanonicalEvent(m.event, NOW).errors).toEqual([]);
  });

  it('leaves a BJ without bjjg to the validator (RESULT_REQUIRED, answered as bjjg)', () => {
    const m = mapped(adapter.parseEvent(raw(form({ zt: 'BJ', bjjg: null }))));
    expect(m.event.result).toBeUndefined();
    const errors = validateCanonicalEvent(m.event, NOW).errors;
    expect(errors).toEqual([expect.objectContaining({ field: 'result', code: 'RESULT_REQUIRED' })]);
    expect(adapter.sourceField('result')).toBe('bjjg');
  });

  it('reports unknown statuses, results and impossible times', () => {
    const m = mapped(adapter.parseEvent(raw(form({ zt: 'XX', ztsj: '2026-02-29 09:30:00' }))));
    expect(m.issues.map((i) => [i.field, i.code])).toEqual([
      ['stage', 'STATUS_UNKNOWN'],
      ['stageTime', 'DATE_INVALID'],
    ]);
    const bj = mapped(adapter.parseEvent(raw(form({ zt: 'BJ', bjjg: '3' }))));
    expect(bj.issues).toEqual([expect.objectContaining({ field: 'result.type', code: 'VALUE_NOT_ALLOWED' })]);
  });

  it('reports a field sent twice with different values', () => {
    const m = mapped(adapter.parseEvent(raw(`${example()}&ywbh=OTHER`)));
    expect(m.issues).toEqual([expect.objectContaining({ field: 'sourceCaseNo', code: 'VALUE_REPEATED' })]);
    expect(mapped(adapter.parseEvent(raw(`${example()}&ywbh=RS2026102300017`))).issues).toEqual([]);
  });

  it('lets the validator judge a bad ID check digit, answered with RSJ field names', () => {
    const m = mapped(adapter.parseEvent(raw(form({ sqrsfzh: '430626198503120041' }))));
    const errors = validateCanonicalEvent(m.event, NOW).errors;
    expect(errors).toEqual([expect.objectContaining({ field: 'applicants[0].certNo', code: 'ID_CHECK_DIGIT' })]);
    expect(adapter.sourceField('applicants[0].certNo')).toBe('sqrsfzh');
  });

  describe('unreadable payloads', () => {
    it('refuses bytes that are not UTF-8', () => {
      expect(adapter.parseEvent(raw(Buffer.from([0x78, 0x3d, 0xff, 0xfe])))).toMatchObject({
        ok: false,
        code: 'PAYLOAD_ENCODING',
      });
    });

    it('refuses GBK percent-encoding (an old servlet default) instead of garbling names', () => {
      const gbk = [...iconv.encode('李四', 'gbk')].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      expect(adapter.parseEvent(raw(form({}).replace(/sqrxm=[^&]*/, `sqrxm=${gbk}`)))).toMatchObject({
        ok: false,
        code: 'PAYLOAD_ENCODING',
      });
    });

    it('reads a GBK body when the Content-Type says so', () => {
      const body = iconv.encode('xxbh=1&sqrxm=李四', 'gbk');
      expect(mapped(adapter.parseEvent(raw(body, 'gbk'))).event.applicants![0].name).toBe('李四');
    });

    it('refuses a body holding none of the RSJ fields', () => {
      expect(adapter.parseEvent(raw('{"xxbh":"1"}'))).toMatchObject({ ok: false, code: 'PAYLOAD_NOT_FORM' });
      expect(adapter.parseEvent(raw(''))).toMatchObject({ ok: false, code: 'PAYLOAD_NOT_FORM' });
    });
  });

  describe('replies', () => {
    it('answers OK on success and on a duplicate', () => {
      for (const httpStatus of [202, 200]) {
        expect(adapter.formatReply!({ httpStatus, code: 'ACCEPTED', message: 'accepted', eventId: 'e' })).toEqual({
          status: httpStatus,
          contentType: 'text/plain; charset=utf-8',
          body: 'OK',
        });
      }
    });

    it('answers ERR:<code> <message> on one line otherwise, keeping the HTTP status', () => {
      const reply = adapter.formatReply!({
        httpStatus: 422,
        code: 'VALIDATION_FAILED',
        message: '校验失败',
        errors: [{ field: 'sqrsfzh', code: 'ID_CHECK_DIGIT', message: '校验位错误\n' }],
      });
      expect(reply.status).toBe(422);
      expect(reply.body).toBe('ERR:VALIDATION_FAILED 校验失败; sqrsfzh ID_CHECK_DIGIT 校验位错误 ');
      expect(adapter.formatReply!({ httpStatus: 503, code: 'STORE_UNAVAILABLE', message: 'try later' }).body).toBe(
        'ERR:STORE_UNAVAILABLE try later',
      );
    });
  });
});
