import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_CATALOGUE, chineseFirst, codeCatalogueMarkdown, describeCode } from './code-catalogue';
import { ErrorCodes } from './errors';

const ROOT = join(__dirname, '..', '..', '..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'migrations') sourceFiles(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * Every code the gateway can answer, record or show, found where the source writes one: as a
 * `code`, `action`, `reason`, `outcome`, `status`, `problem` or `…Code` value, or as a GatewayError's
 * code. A new code without a Chinese text here fails this test.
 */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const contexts = /\b(?:code|[a-z]+Code|action|reason|outcome|status|problem)\s*:\s*'([A-Z][A-Z0-9_]{2,})'/g;
  const thrown = /new GatewayError\(\s*'([A-Z][A-Z0-9_]{2,})'/g;
  const unions = /export type \w*(?:Problem|Status|Outcome|Break)\w* =([^;]+);/g;
  for (const file of [...sourceFiles(join(ROOT, 'libs')), ...sourceFiles(join(ROOT, 'apps'))]) {
    if (/simulator/.test(file)) continue; // the simulators stand in for other parties; their codes are theirs
    const text = readFileSync(file, 'utf8');
    const where = file.slice(ROOT.length + 1);
    for (const re of [contexts, thrown]) for (const m of text.matchAll(re)) found.set(m[1], where);
    for (const m of text.matchAll(unions)) for (const v of m[1].matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)) found.set(v[1], where);
  }
  for (const code of Object.values(ErrorCodes)) found.set(code, 'libs/common/src/errors.ts');
  return found;
}

/** Values in those positions that are not codes shown to anyone: department codes (the catalogue's own). */
const NOT_CODES = new Set(['BDC', 'RSJ', 'SCJG', 'YBJ', 'MZJ', 'GAJ']);

describe('code catalogue', () => {
  it('has a Chinese text and an English one for every code the source uses', () => {
    const missing = [...codesInSource()].filter(([code]) => !NOT_CODES.has(code) && !describeCode(code)).map(([c, where]) => `${c} (${where})`);
    expect(missing).toEqual([]);
  });

  it('finds the codes it should (the scan is not blind)', () => {
    const codes = codesInSource();
    for (const c of ['ID_CHECK_DIGIT', 'VALIDATION_FAILED', 'LOGIN_FAILED', 'WRONG_PASSWORD', 'PARKED', 'UNROUTABLE', 'ALTERED']) expect(codes.has(c)).toBe(true);
  });

  it('every entry speaks Chinese first and English beside it', () => {
    for (const [category, table] of Object.entries(CODE_CATALOGUE)) {
      for (const [code, text] of Object.entries(table)) {
        expect({ category, code, zh: /[\u4e00-\u9fff]/.test(text.zh) }).toEqual({ category, code, zh: true });
        expect({ category, code, en: /^[\x20-\x7e]+$/.test(text.en) }).toEqual({ category, code, en: true });
      }
    }
  });

  it('reads a code in its own category first, and HTTP_/DEPT_ codes by pattern', () => {
    expect(describeCode('ACCEPTED', 'stage')?.zh).toBe('受理');
    expect(describeCode('ACCEPTED', 'outcome')?.zh).toBe('已接收');
    expect(describeCode('HTTP_503')?.zh).toContain('503');
    expect(describeCode('HTTP_429')?.zh).toContain('限流');
    expect(describeCode('DEPT_404')?.zh).toContain('部门系统拒收');
    expect(describeCode('NO_SUCH_CODE_EVER')).toBeUndefined();
  });

  it('puts Chinese in front of an English-only message, and keeps one that already has it', () => {
    expect(chineseFirst('ID_CHECK_DIGIT', 'ID number check digit is wrong (GB 11643)')).toBe('身份证号校验位错误（GB 11643） ID number check digit is wrong (GB 11643)');
    expect(chineseFirst('VALIDATION_FAILED', '数据校验未通过 invalid')).toBe('数据校验未通过 invalid');
    expect(chineseFirst('NO_SUCH_CODE_EVER', 'as it was')).toBe('as it was');
  });

  it('docs/codes.md is the catalogue as it stands (UPDATE_CODE_DOCS=1 rewrites it)', () => {
    const file = join(ROOT, 'docs', 'codes.md');
    if (process.env.UPDATE_CODE_DOCS === '1') writeFileSync(file, codeCatalogueMarkdown());
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '(missing)').toBe(codeCatalogueMarkdown());
  });
});
