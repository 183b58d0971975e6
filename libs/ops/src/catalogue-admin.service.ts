import { stringify as stringifyYaml } from 'yaml';
import { AdapterRegistry } from '#gw/adapters';
import { FieldIssue, validateCanonicalEvent } from '#gw/case';
import { Catalogue, CatalogueDocument, CatalogueError, CatalogueProblem, DepartmentEntry, MatterEntry } from '#gw/catalogue';
import { ErrorCodes, GatewayError } from '#gw/common';
import { CatalogueSync, checkCatalogueDocument } from '#gw/ingress';
import { AuditRepository, CatalogueVersion, CatalogueVersionRepository } from '#gw/persistence';
import type { CredentialAdminService } from './credential-admin.service';

/** The one adapter a department may be connected with from the dashboard: flat JSON by configuration. */
export const DASHBOARD_ADAPTER = 'mapped';

/** Who asked, for the audit log. */
export interface ChangeMeta {
  actor: string;
  correlationId?: string;
  address?: string;
}

/** The fields of a department entry the dashboard may set. */
const DEPARTMENT_KEYS = ['code', 'name', 'orgCode', 'adapter', 'enabled', 'deliveryUrl', 'options'] as const;
const MATTER_KEYS = ['taskCode', 'name', 'department', 'type', 'projectType', 'onlineCapable', 'restriction', 'timeLimit', 'issuesCertificate'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

const invalid = (message: string, errors: FieldIssue[]) => new GatewayError('CATALOGUE_INVALID', 422, message, errors);

/**
 * The dashboard's catalogue page: departments (flat JSON, the `mapped` adapter) and matters added
 * or replaced one entry at a time, each change checked whole as at start-up, stored as a new
 * `catalogue_version`, applied at once on this instance (other instances poll) and audited; any
 * older version can be restored (as a new version equal to it). A department saved here without a
 * working token gets one from the 部门令牌 machinery (`CredentialAdminService`: hashed in
 * `access_credential`, rotated and revoked on that page), answered once.
 */
export class CatalogueAdminService {
  /** Changes on this instance one at a time: each builds on the version the previous one stored. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly catalogue: Catalogue,
    private readonly sync: CatalogueSync,
    private readonly credentials: CredentialAdminService,
    private readonly repo: CatalogueVersionRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** The catalogue in force: its entries in the file's shape, where it comes from, how many working tokens each department has. */
  async current() {
    const doc = this.catalogue.toDocument();
    const tokens = new Map((await this.credentials.allDepartments()).map((d) => [d.code, d.tokens.filter(usable).length]));
    return {
      versionId: this.sync.versionId,
      source: this.sync.versionId ? 'database' : 'file',
      departments: doc.departments.map((d) => ({ ...d, tokens: d.restricted ? null : (tokens.get(d.code) ?? 0) })),
      matters: doc.matters,
    };
  }

  /**
   * The catalogue in force as `config/catalogue.yaml` text: the export format, to keep the file
   * (the seed of a fresh database) equal to what the dashboard made.
   */
  exportYaml(): string {
    const head = [
      `# 平江县政务服务事项目录 — exported from the dashboard (version ${this.sync.versionId ?? 'file'}, ${new Date().toISOString()}).`,
      '# 可替换 config/catalogue.yaml · may replace config/catalogue.yaml; checked whole at start-up.',
      '',
    ].join('\n');
    return head + stringifyYaml(this.catalogue.toDocument(), { lineWidth: 0 });
  }

  async versions() {
    return { current: this.sync.versionId, items: await this.repo.list(100) };
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Adds or replaces one department connected by the mapped adapter. */
  saveDepartment(body: unknown, meta: ChangeMeta) {
    return this.serial(() => this.doSaveDepartment(body, meta));
  }

  /** Adds or replaces one matter (事项) of a department of the catalogue. */
  saveMatter(body: unknown, meta: ChangeMeta) {
    return this.serial(() => this.doSaveMatter(body, meta));
  }

  /** Rollback: a new version equal to `id` (its departments and matters; tokens are not the catalogue's and stay). */
  restore(id: string, meta: ChangeMeta) {
    return this.serial(() => this.doRestore(id, meta));
  }

  private async doSaveDepartment(body: unknown, meta: ChangeMeta) {
    if (!isObject(body)) throw invalid('请求体应为一个部门条目 the body must be one department entry', [{ field: '', code: 'TYPE_OBJECT', message: '应为对象 must be an object' }]);
    await this.sync.poll(); // a version saved on another instance a moment ago is the base, not lost
    const entry: Record<string, unknown> = {};
    for (const k of DEPARTMENT_KEYS) if (body[k] !== undefined && body[k] !== null && body[k] !== '') entry[k] = body[k];
    if (typeof entry.code === 'string') entry.code = entry.code.trim().toUpperCase();
    if (typeof entry.orgCode === 'string') entry.orgCode = entry.orgCode.trim().toUpperCase();
    entry.adapter ??= DASHBOARD_ADAPTER;
    const code = String(entry.code ?? '');
    const before = this.catalogue.department(code);
    const problems: FieldIssue[] = [];
    if (entry.adapter !== DASHBOARD_ADAPTER) {
      problems.push({ field: 'adapter', code: 'VALUE_NOT_ALLOWED', message: `看板只能接入 mapped（JSON 映射）部门 only departments using the mapped (JSON mapping) adapter can be connected from the dashboard` });
    }
    if (before && (before.adapter !== DASHBOARD_ADAPTER || before.restricted)) {
      problems.push({ field: 'code', code: 'VALUE_NOT_ALLOWED', message: `部门 ${code} 由配置文件和专用适配器接入，不能在看板修改 department ${code} uses its own adapter: change it in config/catalogue.yaml` });
    }
    if (entry.options === undefined) problems.push({ field: 'options', code: 'REQUIRED', message: '映射配置必填 the mapping (options) is required' });
    if (problems.length) throw invalid('部门条目有误 the department entry is invalid', problems);

    const doc = this.catalogue.toDocument();
    const index = doc.departments.findIndex((d) => d.code === code);
    const departments = [...doc.departments] as unknown[];
    if (index >= 0) departments[index] = entry;
    else departments.push(entry);
    const next: CatalogueDocument = { departments: departments as DepartmentEntry[], matters: doc.matters };
    const checked = this.check(next, 'departments', code, '部门条目有误 the department entry is invalid');

    const comment = `${index >= 0 ? '修改部门' : '新增部门'} ${code} ${index >= 0 ? 'department changed' : 'department added'}`;
    const version = await this.store(checked, comment, meta, { change: index >= 0 ? 'CATALOGUE_DEPARTMENT_CHANGED' : 'CATALOGUE_DEPARTMENT_ADDED', departments: [code] });
    // A department with no working token (new, or all revoked) gets one now, like an issue on the
    // 部门令牌 page (audited there as DEPT_TOKEN_ISSUED); one that has a token keeps it.
    let token: string | undefined;
    const held = await this.credentials.listDepartmentTokens(code);
    if (!held.items.some(usable)) {
      token = (await this.credentials.issueDepartmentToken(code, 0, meta.actor, { correlationId: meta.correlationId, ip: meta.address })).token;
    }
    return {
      versionId: version.id,
      department: checked.department(code),
      ...(token
        ? { token, tokenNote: '令牌只显示这一次，请复制后交给部门系统的开发商 the token is shown this once: copy it to the department system (Authorization: Bearer <token>)' }
        : {}),
    };
  }

  private async doSaveMatter(body: unknown, meta: ChangeMeta) {
    if (!isObject(body)) throw invalid('请求体应为一个事项条目 the body must be one matter entry', [{ field: '', code: 'TYPE_OBJECT', message: '应为对象 must be an object' }]);
    await this.sync.poll();
    const entry: Record<string, unknown> = {};
    for (const k of MATTER_KEYS) if (body[k] !== undefined && body[k] !== null && body[k] !== '') entry[k] = body[k];
    if (typeof entry.taskCode === 'string') entry.taskCode = entry.taskCode.trim().toUpperCase();
    if (typeof entry.department === 'string') entry.department = entry.department.trim().toUpperCase();
    const code = String(entry.taskCode ?? '');
    const dept = this.catalogue.department(String(entry.department ?? ''));
    if (dept?.restricted) {
      throw invalid('事项条目有误 the matter entry is invalid', [{ field: 'department', code: 'VALUE_NOT_ALLOWED', message: `部门 ${dept.code} 涉密，其事项只能在配置文件中修改 department ${dept.code} is classified: change its matters in config/catalogue.yaml` }]);
    }
    const doc = this.catalogue.toDocument();
    const index = doc.matters.findIndex((m) => m.taskCode === code);
    const matters = [...doc.matters] as unknown[];
    if (index >= 0) matters[index] = entry;
    else matters.push(entry);
    const checked = this.check({ departments: doc.departments, matters: matters as MatterEntry[] }, 'matters', code, '事项条目有误 the matter entry is invalid');
    const comment = `${index >= 0 ? '修改事项' : '新增事项'} ${code} ${index >= 0 ? 'matter changed' : 'matter added'}`;
    const version = await this.store(checked, comment, meta, { change: index >= 0 ? 'CATALOGUE_MATTER_CHANGED' : 'CATALOGUE_MATTER_ADDED', matters: [code], departments: [String(entry.department)] });
    return { versionId: version.id, matter: checked.matter(code) };
  }

  private async doRestore(id: string, meta: ChangeMeta) {
    const old = await this.repo.get(id);
    if (!old) throw new GatewayError(ErrorCodes.NOT_FOUND, 404, `没有目录版本 ${id} no catalogue version ${id}`);
    await this.sync.poll();
    let checked: Catalogue;
    try {
      checked = checkCatalogueDocument(old.document, `version ${id}`);
    } catch (e) {
      if (e instanceof CatalogueError) throw invalid(`版本 ${id} 已不能使用 version ${id} can no longer be used`, this.issues(e.problems));
      throw e;
    }
    const before = this.catalogue.toDocument();
    const after = checked.toDocument();
    const diff = {
      departments: symmetricDifference(before.departments.map((d) => d.code), after.departments.map((d) => d.code)),
      matters: symmetricDifference(before.matters.map((m) => m.taskCode), after.matters.map((m) => m.taskCode)),
    };
    const version = await this.store(checked, `恢复到版本 ${id} restored version ${id}`, meta, { change: 'CATALOGUE_RESTORED', restoredFrom: id, ...diff });
    return { versionId: version.id, restoredFrom: id };
  }

  /**
   * Maps `sample` (one event as the department would post it) with `options` (or the department's
   * saved mapping) and answers the canonical case and every issue; nothing is stored, applied or
   * logged. The case is answered unmasked: it is the admin's own pasted sample, not a stored case
   * (the admin still sees no case of the gateway's).
   */
  tryMapping(code: string, body: unknown) {
    if (!isObject(body)) throw invalid('请求体应为 { options?, sample } the body must be { options?, sample }', [{ field: '', code: 'TYPE_OBJECT', message: '应为对象 must be an object' }]);
    const upper = String(code ?? '').toUpperCase();
    const saved = this.catalogue.department(upper);
    const options = body.options ?? (saved?.adapter === DASHBOARD_ADAPTER ? saved.options : undefined);
    if (!isObject(options)) throw invalid('没有可用的映射配置 no mapping to try', [{ field: 'options', code: 'REQUIRED', message: '映射配置必填 the mapping (options) is required' }]);
    if (body.sample === undefined || body.sample === null || body.sample === '') {
      throw invalid('请粘贴一条样例报文 paste one sample event', [{ field: 'sample', code: 'REQUIRED', message: '样例报文必填 a sample event is required' }]);
    }
    const dept: DepartmentEntry = { code: upper || 'TRY', name: saved?.name ?? upper, orgCode: saved?.orgCode ?? '', adapter: DASHBOARD_ADAPTER, enabled: true, restricted: false, options };
    let adapter;
    try {
      adapter = AdapterRegistry.create(dept, this.catalogue);
    } catch (e) {
      throw invalid('映射配置有误 the mapping cannot be used', [{ field: 'options', code: 'MAPPING_INVALID', message: `映射配置有误 the mapping cannot be used: ${(e as Error).message}` }]);
    }
    const text = typeof body.sample === 'string' ? body.sample : JSON.stringify(body.sample);
    const parsed = adapter.parseEvent({ department: dept.code, mediaType: 'application/json', headers: {}, body: Buffer.from(text, 'utf8'), receivedAt: new Date() });
    const where = (issues: FieldIssue[]) => issues.map((i) => ({ ...i, source: adapter.sourceField(i.field) }));
    if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message, event: null, issues: where(parsed.issues ?? []), warnings: [] };
    const issues: FieldIssue[] = [...parsed.event.issues];
    const validation = validateCanonicalEvent(parsed.event.event);
    for (const e of validation.errors) if (!issues.some((i) => i.field === e.field)) issues.push(e);
    const matterCode = parsed.event.event.matterCode;
    if (typeof matterCode === 'string' && !issues.some((i) => i.field === 'matterCode')) {
      const matter = this.catalogue.matter(matterCode);
      if (!matter) issues.push({ field: 'matterCode', code: 'MATTER_UNKNOWN', message: `事项 ${matterCode} 不在目录中，请先添加 matter ${matterCode} is not in the catalogue: add it first` });
      else if (matter.department !== dept.code) issues.push({ field: 'matterCode', code: 'MATTER_NOT_OF_DEPARTMENT', message: `事项属于 ${matter.department} the matter belongs to ${matter.department}` });
    }
    return {
      ok: issues.length === 0,
      code: issues.length ? ErrorCodes.VALIDATION_FAILED : 'ACCEPTED',
      event: validation.event ?? parsed.event.event,
      issues: where(issues),
      warnings: validation.warnings,
    };
  }

  private check(doc: CatalogueDocument, list: 'departments' | 'matters', code: string, message: string): Catalogue {
    try {
      return checkCatalogueDocument(doc, 'dashboard');
    } catch (e) {
      if (!(e instanceof CatalogueError)) throw e;
      const own = e.problems.filter((p) => p.list === list && (p.entry === code || p.index === (list === 'departments' ? doc.departments.length - 1 : doc.matters.length - 1) || p.entry === undefined));
      const mine = e.problems.filter((p) => p.list === list && p.entry === code);
      throw invalid(message, this.issues(mine.length ? mine : own.length ? own : e.problems));
    }
  }

  private issues(problems: CatalogueProblem[]): FieldIssue[] {
    return problems.map((p) => ({ field: p.field, code: p.code, message: p.message }));
  }

  private async store(checked: Catalogue, comment: string, meta: ChangeMeta, detail: Record<string, unknown>): Promise<CatalogueVersion> {
    // Saved on another instance since this one looked (a moment ago, at the change's start): refused
    // rather than overwritten; the admin reloads and sees the other change.
    const latest = await this.repo.latestId();
    if (latest !== this.sync.versionId) {
      throw new GatewayError('CATALOGUE_CONFLICT', 409, `目录刚被他人修改（版本 ${latest}），请刷新后再保存 the catalogue was just changed elsewhere (version ${latest}): reload and save again`);
    }
    // The first change keeps the file's catalogue as version 1 before it: there is always a version to go back to.
    if (latest === null) {
      await this.repo.add({ document: this.catalogue.toDocument(), createdBy: meta.actor, comment: '初始目录（来自 config/catalogue.yaml）the seed catalogue, from config/catalogue.yaml' });
    }
    const version = await this.repo.add({ document: checked.toDocument(), createdBy: meta.actor, comment });
    this.sync.apply(version);
    // What changed, by code.
    await this.audit.append({
      actor: meta.actor,
      action: 'CATALOGUE_CHANGED',
      targetType: 'catalogue',
      targetId: version.id,
      detail: { version: version.id, ...detail },
      correlationId: meta.correlationId,
      address: meta.address,
    });
    return version;
  }
}

/** A token that works now (an issued one in its overlap still does). */
const usable = (t: { state: string }) => t.state === 'active' || t.state === 'expiring';

function symmetricDifference(a: string[], b: string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((x) => !sb.has(x)), ...b.filter((x) => !sa.has(x))];
}
