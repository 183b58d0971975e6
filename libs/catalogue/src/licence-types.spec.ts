import { join } from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { Catalogue, CatalogueError } from './catalogue';
import { LicenceTypes } from './licence-types';

const ROOT = join(__dirname, '../../..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config/catalogue.yaml'));
const table = () => parse(readFileSync(join(ROOT, 'config/licence-types.yaml'), 'utf8'));

describe('config/licence-types.yaml 电子证照类型表', () => {
  it('loads against the catalogue: every certificate-issuing matter has a type; RSJ 补发 is numbered by the gateway', () => {
    const t = LicenceTypes.fromFile(join(ROOT, 'config/licence-types.yaml'), catalogue);
    for (const m of catalogue.matters.filter((x) => x.issuesCertificate && !x.restriction)) expect(t.forMatter(m.taskCode)).toBeDefined();
    expect(t.forMatter('11430626MB123456250000120001000')).toMatchObject({ type: { name: '营业执照', issuerLevel: 'COUNTY' }, numberFrom: 'DEPARTMENT' });
    expect(t.forMatter('11430626MB345678350000140010000')).toMatchObject({ type: { name: '职业资格证书' }, numberFrom: 'GATEWAY' });
    expect(t.forMatter('12430626MB234567830000173004000')?.type.name).toBe('不动产登记证明');
    // Provisional codes are said at start-up, in Chinese and English.
    expect(t.warnings.join('\n')).toMatch(/临时代码.*provisional/);
  });

  it('an unknown matter or a malformed code stops start-up with every problem named, in Chinese and English', () => {
    const doc = table();
    doc.licenceTypes[0].code = '11430626MB1234562500';
    doc.licenceTypes[1].code = '11430626MB12345624001';
    doc.licenceTypes[2].matters[0].taskCode = '11430626MB999999990000000000000';
    doc.licenceTypes[3].matters[0].numberFrom = 'PLATFORM';
    doc.licenceTypes[4].issuerLevel = 'VILLAGE';
    let message = '';
    try {
      LicenceTypes.fromObject(doc, catalogue, 'licence-types.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(CatalogueError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/^证照类型表有误，网关不能启动 licence type table has errors, the gateway cannot start: licence-types.yaml has 5 problem\(s\)/);
    expect(message).toContain('licenceTypes[0] (营业执照).code: "11430626MB1234562500" 不是证照类型代码');
    expect(message).toContain('licenceTypes[1] (不动产权证书).code: "11430626MB12345624001" 前18位的统一社会信用代码校验位不对');
    expect(message).toContain('licenceTypes[2] (不动产登记证明).matters[0].taskCode: 事项 "11430626MB999999990000000000000" 不在目录中 matter "11430626MB999999990000000000000" is not in the catalogue');
    expect(message).toContain('matters[0].numberFrom: 应为 DEPARTMENT 或 GATEWAY must be DEPARTMENT or GATEWAY');
    expect(message).toContain('licenceTypes[4] (结婚证).issuerLevel');
  });

  it('refuses a matter that issues no certificate, a matter listed twice and a code listed twice', () => {
    const doc = table();
    doc.licenceTypes[0].matters.push({ taskCode: '11430626MB123456250000120003000' }); // 注销登记 issues none
    doc.licenceTypes[1].matters.push({ taskCode: '11430626MB123456250000120001000' });
    doc.licenceTypes[2].code = doc.licenceTypes[1].code;
    expect(() => LicenceTypes.fromObject(doc, catalogue)).toThrow(/未标记出证[\s\S]*已属于 营业执照[\s\S]*重复 appears twice/);
  });

  it('a missing default table is allowed but said; a named one must exist', () => {
    const none = LicenceTypes.fromFile('/nonexistent/licence-types.yaml', catalogue, { required: false });
    expect(none.types).toEqual([]);
    expect(none.warnings[0]).toMatch(/没有证照类型表.*no licence type table/);
    expect(() => LicenceTypes.fromFile('/nonexistent/licence-types.yaml', catalogue)).toThrow(CatalogueError);
  });
});
