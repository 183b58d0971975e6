import { Logger } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue, CatalogueError } from '#gw/catalogue';
import { ConfigError } from '#gw/common';
import type { CatalogueVersion, CatalogueVersionRepository } from '#gw/persistence';

/** Default of `CATALOGUE_POLL_MS`: how soon another instance's saved catalogue reaches this one. */
export const CATALOGUE_POLL_MS = 5000;

/** `CATALOGUE_POLL_MS`: milliseconds between looks at the newest catalogue version (500–600000), or `off`. */
export function cataloguePollMs(env: Readonly<Record<string, string | undefined>>): number | null {
  const raw = env.CATALOGUE_POLL_MS;
  if (raw === undefined || raw === '') return CATALOGUE_POLL_MS;
  if (raw === 'off') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 500 || n > 600_000) {
    throw new ConfigError(`CATALOGUE_POLL_MS=${raw.slice(0, 16)}: 须为500到600000的整数（毫秒）或 off must be whole milliseconds from 500 to 600000, or off`);
  }
  return n;
}

/** Checks a catalogue document whole, as start-up would: entries, then every adapter (mappings). */
export function checkCatalogueDocument(doc: unknown, source = 'catalogue'): Catalogue {
  const next = Catalogue.fromObject(doc, source);
  AdapterRegistry.build(next);
  return next;
}

/**
 * Keeps this process's catalogue and adapters equal to the newest `catalogue_version`: at start-up (a stored version wins over `config/catalogue.yaml`),
 * after a change saved here (`apply`), and every `CATALOGUE_POLL_MS` for changes saved on another
 * instance. Applying swaps the content of the shared Catalogue and AdapterRegistry in place (see
 * `Catalogue.replace`), so nothing restarts and no holder needs telling.
 */
export class CatalogueSync {
  private current: string | null = null;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private readonly log = new Logger('Catalogue');

  constructor(
    private readonly catalogue: Catalogue,
    private readonly adapters: AdapterRegistry,
    private readonly repo: CatalogueVersionRepository | undefined,
    private readonly pollMs: number | null,
  ) {}

  /** The id of the version in force here, or null while the file is. */
  get versionId(): string | null {
    return this.current;
  }

  /** Start-up: the newest stored version, if any, replaces the file's catalogue. A bad one stops start-up. */
  async load(): Promise<void> {
    if (!this.repo) return;
    const latest = await this.repo.latest();
    if (!latest) return;
    try {
      this.apply(latest);
    } catch (e) {
      if (e instanceof CatalogueError) {
        throw new CatalogueError(`数据库中的目录版本 ${latest.id} 无法使用，网关未启动 the catalogue version ${latest.id} in the database cannot be used: ${e.message}`, e.problems);
      }
      throw e;
    }
    this.log.log(`目录使用数据库版本 ${latest.id} the catalogue is version ${latest.id} from the database (saved ${latest.createdAt.toISOString()} by ${latest.createdBy})`);
  }

  /** Makes `version` the catalogue of this process, at once; throws (changing nothing) if it cannot be used. */
  apply(version: Pick<CatalogueVersion, 'id' | 'document'>): void {
    const next = checkCatalogueDocument(version.document, `version ${version.id}`);
    this.catalogue.replace(next);
    this.adapters.replace(this.catalogue);
    this.current = version.id;
  }

  start(): void {
    if (!this.repo || this.pollMs === null || this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the newest version id; a newer one is applied. Never throws (the database may be away). */
  async poll(): Promise<boolean> {
    if (!this.repo || this.polling) return false;
    this.polling = true;
    try {
      const id = await this.repo.latestId();
      if (id === null || id === this.current) return false;
      const version = await this.repo.get(id);
      if (!version) return false;
      this.apply(version);
      this.log.log(`目录已更新为版本 ${id} the catalogue is now version ${id} (saved by ${version.createdBy}: ${version.comment})`);
      return true;
    } catch (e) {
      this.log.warn(`目录版本检查失败，稍后再试 checking the catalogue version failed, will retry: ${(e as Error).message}`);
      return false;
    } finally {
      this.polling = false;
    }
  }
}
