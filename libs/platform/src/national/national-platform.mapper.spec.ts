import type { CanonicalEvent } from '#gw/case';
import { planStage, resultBody, specialBody } from './national-platform.mapper';
import type { PlatformCase } from '../platform-port';

const kase = (over: Partial<PlatformCase> = {}): PlatformCase => ({ id: 'c', sourceCaseNo: 'S-1', platformProjectNo: 'P1', online: false, location: null, ...over });
const event = (over: Partial<CanonicalEvent>): CanonicalEvent =>
  ({
    department: 'MZJ',
    sourceEventId: 'e1',
    sourceCaseNo: 'S-1',
    matterCode: '11430626MB6789012A0000160011000',
    matterName: '临时救助',
    stage: 'SPECIAL_STARTED',
    stageTime: '2026-10-23T09:30:00+08:00',
    applicants: [{ kind: 'PERSON', name: '周八', certType: '111', certNo: '430626199001010022' }],
    ...over,
  }) as CanonicalEvent;

describe('national platform mapper: what each stage becomes', () => {
  it('special_type is the kind of special procedure, not START/END; the end carries end_time and the outcome', () => {
    const start = specialBody(3, event({ stage: 'SPECIAL_STARTED', special: { name: '现场核查', reason: '需核实经营场所' } }));
    expect(start).toMatchObject({ seq: 3, special_type: '核实/检验检测', special_name: '现场核查', special_reason: '需核实经营场所', special_time: '2026-10-23 09:30:00' });
    expect(start.end_time).toBeUndefined();
    const end = specialBody(4, event({ stage: 'SPECIAL_ENDED', stageTime: '2026-10-30T17:00:00+08:00', special: { name: '听证', result: '维持原申请' } }));
    expect(end).toMatchObject({ special_type: '听证', end_time: '2026-10-30 17:00:00', result: '维持原申请' });
    for (const [name, kind] of [['公示', '公示'], ['专家评审会', '专家评审'], ['中止审查', '挂起'], ['检验检测', '核实/检验检测']]) {
      expect(specialBody(1, event({ special: { name } })).special_type).toBe(kind);
    }
  });

  it('accepts again at 受理 a case it opened as 申报; an online case\'s acceptance is a process step', () => {
    expect(planStage(kase(), 'ACCEPTED', event({ stage: 'ACCEPTED' }))).toEqual({ call: 'ACCEPT' });
    expect(planStage(kase({ online: true }), 'ACCEPTED', event({ stage: 'ACCEPTED' }))).toEqual({ call: 'PROCESS' });
  });

  it('a stage the platform interface does not know is parked under a clear code, not sent as a guess or dropped', () => {
    expect(planStage(kase(), 'ARCHIVED' as never, event({}))).toMatchObject({ call: 'PARK', code: 'STAGE_NOT_IN_PLATFORM_SPEC' });
    expect(planStage(kase(), 'REVIEWED', event({ stage: 'REVIEWED' }))).toEqual({ call: 'PROCESS' });
  });

  it('领证/送达 after the result is recorded at the gateway, with the reason; the result says is_delivery_results 0', () => {
    expect(planStage(kase(), 'DELIVERED', event({ stage: 'DELIVERED' }))).toMatchObject({ call: 'NONE', reason: expect.stringContaining('领证/送达') });
    expect(resultBody(5, 0, event({ stage: 'COMPLETED', result: { type: 0 } })).is_delivery_results).toBe(0);
    // Already handed over when the result goes out (the department reported 领证 before it was sent): 1.
    expect(resultBody(5, 0, event({ stage: 'COMPLETED', result: { type: 0 } }), true).is_delivery_results).toBe(1);
    expect(resultBody(5, 5, event({ stage: 'WITHDRAWN' }), true).is_delivery_results).toBe(0);
  });
});
