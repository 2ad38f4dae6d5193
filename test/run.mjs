// Runs the whole suite with node's test runner: against PGlite by default, against a Postgres
// server when DATABASE_URL or TEST_DATABASE_URL is set (each test file makes its own database there).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
const env = { ...process.env, TEST_DATABASE_URL: serverUrl ?? '', DATABASE_URL: '' };
const list = (dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));

// Tests that need several connections or processes on one server run only against a real server.
// The slowest files start first (measured one at a time on 2 cores), so that none of them is left
// running alone at the end; files that mostly wait (workers, limits) pair with ones that compute.
const SLOWEST = [
  'test/pglite-lock.test.ts',
  'test/postgres/workers.test.ts',
  'test/sign-in.test.ts',
  'test/postgres/graceful-stop.test.ts',
  'test/junk.test.ts',
  'test/cli.test.ts',
  'test/postgres/database-partition.test.ts',
  'test/rate-limits.test.ts',
  'test/readme.test.ts',
  'test/limits.test.ts',
  'test/postgres/database-outage.test.ts',
  'test/mastodon-clients.test.ts',
  'test/browser.test.ts',
  'test/mcp.test.ts',
  'test/postgres/pooler.test.ts',
  'test/postgres/sigkill.test.ts',
  'test/housekeeping.test.ts',
  'test/accounts.test.ts',
  'test/health.test.ts',
  'test/config.test.ts',
  'test/build.test.ts',
];
// Tests of the embedded database itself use PGlite whatever the pass: they run in the PGlite pass only.
const PGLITE_ONLY = ['test/pglite-lock.test.ts'];
const rank = (f) => (SLOWEST.includes(f) ? SLOWEST.indexOf(f) : SLOWEST.length);
const files = [...list('test'), ...(serverUrl ? list('test/postgres') : [])]
  .filter((f) => !(serverUrl && PGLITE_ONLY.includes(f)))
  .sort((a, b) => rank(a) - rank(b));
// Arguments starting with --test- go to node's test runner (e.g. --test-reporter=spec); others pick files.
const runnerOptions = process.argv.slice(2).filter((a) => a.startsWith('--test-'));
const only = process.argv.slice(2).filter((a) => !a.startsWith('--test-'));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;

// The suite runs compiled: esbuild turns src/, test/ and examples/ into JavaScript once, in a copy
// of the repository whose other entries (node_modules, views, migrations, …) are links to the
// originals. Each test file, and each Doorman or CLI process a test starts, then loads plain
// JavaScript instead of going through tsx: about a second of CPU less per process.
const copy = join(root, '.test-tmp', `run-${process.pid}`);
const COMPILED = ['src', 'test', 'examples'];
mkdirSync(copy, { recursive: true });
for (const entry of readdirSync(root))
  if (![...COMPILED, '.git', '.test-tmp'].includes(entry)) symlinkSync(join(root, entry), join(copy, entry));
const sources = COMPILED.flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(join(root, f)).isFile()),
);
for (const file of sources.filter((f) => !f.endsWith('.ts'))) {
  mkdirSync(join(copy, file, '..'), { recursive: true });
  symlinkSync(join(root, file), join(copy, file));
}
await build({
  entryPoints: sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(root, f)),
  outdir: copy,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
env.DOORMAN_REPOSITORY = root;
const inCopy = (file) => join(copy, file.replace(/\.ts$/, '.js'));

if (!serverUrl) {
  // Initialising PGlite takes seconds; do it once and let every test file copy the folder.
  // Migrating each copy costs about as much again, so most files copy a migrated folder instead.
  const empty = join(copy, 'pglite-template', 'empty');
  const migrated = join(copy, 'pglite-template', 'migrated');
  mkdirSync(empty, { recursive: true });
  const made = spawnSync(process.execPath, [inCopy('test/support/make-template.ts'), empty, migrated], {
    stdio: 'inherit',
    cwd: copy,
  });
  if (made.status !== 0) process.exit(made.status ?? 1);
  env.DOORMAN_PGLITE_TEMPLATE = empty;
  env.DOORMAN_PGLITE_MIGRATED_TEMPLATE = migrated;
}

// node's runner starts files in the order of their names, whatever the order given: it gets links
// named by rank instead.
mkdirSync(join(copy, 'ordered'));
const ordered = selected.map((file, i) => {
  const link = join(copy, 'ordered', `${String(i).padStart(3, '0')}-${basename(inCopy(file))}`);
  symlinkSync(inCopy(file), link);
  return link;
});

console.log(`doorman tests: ${selected.length} files against ${serverUrl ? 'Postgres' : 'PGlite'}`);
// Three files at a time on 2 cores: several files spend seconds waiting (on a lock, a worker's
// restart, a timeout under test), and a third keeps the cores busy meanwhile (on this machine the
// Postgres pass took 182 s so, 213 s two at a time; PGlite 230 s against 240 s).
// Test files run with V8's baseline WebAssembly compiler only: each opens a few short-lived PGlite
// databases, and optimising PGlite's hot functions cost them more CPU than it won back (PGlite pass
// 207 s without that tier, 230 s with it). The servers and CLI commands tests start run as deployed.
// The timeout only catches a hang. It bounds each file as well as each test, and on 2 busy cores
// the heaviest files (generated junk, sign-in throttling: each attempt hashes a password) take minutes.
const result = spawnSync(
  process.execPath,
  ['--liftoff-only', '--test', '--test-concurrency=3', '--test-timeout=300000', ...runnerOptions, ...ordered],
  { stdio: 'inherit', cwd: copy, env },
);
rmSync(copy, { recursive: true, force: true });
process.exit(result.status ?? 1);
