import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue, CatalogueError } from '#gw/catalogue';
import type { CatalogueVersion, CatalogueVersionRepository } from '#gw/persistence';
import { CatalogueSync, cataloguePollMs } from './catalogue-sync';

const FILE = join(__dirname, '../../../config/catalogue.yaml');

/** A repository of versions in memory. */
function memoryRepo(versions: CatalogueVersion[] = []) {
  return {
    versions,
    latestId: async () => versions.at(-1)?.id ?? null,
    latest: async () => versions.at(-1) ?? null,
    get: async (id: string) => versions.find((v) => v.id === id) ?? null,
  } as unknown as CatalogueVersionRepository & { versions: CatalogueVersion[] };
}

function withDepartment(code: string): unknown {
  const doc = Catalogue.fromFile(FILE).toDocument();
  const mzj = doc.departments.find((d) => d.code === 'MZJ')!;
  return { ...doc, departments: [...doc.departments, { ...mzj, code, name: `${code} 测试部门` }] };
}

const version = (id: string, document: unknown): CatalogueVersion => ({
  id,
  document,
  createdAt: new Date(),
  createdBy: 'test',
  comment: 'test',
});

describe('CatalogueSync: the catalogue swapped in place', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  it('a stored version wins at start; every holder of the shared objects sees it', async () => {
    const catalogue = Catalogue.fromFile(FILE);
    const adapters = new AdapterRegistry(catalogue);
    const held = { catalogue, adapters }; // what a service injected at start-up keeps
    const sync = new CatalogueSync(catalogue, adapters, memoryRepo([version('7', withDepartment('TYJ'))]), null);
    expect(held.catalogue.department('TYJ')).toBeUndefined();
    await sync.load();
    expect(sync.versionId).toBe('7');
    expect(held.catalogue.department('tyj')?.name).toBe('TYJ 测试部门');
    expect(held.adapters.get('TYJ')?.department.code).toBe('TYJ');
  });

  it('a version that cannot be used changes nothing (and stops start-up with the reason)', async () => {
    const catalogue = Catalogue.fromFile(FILE);
    const adapters = new AdapterRegistry(catalogue);
    const broken = withDepartment('TYJ') as { departments: { code: string; options?: unknown }[] };
    broken.departments.at(-1)!.options = { fields: { nosuch: 'x' } };
    const sync = new CatalogueSync(catalogue, adapters, memoryRepo([version('3', broken)]), null);
    await expect(sync.load()).rejects.toThrow(CatalogueError);
    await expect(sync.load()).rejects.toThrow(/目录版本 3 无法使用/);
    expect(catalogue.department('TYJ')).toBeUndefined();
    expect(adapters.get('MZJ')).toBeDefined();
    expect(sync.versionId).toBeNull();
  });

  it('polls: a newer version is applied, a failing look is only logged', async () => {
    const catalogue = Catalogue.fromFile(FILE);
    const repo = memoryRepo();
    const sync = new CatalogueSync(catalogue, new AdapterRegistry(catalogue), repo, null);
    expect(await sync.poll()).toBe(false);
    repo.versions.push(version('1', withDepartment('ABC')));
    expect(await sync.poll()).toBe(true);
    expect(catalogue.department('ABC')).toBeDefined();
    expect(await sync.poll()).toBe(false);
    (repo as any).latestId = async () => {
      throw new Error('database away');
    };
    expect(await sync.poll()).toBe(false);
  });

  it('CATALOGUE_POLL_MS: default 5 s, off, or refused with the variable named', () => {
    expect(cataloguePollMs({})).toBe(5000);
    expect(cataloguePollMs({ CATALOGUE_POLL_MS: 'off' })).toBeNull();
    expect(cataloguePollMs({ CATALOGUE_POLL_MS: '1500' })).toBe(1500);
    expect(() => cataloguePollMs({ CATALOGUE_POLL_MS: '10' })).toThrow(/CATALOGUE_POLL_MS=10/);
  });
});
