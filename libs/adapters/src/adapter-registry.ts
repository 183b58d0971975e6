import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '#gw/catalogue';
import { CatalogueError } from '#gw/catalogue';
import type { DepartmentAdapter, DepartmentAdapterFactory } from './department-adapter';

/**
 * Builds one adapter per enabled department from the folder its catalogue entry names
 * (`departments/<adapter>/`, exporting `createAdapter`). Looking adapters up by folder keeps
 * "a new department is its folder and a catalogue entry" literally true: nothing else changes.
 */
export class AdapterRegistry {
  private readonly adapters = new Map<string, DepartmentAdapter>();

  constructor(catalogue: Catalogue) {
    const problems: string[] = [];
    for (const dept of catalogue.departments) {
      if (!dept.enabled || dept.restricted) continue;
      try {
        const factory = AdapterRegistry.loadFactory(dept.adapter);
        this.adapters.set(dept.code, factory(dept, catalogue));
      } catch (e) {
        problems.push(`departments (${dept.code}).adapter "${dept.adapter}": ${(e as Error).message}`);
      }
    }
    if (problems.length) throw new CatalogueError(`部门适配器无法加载 department adapters cannot be loaded:\n  - ${problems.join('\n  - ')}`);
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
