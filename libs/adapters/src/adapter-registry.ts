import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue, DepartmentEntry } from '#gw/catalogue';
import { CatalogueError, type CatalogueProblem } from '#gw/catalogue';
import type { DepartmentAdapter, DepartmentAdapterFactory } from './department-adapter';

/**
 * Builds one adapter per enabled department from the folder its catalogue entry names
 * (`departments/<adapter>/`, exporting `createAdapter`). Looking adapters up by folder keeps
 * "a new department is its folder and a catalogue entry" literally true: nothing else changes.
 */
export class AdapterRegistry {
  private adapters: Map<string, DepartmentAdapter>;

  constructor(catalogue: Catalogue) {
    this.adapters = AdapterRegistry.build(catalogue);
  }

  /**
   * Rebuilds every adapter from `catalogue` and swaps them in at once, in place, for the same
   * reason as `Catalogue.replace`: the registry is injected into ingress, dispatch and callbacks.
   * All adapters are built first; if any cannot be, nothing changes (CatalogueError). A request
   * already holding an adapter finishes with it.
   */
  replace(catalogue: Catalogue): this {
    this.adapters = AdapterRegistry.build(catalogue);
    return this;
  }

  /** One adapter per enabled, unrestricted department; every failure named at once. */
  static build(catalogue: Catalogue): Map<string, DepartmentAdapter> {
    const adapters = new Map<string, DepartmentAdapter>();
    const problems: string[] = [];
    const found: CatalogueProblem[] = [];
    for (const dept of catalogue.departments) {
      if (!dept.enabled || dept.restricted) continue;
      let factory: DepartmentAdapterFactory;
      try {
        factory = AdapterRegistry.loadFactory(dept.adapter);
      } catch (e) {
        problems.push(`departments (${dept.code}).adapter "${dept.adapter}": ${(e as Error).message}`);
        found.push({ list: 'departments', entry: dept.code, field: 'adapter', code: 'VALUE_NOT_ALLOWED', message: `没有这个适配器 no such adapter: ${(e as Error).message}` });
        continue;
      }
      try {
        adapters.set(dept.code, factory(dept, catalogue));
      } catch (e) {
        problems.push(`departments (${dept.code}).adapter "${dept.adapter}": ${(e as Error).message}`);
        found.push({ list: 'departments', entry: dept.code, field: 'options', code: 'MAPPING_INVALID', message: `映射配置有误 the mapping cannot be used: ${(e as Error).message}` });
      }
    }
    if (problems.length) throw new CatalogueError(`部门适配器无法加载 department adapters cannot be loaded:\n  - ${problems.join('\n  - ')}`, found);
    return adapters;
  }

  /** Builds one department's adapter from its entry (e.g. to try a mapping before it is saved); throws if it cannot. */
  static create(dept: DepartmentEntry, catalogue: Catalogue): DepartmentAdapter {
    return AdapterRegistry.loadFactory(dept.adapter)(dept, catalogue);
  }

  /** The adapter of an enabled, unrestricted department, or undefined. */
  get(code: string): DepartmentAdapter | undefined {
    return this.adapters.get(String(code).toUpperCase());
  }

  all(): DepartmentAdapter[] {
    return [...this.adapters.values()];
  }

  private static loadFactory(name: string): DepartmentAdapterFactory {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error('not a valid adapter name');
    const folder = join(__dirname, 'departments', name);
    if (!existsSync(folder)) throw new Error(`no adapter folder libs/adapters/src/departments/${name}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(folder) as { createAdapter?: DepartmentAdapterFactory };
    if (typeof mod.createAdapter !== 'function') throw new Error(`departments/${name} does not export createAdapter`);
    return mod.createAdapter;
  }
}
