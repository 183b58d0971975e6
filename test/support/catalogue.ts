import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { usccCheckChar } from '#gw/case';
import { REPO_ROOT } from './test-gateway';

/** A department the catalogue file does not have: 平江县体育局, connected from the dashboard. */
export const NEW_DEPT = {
  code: 'TYJ',
  name: '平江县体育局',
  orgCode: `11430626MB7890123${usccCheckChar('11430626MB7890123')}`,
};
/** Its credit code with a wrong check digit. */
export const BAD_ORG_CODE = `11430626MB7890123${usccCheckChar('11430626MB7890123') === '0' ? '1' : '0'}`;
export const NEW_MATTER = {
  taskCode: `${NEW_DEPT.orgCode}0000180001000`,
  name: '体育社会组织成立登记',
  department: NEW_DEPT.code,
  type: '01',
  projectType: 2,
  onlineCapable: true,
  timeLimit: { value: 5, unit: 'WORKING_DAY' },
};

/** MZJ's mapping from config/catalogue.yaml (events only: no delivery section), the template the dashboard starts from. */
export function mzjMapping(): Record<string, unknown> {
  const doc = parse(readFileSync(join(REPO_ROOT, 'config/catalogue.yaml'), 'utf8'));
  const { delivery: _delivery, ...options } = doc.departments.find((d: { code: string }) => d.code === 'MZJ').options;
  return options;
}

/** One event of the new department, in MZJ's dialect, for its new matter. */
export function newDeptEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const mzj = JSON.parse(readFileSync(join(REPO_ROOT, 'config/examples/mzj-event.json'), 'utf8'));
  return { ...mzj, lsh: 'TYJ20261023000001', ywh: 'PJTY-2026-0001', sxbm: NEW_MATTER.taskCode, sxmc: NEW_MATTER.name, ...overrides };
}
