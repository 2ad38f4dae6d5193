// DESIGN.md's rule of the house: imports point down only, http and cli → oauth/accounts/audit →
// store → db, and routes and CLI commands see services, never the SQL or the driver. Read from the
// source itself: every import of every file under src/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { REPOSITORY } from './support/paths.js';

const SRC = join(REPOSITORY, 'src');

/** Floors of the house, lowest first; a file may import from its own floor or below. */
const FLOORS: Record<string, number> = {
  db: 1,
  store: 2,
  oauth: 3,
  accounts: 3,
  audit: 3,
  instance: 3,
  // fetching and checking client metadata documents: a service, used by oauth/ (it reads oauth/'s rules)
  'client-metadata': 3,
  http: 4,
  cli: 4,
};
/** Files at the top of src/ that wire the floors together: they may import anything. */
const WIRING = new Set(['app.ts', 'main.ts', 'cluster.ts', 'runtime.ts']);
/** The command line's entry point opens the database through runtime.ts, as src/main.ts does. */
const ENTRY_POINTS = new Set(['cli/main.ts']);

const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : undefined);

/** What is wrong with `from` importing `to` (paths relative to src/), or undefined when nothing is. */
export function problem(from: string, to: string): string | undefined {
  const a = folderOf(from);
  const b = folderOf(to);
  if (WIRING.has(to) && !WIRING.has(from) && !ENTRY_POINTS.has(from))
    return 'only the wiring at the top of src/ imports the wiring';
  if (a === undefined) {
    if (WIRING.has(from)) return undefined;
    // what every service is handed includes a cache of store rows (the owners of tokens)
    if (from === 'deps.ts' && b === 'store') return undefined;
    // config, errors, secrets, deps, metrics, …: below every floor, beside db/
    if (b !== undefined && b !== 'db') return 'a module below every floor imports no floor above db/';
    return undefined;
  }
  if (b === undefined) return undefined;
  if ((a === 'http' || a === 'cli') && (b === 'store' || b === 'db')) return `${a}/ sees services, not ${b}/`;
  const floorA = FLOORS[a];
  const floorB = FLOORS[b];
  if (floorA === undefined || floorB === undefined)
    return `${floorA === undefined ? a : b}/ has no floor in test/layers.test.ts`;
  if (floorB > floorA) return `upward: ${a}/ is below ${b}/`;
  if (a !== b && floorA === 3 && floorB === 3) {
    if (a === 'audit') return 'audit/ is used by the services and uses none of them';
    if ((a === 'oauth' && b === 'accounts') || (a === 'accounts' && b === 'oauth'))
      return 'oauth/ and accounts/ do not import each other (both use audit/)';
  }
  if (from.startsWith('http/routes/') && from !== 'http/routes/index.ts' && to.startsWith('http/routes/'))
    return 'a route imports another route (share through a module in http/)';
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, statically or with import(), as paths under src/. */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
  return specifiers.map((s) => relative(SRC, resolve(dirname(path), s)).replace(/\.js$/, '.ts'));
}

function violations(): string[] {
  const found: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const from = relative(SRC, path);
    for (const to of importsOf(path)) {
      const why = problem(from, to);
      if (why) found.push(`${from} → ${to}: ${why}`);
    }
  }
  return found;
}

test('the rule itself: each kind of wrong import is caught, and the right ones pass', () => {
  assert.match(problem('http/routes/token.ts', 'store/tokens.ts')!, /services, not store/);
  assert.match(problem('cli/main.ts', 'db/open.ts')!, /services, not db/);
  assert.match(problem('store/tokens.ts', 'oauth/scopes.ts')!, /upward/);
  assert.match(problem('db/open.ts', 'store/users.ts')!, /upward/);
  assert.match(problem('oauth/tokens.ts', 'http/params.ts')!, /upward/);
  assert.match(problem('accounts/sessions.ts', 'oauth/audit.ts')!, /each other/);
  assert.match(problem('audit/history.ts', 'oauth/tokens.ts')!, /uses none/);
  assert.match(problem('http/routes/authorize.ts', 'http/routes/sign-in.ts')!, /another route/);
  assert.match(problem('http/routes/health.ts', 'app.ts')!, /wiring/);
  assert.match(problem('deps.ts', 'oauth/scopes.ts')!, /no floor above db/);
  assert.match(problem('newfloor/x.ts', 'db/database.ts')!, /no floor/);
  assert.match(problem('client-metadata/document.ts', 'http/params.ts')!, /upward/);
  assert.match(problem('client-metadata/load.ts', 'app.ts')!, /wiring/);
  for (const [from, to] of [
    ['http/routes/token.ts', 'oauth/tokens.ts'],
    ['http/routes/token.ts', 'http/params.ts'],
    ['oauth/tokens.ts', 'store/tokens.ts'],
    ['oauth/grants.ts', 'audit/history.ts'],
    ['store/tokens.ts', 'db/database.ts'],
    ['store/tokens.ts', 'store/audit.ts'],
    ['cli/main.ts', 'runtime.ts'],
    ['runtime.ts', 'db/open.ts'],
    ['http/errors.ts', 'database-unavailable.ts'],
    ['db/database.ts', 'database-unavailable.ts'],
    ['deps.ts', 'db/database.ts'],
    ['client-metadata/document.ts', 'oauth/redirect-uris.ts'],
    ['oauth/clients.ts', 'client-metadata/load.ts'],
    ['client-metadata/load.ts', 'config.ts'],
  ]) {
    assert.equal(problem(from!, to!), undefined, `${from} → ${to}`);
  }
});

test('every import under src/ points down a floor or stays on its own; http/ and cli/ reach no store/ or db/', () => {
  const found = violations();
  assert.ok(sourceFiles(SRC).length > 50, 'the source files were read');
  assert.deepEqual(found, [], `imports against the layering:\n${found.join('\n')}`);
});

test('imports are found in every form the source uses', () => {
  const seen = importsOf(join(SRC, 'db/open.ts'));
  // a static import, an `import type`, and a dynamic import()
  assert.ok(seen.includes('db/postgres.ts'), JSON.stringify(seen));
  assert.ok(seen.includes('config.ts'), JSON.stringify(seen));
  assert.ok(seen.includes('db/pglite.ts'), JSON.stringify(seen));
});
