import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MATTER_TYPES, TIME_LIMIT_UNITS, checkUscc, isMatterCode } from '#gw/case';
import type { DepartmentEntry, MatterEntry } from './catalogue.types';
import type { LicenceTypes, MatterLicence } from './licence-types';

/** A catalogue entry that cannot be used; the message names the entry and the field. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

/** Departments and matters the gateway knows, loaded from `config/catalogue.yaml` and checked whole. */
export class Catalogue {
  private readonly departmentsByCode = new Map<string, DepartmentEntry>();
  private readonly mattersByCode = new Map<string, MatterEntry>();
  private licenceTable?: LicenceTypes;

  constructor(departments: DepartmentEntry[], matters: MatterEntry[]) {
    for (const d of departments) this.departmentsByCode.set(d.code, d);
    for (const m of matters) this.mattersByCode.set(m.taskCode, m);
  }

  get departments(): DepartmentEntry[] {
    return [...this.departmentsByCode.values()];
  }

  get matters(): MatterEntry[] {
    return [...this.mattersByCode.values()];
  }

  /** Looks a department up by its code in any case (`scjg` in URLs, `SCJG` in config). */
  department(code: string): DepartmentEntry | undefined {
    return this.departmentsByCode.get(String(code ?? '').toUpperCase());
  }

  matter(taskCode: string): MatterEntry | undefined {
    return this.mattersByCode.get(taskCode);
  }

  /** Attaches the electronic licence types (`config/licence-types.yaml`), checked against this catalogue. */
  useLicenceTypes(table: LicenceTypes): this {
    this.licenceTable = table;
    return this;
  }

  get licenceTypes(): LicenceTypes | undefined {
    return this.licenceTable;
  }

  /** The licence a matter's completion issues (type and who numbers it), when the table has one. */
  licenceOf(taskCode: string): MatterLicence | undefined {
    return this.licenceTable?.forMatter(taskCode);
  }

  mattersOf(department: string): MatterEntry[] {
    return this.matters.filter((m) => m.department === department);
  }

  static fromFile(path: string): Catalogue {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new CatalogueError(`目录文件无法读取 catalogue file cannot be read: ${path} (${(e as Error).message})`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new CatalogueError(`目录文件不是合法的 YAML catalogue file is not valid YAML: ${path}: ${(e as Error).message}`);
    }
    return Catalogue.fromObject(doc, path);
  }

  /** Checks every entry and reports all problems at once, each naming its entry and field. */
  static fromObject(doc: unknown, source = 'catalogue'): Catalogue {
    const problems: string[] = [];
    const root = (doc ?? {}) as { departments?: unknown; matters?: unknown };
    if (!Array.isArray(root.departments)) problems.push('departments: must be a list');
    if (!Array.isArray(root.matters)) problems.push('matters: must be a list');
    if (problems.length) throw new CatalogueError(`${source}: ${problems.join('; ')}`);

    const departments: DepartmentEntry[] = [];
    (root.departments as any[]).forEach((raw, i) => {
      const at = `departments[${i}]${raw?.code ? ` (${raw.code})` : ''}`;
      const bad = (field: string, why: string) => problems.push(`${at}.${field}: ${why}`);
      if (!raw || typeof raw !== 'object') return problems.push(`${at}: must be a mapping`);
      if (typeof raw.code !== 'string' || !/^[A-Z][A-Z0-9]{1,15}$/.test(raw.code)) bad('code', 'must be 2–16 upper-case letters or digits, e.g. SCJG');
      if (typeof raw.name !== 'string' || !raw.name.trim()) bad('name', 'is required');
      const org = checkUscc(String(raw.orgCode ?? ''));
      if (!org.wellFormed || !org.checkDigitOk) bad('orgCode', `"${raw.orgCode}" is not a valid unified social credit code`);
      // A restricted department needs no adapter: nothing of it is ever read.
      if (!(raw.restricted === true && raw.adapter === undefined) && (typeof raw.adapter !== 'string' || !/^[a-z][a-z0-9-]*$/.test(raw.adapter))) bad('adapter', 'must name an adapter folder, e.g. scjg');
      if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') bad('enabled', 'must be true or false');
      if (raw.restricted !== undefined && typeof raw.restricted !== 'boolean') bad('restricted', 'must be true or false');
      if (raw.deliveryUrl !== undefined && raw.deliveryUrl !== null && !/^https?:\/\/\S+$/.test(String(raw.deliveryUrl))) bad('deliveryUrl', 'must be an http(s) URL');
      if (raw.options !== undefined && (typeof raw.options !== 'object' || Array.isArray(raw.options))) bad('options', 'must be a mapping');
      if (departments.some((d) => d.code === raw.code)) bad('code', 'appears twice');
      departments.push({
        code: raw.code,
        name: raw.name,
        orgCode: org.normalized ?? raw.orgCode,
        adapter: raw.adapter ?? 'none',
        enabled: raw.enabled ?? true,
        restricted: raw.restricted ?? false,
        deliveryUrl: raw.deliveryUrl ?? undefined,
        options: raw.options ?? undefined,
      });
    });

    const matters: MatterEntry[] = [];
    (root.matters as any[]).forEach((raw, i) => {
      const at = `matters[${i}]${raw?.taskCode ? ` (${raw.taskCode})` : ''}`;
      const bad = (field: string, why: string) => problems.push(`${at}.${field}: ${why}`);
      if (!raw || typeof raw !== 'object') return problems.push(`${at}: must be a mapping`);
      if (typeof raw.taskCode !== 'string' || !isMatterCode(raw.taskCode)) bad('taskCode', 'must be 12–36 characters of 0-9 A-Z');
      if (typeof raw.name !== 'string' || !raw.name.trim()) bad('name', 'is required');
      if (!departments.some((d) => d.code === raw.department)) bad('department', `"${raw.department}" is not a department of this catalogue`);
      const type = String(raw.type ?? '').padStart(2, '0');
      if (!(type in MATTER_TYPES)) bad('type', `must be one of ${Object.keys(MATTER_TYPES).join(' ')}`);
      const projectType = raw.projectType ?? 2;
      if (![1, 2, 3, 4].includes(projectType)) bad('projectType', 'must be 1 即办 2 承诺 3 联办 4 上报');
      const restriction = raw.restriction ?? null;
      if (restriction !== null && restriction !== 'CLASSIFIED' && restriction !== 'UPSTREAM') bad('restriction', 'must be CLASSIFIED, UPSTREAM or absent');
      if (raw.timeLimit !== undefined) {
        const tl = raw.timeLimit;
        if (!tl || !Number.isInteger(tl.value) || tl.value <= 0) bad('timeLimit.value', 'must be a positive whole number');
        if (!tl || !(TIME_LIMIT_UNITS as readonly string[]).includes(tl.unit)) bad('timeLimit.unit', `must be one of ${TIME_LIMIT_UNITS.join(' ')}`);
      }
      if (matters.some((m) => m.taskCode === raw.taskCode)) bad('taskCode', 'appears twice');
      matters.push({
        taskCode: raw.taskCode,
        name: raw.name,
        department: raw.department,
        type: type as MatterEntry['type'],
        projectType,
        onlineCapable: raw.onlineCapable ?? false,
        restriction,
        timeLimit: raw.timeLimit,
        issuesCertificate: raw.issuesCertificate ?? false,
      });
    });

    if (problems.length) {
      throw new CatalogueError(`目录配置有误 catalogue ${source} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    }
    return new Catalogue(departments, matters);
  }
}
