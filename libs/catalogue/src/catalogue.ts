import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MATTER_TYPES, TIME_LIMIT_UNITS, checkUscc, isMatterCode } from '#gw/case';
import type { DepartmentEntry, MatterEntry } from './catalogue.types';
import type { LicenceTypes, MatterLicence } from './licence-types';

/** One problem of a catalogue document: which entry, which field, why (Chinese first), as a stable code. */
export interface CatalogueProblem {
  /** `departments` or `matters` (absent: the document itself). */
  list?: 'departments' | 'matters';
  index?: number;
  /** The entry's own code (department code or matter taskCode), when it has one. */
  entry?: string;
  field: string;
  /** A field-problem code of the code catalogue (`USCC_INVALID`, `MATTER_CODE_FORMAT`, ...). */
  code: string;
  message: string;
}

/** A catalogue entry that cannot be used; the message names the entry and the field. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  constructor(
    message: string,
    /** The same problems one by one (empty for a file that cannot be read at all). */
    readonly problems: CatalogueProblem[] = [],
  ) {
    super(message);
  }
}

/** A catalogue as stored and exported: the shape of `config/catalogue.yaml`. */
export interface CatalogueDocument {
  departments: DepartmentEntry[];
  matters: MatterEntry[];
}

/** Departments and matters the gateway knows, loaded from `config/catalogue.yaml` and checked whole. */
export class Catalogue {
  private departmentsByCode = new Map<string, DepartmentEntry>();
  private mattersByCode = new Map<string, MatterEntry>();
  private licenceTable?: LicenceTypes;

  constructor(departments: DepartmentEntry[], matters: MatterEntry[]) {
    for (const d of departments) this.departmentsByCode.set(d.code, d);
    for (const m of matters) this.mattersByCode.set(m.taskCode, m);
  }

  /**
   * Takes over the departments and matters of `next` (already checked whole), in place.
   *
   * Why in place rather than a new object: the one Catalogue made at start-up is injected into
   * ingress, dispatch, callbacks, ops and reports (a dozen holders, some outside Nest). Swapping
   * the two maps — two reference assignments in one synchronous step, so no request sees one new
   * map and one old — makes every holder read the new content at its next look-up, without a
   * restart and without teaching each holder to re-resolve a provider. Nothing keeps an entry
   * across awaits longer than one request, which finishes with the entry it started with.
   * The licence types stay (they are `config/licence-types.yaml`'s, not the catalogue's); a new
   * certificate-issuing matter without a type parks its licences, as at start-up.
   */
  replace(next: Catalogue): this {
    const departments = new Map(next.departmentsByCode);
    const matters = new Map(next.mattersByCode);
    this.departmentsByCode = departments;
    this.mattersByCode = matters;
    return this;
  }

  /** The catalogue in its file's shape (what is stored as a version and exported). */
  toDocument(): CatalogueDocument {
    const clean = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
    return { departments: this.departments.map(clean), matters: this.matters.map(clean) };
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
    const found: CatalogueProblem[] = [];
    const root = (doc ?? {}) as { departments?: unknown; matters?: unknown };
    if (!Array.isArray(root.departments)) problems.push('departments: must be a list');
    if (!Array.isArray(root.matters)) problems.push('matters: must be a list');
    if (problems.length) {
      throw new CatalogueError(`${source}: ${problems.join('; ')}`, problems.map((p) => ({ field: p.split(':')[0], code: 'TYPE_ARRAY', message: `应为列表 ${p}` })));
    }

    const departments: DepartmentEntry[] = [];
    (root.departments as any[]).forEach((raw, i) => {
      const at = `departments[${i}]${raw?.code ? ` (${raw.code})` : ''}`;
      const bad = (field: string, why: string, code = 'VALUE_NOT_ALLOWED') => {
        problems.push(`${at}.${field}: ${why}`);
        found.push({ list: 'departments', index: i, entry: typeof raw?.code === 'string' ? raw.code : undefined, field, code, message: why });
      };
      if (!raw || typeof raw !== 'object') return bad('', '应为映射 must be a mapping', 'TYPE_OBJECT');
      if (typeof raw.code !== 'string' || !/^[A-Z][A-Z0-9]{1,15}$/.test(raw.code)) bad('code', '部门代码应为2–16位大写字母或数字 must be 2–16 upper-case letters or digits, e.g. SCJG');
      if (typeof raw.name !== 'string' || !raw.name.trim()) bad('name', '部门名称必填 is required', 'REQUIRED');
      const org = checkUscc(String(raw.orgCode ?? ''));
      if (!org.wellFormed || !org.checkDigitOk) {
        bad('orgCode', `"${raw.orgCode ?? ''}" 不是有效的统一社会信用代码（GB 32100 ${org.wellFormed ? '校验位不对' : '应为18位'}） is not a valid unified social credit code`, 'USCC_INVALID');
      }
      // A restricted department needs no adapter: nothing of it is ever read.
      if (!(raw.restricted === true && raw.adapter === undefined) && (typeof raw.adapter !== 'string' || !/^[a-z][a-z0-9-]*$/.test(raw.adapter))) bad('adapter', '应为适配器目录名 must name an adapter folder, e.g. scjg');
      if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') bad('enabled', '应为 true 或 false must be true or false');
      if (raw.restricted !== undefined && typeof raw.restricted !== 'boolean') bad('restricted', '应为 true 或 false must be true or false');
      if (raw.deliveryUrl !== undefined && raw.deliveryUrl !== null && !/^https?:\/\/\S+$/.test(String(raw.deliveryUrl))) bad('deliveryUrl', '应为 http(s) 地址 must be an http(s) URL');
      if (raw.options !== undefined && (typeof raw.options !== 'object' || Array.isArray(raw.options))) bad('options', '应为映射 must be a mapping', 'TYPE_OBJECT');
      if (departments.some((d) => d.code === raw.code)) bad('code', '重复 appears twice', 'VALUE_REPEATED');
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
      const bad = (field: string, why: string, code = 'VALUE_NOT_ALLOWED') => {
        problems.push(`${at}.${field}: ${why}`);
        found.push({ list: 'matters', index: i, entry: typeof raw?.taskCode === 'string' ? raw.taskCode : undefined, field, code, message: why });
      };
      if (!raw || typeof raw !== 'object') return bad('', '应为映射 must be a mapping', 'TYPE_OBJECT');
      if (typeof raw.taskCode !== 'string' || !isMatterCode(raw.taskCode)) bad('taskCode', '事项编码应为12–36位数字或大写字母 must be 12–36 characters of 0-9 A-Z', 'MATTER_CODE_FORMAT');
      if (typeof raw.name !== 'string' || !raw.name.trim()) bad('name', '事项名称必填 is required', 'REQUIRED');
      if (!departments.some((d) => d.code === raw.department)) bad('department', `"${raw.department ?? ''}" 不是目录中的部门 is not a department of this catalogue`, 'DEPARTMENT_UNKNOWN');
      const type = String(raw.type ?? '').padStart(2, '0');
      if (!(type in MATTER_TYPES)) bad('type', `事项类型应为 must be one of ${Object.keys(MATTER_TYPES).join(' ')}`);
      const projectType = raw.projectType ?? 2;
      if (![1, 2, 3, 4].includes(projectType)) bad('projectType', '办件类型应为 must be 1 即办 2 承诺 3 联办 4 上报');
      const restriction = raw.restriction ?? null;
      if (restriction !== null && restriction !== 'CLASSIFIED' && restriction !== 'UPSTREAM') bad('restriction', '应为 CLASSIFIED、UPSTREAM 或不填 must be CLASSIFIED, UPSTREAM or absent');
      if (raw.timeLimit !== undefined) {
        const tl = raw.timeLimit;
        if (!tl || !Number.isInteger(tl.value) || tl.value <= 0) bad('timeLimit.value', '承诺时限应为正整数 must be a positive whole number');
        if (!tl || !(TIME_LIMIT_UNITS as readonly string[]).includes(tl.unit)) bad('timeLimit.unit', `时限单位应为 must be one of ${TIME_LIMIT_UNITS.join(' ')}`);
      }
      if (matters.some((m) => m.taskCode === raw.taskCode)) bad('taskCode', '重复 appears twice', 'VALUE_REPEATED');
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
      throw new CatalogueError(`目录配置有误 catalogue ${source} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, found);
    }
    return new Catalogue(departments, matters);
  }
}
