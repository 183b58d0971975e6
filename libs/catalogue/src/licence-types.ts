import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LICENCE_TYPE_CODE, checkUscc } from '#gw/case';
import { Catalogue, CatalogueError } from './catalogue';

export const ISSUER_LEVELS = { NATIONAL: '国家', PROVINCE: '省', CITY: '市', COUNTY: '县', TOWNSHIP: '乡镇' } as const;
export type IssuerLevel = keyof typeof ISSUER_LEVELS;

/**
 * Who numbers a licence: the department's system (its number arrives with 办结 and is required),
 * or the gateway, for a system that sends none (RSJ's 职业资格证书补发).
 */
export type LicenceNumberSource = 'DEPARTMENT' | 'GATEWAY';

/** One type of the 电子证照 catalogue (`config/licence-types.yaml`). */
export interface LicenceType {
  /** 证照类型代码: defining authority's credit code + 3 digits. */
  code: string;
  name: string;
  issuerLevel: IssuerLevel;
  /** NATIONAL: from the national catalogue; PROVISIONAL: a local code of the same form until it is known. */
  source: 'NATIONAL' | 'PROVISIONAL';
  matters: { taskCode: string; numberFrom: LicenceNumberSource }[];
}

/** What a matter's completion issues: its licence type and who numbers it. */
export interface MatterLicence {
  type: LicenceType;
  numberFrom: LicenceNumberSource;
}

/** The licence types, checked against the catalogue; looked up by matter. */
export class LicenceTypes {
  private readonly byMatter = new Map<string, MatterLicence>();

  constructor(
    readonly types: LicenceType[],
    /** Start-up notes that do not stop the gateway (provisional codes, certificate matters without a type). */
    readonly warnings: string[] = [],
  ) {
    for (const t of types) for (const m of t.matters) this.byMatter.set(m.taskCode, { type: t, numberFrom: m.numberFrom });
  }

  static empty(): LicenceTypes {
    return new LicenceTypes([]);
  }

  forMatter(taskCode: string): MatterLicence | undefined {
    return this.byMatter.get(taskCode);
  }

  /**
   * Reads the table. `required`: the file was named (LICENCE_TYPES_FILE) and must exist; the
   * default one beside the catalogue may be missing (a test's own catalogue), which leaves every
   * licence parked as LICENCE_TYPE_UNKNOWN until a table is given.
   */
  static fromFile(path: string, catalogue: Catalogue, { required = true } = {}): LicenceTypes {
    if (!required && !existsSync(path)) {
      const issuing = catalogue.matters.filter((m) => m.issuesCertificate && !m.restriction);
      return new LicenceTypes(
        [],
        issuing.length ? [`没有证照类型表 ${path}：出证事项的证照将滞留待配置 no licence type table at ${path}: licences of certificate-issuing matters will park until one is given`] : [],
      );
    }
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new CatalogueError(`证照类型表无法读取或不是合法的 YAML，网关不能启动 licence type table cannot be read or is not valid YAML, the gateway cannot start: ${path}: ${(e as Error).message}`);
    }
    return LicenceTypes.fromObject(doc, catalogue, path);
  }

  /** Checks every entry and reports all problems at once, each naming its entry and field (Chinese and English). */
  static fromObject(doc: unknown, catalogue: Catalogue, source = 'licence-types'): LicenceTypes {
    const problems: string[] = [];
    const root = (doc ?? {}) as { licenceTypes?: unknown };
    if (!Array.isArray(root.licenceTypes)) {
      throw new CatalogueError(`证照类型表有误，网关不能启动 licence type table has errors, the gateway cannot start: ${source}: licenceTypes 必须是列表 must be a list`);
    }
    const types: LicenceType[] = [];
    const seenMatters = new Map<string, string>();
    (root.licenceTypes as any[]).forEach((raw, i) => {
      const at = `licenceTypes[${i}]${raw?.name ? ` (${raw.name})` : ''}`;
      const bad = (field: string, zh: string, en: string) => problems.push(`${at}.${field}: ${zh} ${en}`);
      if (!raw || typeof raw !== 'object') return problems.push(`${at}: 必须是映射 must be a mapping`);
      const code = String(raw.code ?? '');
      if (!LICENCE_TYPE_CODE.test(code)) bad('code', `"${code}" 不是证照类型代码（18位统一社会信用代码 + 3位数字）`, 'is not a licence type code (18-character credit code + 3 digits)');
      else if (!checkUscc(code.slice(0, 18)).checkDigitOk) bad('code', `"${code}" 前18位的统一社会信用代码校验位不对`, 'its first 18 characters fail the credit-code check character');
      else if (types.some((t) => t.code === code)) bad('code', `"${code}" 重复`, 'appears twice');
      if (typeof raw.name !== 'string' || !raw.name.trim()) bad('name', '必填', 'is required');
      if (!(raw.issuerLevel in ISSUER_LEVELS)) bad('issuerLevel', `应为 ${Object.keys(ISSUER_LEVELS).join(' ')} 之一`, `must be one of ${Object.keys(ISSUER_LEVELS).join(' ')}`);
      const src = raw.source ?? 'NATIONAL';
      if (src !== 'NATIONAL' && src !== 'PROVISIONAL') bad('source', '应为 NATIONAL 或 PROVISIONAL', 'must be NATIONAL or PROVISIONAL');
      const matters: LicenceType['matters'] = [];
      if (!Array.isArray(raw.matters) || !raw.matters.length) bad('matters', '至少列出一个事项', 'must list at least one matter');
      else
        raw.matters.forEach((m: any, j: number) => {
          const mat = `matters[${j}]`;
          const taskCode = String(m?.taskCode ?? '');
          const entry = catalogue.matter(taskCode);
          if (!entry) bad(`${mat}.taskCode`, `事项 "${taskCode}" 不在目录中`, `matter "${taskCode}" is not in the catalogue`);
          else if (!entry.issuesCertificate) bad(`${mat}.taskCode`, `事项 ${entry.name} 在目录中未标记出证 (issuesCertificate)`, `matter ${taskCode} is not marked issuesCertificate in the catalogue`);
          else if (entry.restriction) bad(`${mat}.taskCode`, `事项 ${entry.name} 不经网关办理`, `matter ${taskCode} never passes the gateway (${entry.restriction})`);
          if (seenMatters.has(taskCode)) bad(`${mat}.taskCode`, `事项 ${taskCode} 已属于 ${seenMatters.get(taskCode)}`, `matter ${taskCode} already issues ${seenMatters.get(taskCode)}`);
          seenMatters.set(taskCode, raw.name);
          const numberFrom = m?.numberFrom ?? 'DEPARTMENT';
          if (numberFrom !== 'DEPARTMENT' && numberFrom !== 'GATEWAY') bad(`${mat}.numberFrom`, '应为 DEPARTMENT 或 GATEWAY', 'must be DEPARTMENT or GATEWAY');
          matters.push({ taskCode, numberFrom });
        });
      types.push({ code, name: raw.name, issuerLevel: raw.issuerLevel, source: src, matters });
    });
    if (problems.length) {
      throw new CatalogueError(`证照类型表有误，网关不能启动 licence type table has errors, the gateway cannot start: ${source} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    }
    const warnings: string[] = [];
    const provisional = types.filter((t) => t.source === 'PROVISIONAL');
    if (provisional.length) {
      warnings.push(
        `证照类型代码为临时代码（待国家电子证照目录代码）：${provisional.map((t) => `${t.name} ${t.code}`).join('、')} — provisional licence type codes in use until the national catalogue's are configured (${source})`,
      );
    }
    const unmapped = catalogue.matters.filter((m) => m.issuesCertificate && !m.restriction && !seenMatters.has(m.taskCode));
    if (unmapped.length) {
      warnings.push(`出证事项没有证照类型，其证照将滞留待配置：${unmapped.map((m) => m.name).join('、')} — certificate-issuing matters without a licence type (their licences park): ${unmapped.map((m) => m.taskCode).join(', ')}`);
    }
    return new LicenceTypes(types, warnings);
  }
}
