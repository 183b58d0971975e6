import { randomUUID } from 'node:crypto';

/** The SCJG example of departments.md, with overrides; a fresh eventId each time unless given. */
export function scjgEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: randomUUID(),
    bizNo: 'SCJG-2026-000123',
    platformNo: null,
    itemCode: '11430626MB123456250000120001000',
    itemName: '企业设立登记',
    status: 20,
    statusTime: '2026-10-23T09:30:00+08:00',
    operator: { name: '王五', unit: '登记注册股' },
    applicant: {
      type: 'ENTERPRISE',
      name: '平江县某某农业发展有限公司',
      uscc: '91330102MA28NBU477',
      legalRep: '赵六',
      phone: '0730-6223456',
    },
    agent: { name: '钱七', idNo: '430626200107081238', mobile: '13900000000' },
    location: '430626101',
    result: null,
    ...overrides,
  };
}
