import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CatalogueError } from '#gw/catalogue';
import { createGatewayContext } from './gateway-context';

const CATALOGUE_FILE = resolve(__dirname, '../../../config/catalogue.yaml');

describe('start-up and the working-day calendar', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-ctx-'));

  it('loads config/holidays.yaml beside the catalogue', () => {
    const ctx = createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir });
    expect(ctx.calendar.addWorkingDays('2026-09-30', 3)).toBe('2026-10-10');
  });

  it('a bad entry in HOLIDAYS_FILE stops start-up, naming it', () => {
    const bad = join(dataDir, 'holidays.yaml');
    writeFileSync(bad, 'holidays: [2027-13-01]\n');
    expect(() => createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir, HOLIDAYS_FILE: bad })).toThrow(CatalogueError);
    expect(() => createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir, HOLIDAYS_FILE: bad })).toThrow(/网关不能启动 .*the gateway cannot start.*holidays\[0\] "2027-13-01": 没有这一天 no such date/);
  });

  it('loads the licence types beside the catalogue; a table naming an unknown matter stops start-up, naming it', () => {
    expect(createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir }).catalogue.licenceOf('11430626MB345678350000140010000')).toMatchObject({ type: { name: '职业资格证书' }, numberFrom: 'GATEWAY' });
    const bad = join(dataDir, 'licence-types.yaml');
    writeFileSync(bad, 'licenceTypes:\n  - { code: 11430626MB12345625001, name: 营业执照, issuerLevel: COUNTY, matters: [{ taskCode: 11430626MB123456250000129999000 }] }\n');
    expect(() => createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir, LICENCE_TYPES_FILE: bad })).toThrow(
      /网关不能启动 .*the gateway cannot start[\s\S]*licenceTypes\[0\] \(营业执照\)\.matters\[0\]\.taskCode: 事项 "11430626MB123456250000129999000" 不在目录中 matter "11430626MB123456250000129999000" is not in the catalogue/,
    );
    expect(() => createGatewayContext({ CATALOGUE_FILE, DATA_DIR: dataDir, LICENCE_TYPES_FILE: join(dataDir, 'missing.yaml') })).toThrow(CatalogueError);
  });
});
