/**
 * npm run bench: Doorman's hot paths next to ceilings measured in the same run on the same machine.
 * Each target runs in its own process (its peak RSS is its own); autocannon drives it from here,
 * only ever at 127.0.0.1. Options: --duration S (default 10), --warmup S (default 3),
 * --connections N (default 50), --tokens N (rows stored before the "large table" run, default
 * 1,000,000), --rounds N (default 2, see measureInRounds); the same as BENCH_DURATION, BENCH_WARMUP,
 * BENCH_CONNECTIONS, BENCH_TOKENS, BENCH_ROUNDS.
 * The servers run as JavaScript compiled by tsc into a temporary folder, as a deployment would run
 * them (tsx's loader thread alone holds tens of MB); BENCH_TSX=1 runs them under tsx instead.
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server on
 * which a fresh database is made for the run and dropped at its end.
 * Besides rates and latencies, each line shows the CPU time per answered request of the server
 * process (srv µs) and of all Postgres processes on this machine (db µs): on 2 shared cores these
 * move less between runs than the rates do, and they say which side a change made cheaper.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { createUser } from '../src/accounts/users.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import type { Deps } from '../src/deps.js';
import { registerApplication } from '../src/oauth/applications.js';
import { approve } from '../src/oauth/authorization.js';
import { ScopeCatalog } from '../src/oauth/scopes.js';
import { clientCredentialsGrant } from '../src/oauth/tokens.js';
import { hashSecret } from '../src/secrets.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    tokens: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const DURATION = Number(args.duration ?? process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(args.warmup ?? process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(args.connections ?? process.env.BENCH_CONNECTIONS ?? 50);
const STORED_TOKENS = Number(args.tokens ?? process.env.BENCH_TOKENS ?? 1_000_000);
const ROUNDS = Math.max(1, Number(args.rounds ?? process.env.BENCH_ROUNDS ?? 2));
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = new URL('..', import.meta.url).pathname;
const PORT = 3900 + (process.pid % 50) * 2;
const REDIRECT_URI = 'https://client.example/callback';
const CEILING_B = 'ceiling B (A + 1 INSERT)';

interface Figure {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  rssMb: number;
  /** CPU time per answered request, in µs: the server process, and every Postgres process on this machine. */
  serverCpuUs: number;
  dbCpuUs: number;
}

// ---- processes -----------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  peakRssMb: () => number;
  stop: () => Promise<void>;
}

const UNDER_TSX = process.env.BENCH_TSX === '1';
const NODE_FLAGS = '--max-semi-space-size=8';
let BUILD = '';

/** Compiles src/ and bench/ once, with what they read at run time beside them. */
function build(): void {
  BUILD = mkdtempSync(join(tmpdir(), 'doorman-bench-build-'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', BUILD], { stdio: 'inherit' });
  for (const item of ['migrations', 'views', 'package.json']) cpSync(join(ROOT, item), join(BUILD, item), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(BUILD, 'node_modules'));
}

/** Starts the server (node itself, so the pid is the server's) and waits for /health. */
async function startServer(script: string, argv: string[], env: Record<string, string>): Promise<Server> {
  // the same V8 flag as the Dockerfile's CMD, for Doorman and the ceilings alike
  const command = [NODE_FLAGS, ...(UNDER_TSX ? ['--import', 'tsx', script] : [join(BUILD, script.replace(/\.ts$/, '.js'))])];
  const child = spawn(process.execPath, [...command, ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(PORT), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${script} exited before it answered`);
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not answer /health within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // VmHWM: the highest resident set size the process has had.
  const peakRssMb = () => {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, peakRssMb, stop };
}

// ---- CPU -----------------------------------------------------------------------------------

const CLOCK_TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/**
 * CPU time a process has used so far (user + system), in ms, with that of its children that have
 * ended when asked; 0 once it is gone.
 */
function cpuMs(pid: number, withEndedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3, "state"
    const children = withEndedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (Number(fields[11]) + Number(fields[12]) + children) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU time used so far by every Postgres process here (backends, WAL writer, checkpointer). A
 * backend that ends moves its time into the postmaster's count of ended children, so it still counts.
 */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuMs(Number(entry), true);
    } catch {
      // ended while we looked
    }
  }
  return total;
}

// ---- load ----------------------------------------------------------------------------------

interface Load {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** One fixed body, or a new body for every request (single-use codes). */
  body?: string | (() => string);
}

function cannon(load: Load, duration: number): Promise<autocannon.Result> {
  const headers = { ...(load.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...load.headers };
  const request: autocannon.Request = { method: load.method, path: load.path, headers };
  if (typeof load.body === 'string') request.body = load.body;
  if (typeof load.body === 'function') {
    const next = load.body;
    request.setupRequest = (req) => ({ ...req, body: next() });
  }
  return autocannon({ url: `http://127.0.0.1:${PORT}`, connections: CONNECTIONS, duration, requests: [request] });
}

async function measure(name: string, server: Server, load: Load, seconds: number): Promise<Figure> {
  if (WARMUP > 0) await cannon(load, WARMUP);
  const server0 = cpuMs(server.child.pid!);
  const db0 = postgresCpuMs();
  const r = await cannon(load, seconds);
  const answered = Math.max(r.requests.total, 1);
  return {
    serverCpuUs: ((cpuMs(server.child.pid!) - server0) * 1000) / answered,
    dbCpuUs: ((postgresCpuMs() - db0) * 1000) / answered,
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    rssMb: server.peakRssMb(),
  };
}

/** Rounds of equal length into one figure: the mean rate and p50, the worst p99 and peak RSS, every failure. */
function combine(rounds: Figure[]): Figure {
  const mean = (pick: (f: Figure) => number) => rounds.reduce((sum, f) => sum + pick(f), 0) / rounds.length;
  const sum = (pick: (f: Figure) => number) => rounds.reduce((total, f) => total + pick(f), 0);
  return {
    name: rounds[0]!.name,
    rps: mean((f) => f.rps),
    p50: mean((f) => f.p50),
    p99: Math.max(...rounds.map((f) => f.p99)),
    non2xx: sum((f) => f.non2xx),
    errors: sum((f) => f.errors),
    rssMb: Math.max(...rounds.map((f) => f.rssMb)),
    serverCpuUs: mean((f) => f.serverCpuUs),
    dbCpuUs: mean((f) => f.dbCpuUs),
  };
}

// ---- report --------------------------------------------------------------------------------

const pad = (s: string, n: number) => s.padEnd(n);
const num = (n: number, d = 0) => n.toFixed(d).padStart(8);

function header(): void {
  console.log(`${pad('target', 44)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'non2xx'.padStart(8)}${'errors'.padStart(8)}${'RSS MB'.padStart(8)}${'srv µs'.padStart(8)}${'db µs'.padStart(8)}  ratio`);
}

function line(f: Figure, ceiling?: Figure, target?: number): void {
  let ratio = '';
  if (ceiling) {
    const r = f.rps / ceiling.rps;
    const p99x = f.p99 / Math.max(ceiling.p99, 1);
    const verdict = target === undefined ? '' : r >= target && p99x < 3 && f.non2xx === 0 && f.errors === 0 ? ' ok' : ' MISS';
    ratio = `${r.toFixed(2)} × ${ceiling.name.split(' ')[0]} ${ceiling.name.split(' ')[1] ?? ''} (target ≥ ${target ?? '-'}), p99 ${p99x.toFixed(1)}×${verdict}`;
  }
  console.log(`${pad(f.name, 44)}${num(f.rps)}${num(f.p50)}${num(f.p99)}${num(f.non2xx)}${num(f.errors)}${num(f.rssMb, 0)}${num(f.serverCpuUs)}${num(f.dbCpuUs)}  ${ratio}`);
}

// ---- the run -------------------------------------------------------------------------------

function benchDeps(db: Database, env: Record<string, string>): Deps {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent', RATE_LIMIT: 'off' });
  return { db, config, log: pino({ level: 'silent' }), clock: () => new Date(), scopes: new ScopeCatalog(config.extraScopes) };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function main(): Promise<void> {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  console.log(`machine: ${availableParallelism()} cores, ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`);
  console.log(
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION} s measured per target in ${ROUNDS} round(s) (order reversed each round), ${WARMUP} s warm-up per round, same machine`,
  );
  console.log(`servers: ${UNDER_TSX ? 'under tsx' : 'compiled by tsc, run by node'}; each target in its own process`);
  if (!UNDER_TSX) build();

  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const dbName = `doorman_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'doorman-bench-'));
  const vacuumer = new pg.Client({ connectionString: databaseUrl });
  await vacuumer.connect();
  const servers: Server[] = [];
  const start = async (script: string, argv: string[], env: Record<string, string>) => {
    const s = await startServer(script, argv, env);
    servers.push(s);
    return s;
  };
  const doormanEnv = { RATE_LIMIT: 'off', LOG_LEVEL: 'warn' };

  try {
    // Fixtures: one app, one user, one live token, through the services themselves.
    const db = await openDatabase({ databaseUrl, dataDir });
    await migrate(db);
    const deps = benchDeps(db, { DATABASE_URL: databaseUrl });
    const { app, clientSecret } = await registerApplication(deps, { client_name: 'bench', redirect_uris: REDIRECT_URI, scopes: 'read write' });
    const user = await createUser(deps, { username: 'bench', email: 'bench@example.com', password: 'bench password' });
    const live = await clientCredentialsGrant(deps, app, { scope: 'read' });
    const dbEnv = { DATABASE_URL: databaseUrl, BENCH_APP_ID: String(app.id), BENCH_TOKEN_HASH: hashSecret(live.access_token) };
    const ccBody = form({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: clientSecret, scope: 'read' });
    const ccLoad: Load = { method: 'POST', path: '/oauth/token', body: ccBody };
    const ceilingLoad: Load = { method: 'POST', path: '/ceiling', body: ccBody };

    interface Target {
      name: string;
      script: string;
      argv?: string[];
      env: Record<string, string>;
      /** Built just before each round's server starts, from the figures measured so far. */
      load: (seen: Map<string, Figure[]>) => Load | Promise<Load>;
    }
    /**
     * Measures every target in ROUNDS rounds, the order reversed every other round (A B C … C B A),
     * each round DURATION / ROUNDS seconds after its own warm-up, each in a fresh process. A machine
     * whose speed drifts during the run (a shared host, a warming cache) then weighs on a target and
     * its ceiling alike, so the ratios stay fair. Each round starts after VACUUM ANALYZE and CHECKPOINT.
     */
    const measureInRounds = async (targets: Target[]): Promise<Figure[]> => {
      const seen = new Map<string, Figure[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
          const load = await target.load(seen);
          // Every target starts with nothing left to vacuum or write back from the one before it or
          // from its own fixtures (codes minted ahead), so neither autovacuum nor a checkpoint lands
          // in some measured rounds only.
          await vacuumer.query('VACUUM ANALYZE');
          await admin.query('CHECKPOINT');
          const server = await start(target.script, target.argv ?? [], target.env);
          try {
            const figure = await measure(target.name, server, load, DURATION / ROUNDS);
            seen.set(target.name, [...(seen.get(target.name) ?? []), figure]);
          } finally {
            // let the last answers of the load drain before the server is told to stop
            await new Promise((r) => setTimeout(r, 500));
            await server.stop();
          }
        }
      }
      return targets.map((t) => combine(seen.get(t.name)!));
    };

    const doorman = { script: 'src/main.ts', env: { ...doormanEnv, DATABASE_URL: databaseUrl } };
    const ceiling = (kind: string) => ({ script: 'bench/ceiling.ts', argv: [kind], env: dbEnv, load: () => ceilingLoad });

    // Single-use codes, minted through the same service the consent page uses before each round's
    // clock starts: enough for ceiling B's rate (Doorman's is lower) through a warm-up and a round.
    const codes: string[] = [];
    let nextCode = 0;
    let ranOut = 0;
    const request = { app, redirectUri: REDIRECT_URI, scopes: ['read'], state: undefined, codeChallenge: undefined };
    const mintCodes = async (seen: Map<string, Figure[]>): Promise<Load> => {
      const rate = Math.max(...(seen.get(CEILING_B) ?? []).map((f) => f.rps), 1000);
      codes.length = 0;
      nextCode = 0;
      const needed = Math.ceil(rate * (WARMUP + DURATION / ROUNDS) * 1.5) + 1000;
      for (let i = 0; i < needed; i += 10) {
        codes.push(...(await Promise.all(Array.from({ length: Math.min(10, needed - i) }, () => approve(deps, user, request, '127.0.0.1')))));
      }
      return {
        method: 'POST',
        path: '/oauth/token',
        body: () => {
          if (nextCode >= codes.length) ranOut++;
          return form({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: clientSecret, redirect_uri: REDIRECT_URI, code: codes[nextCode++] ?? 'spent' });
        },
      };
    };

    const [A, B, C, cc, ac, intro, verify] = await measureInRounds([
      { name: 'ceiling A (form + JSON)', ...ceiling('A') },
      { name: CEILING_B, ...ceiling('B') },
      { name: 'ceiling C (A + 1 SELECT by hash)', ...ceiling('C') },
      { name: 'client_credentials', ...doorman, load: () => ccLoad },
      { name: 'authorization_code (codes minted ahead)', ...doorman, load: mintCodes },
      {
        name: 'introspect (live token)',
        ...doorman,
        load: () => ({ method: 'POST', path: '/oauth/introspect', body: form({ client_id: app.clientId, client_secret: clientSecret, token: live.access_token }) }),
      },
      {
        name: 'apps/verify_credentials (bearer)',
        ...doorman,
        load: () => ({ method: 'GET', path: '/api/v1/apps/verify_credentials', headers: { authorization: `Bearer ${live.access_token}` } }),
      },
    ]) as [Figure, Figure, Figure, Figure, Figure, Figure, Figure];
    header();
    line(A);
    line(B, A);
    line(C, A);
    line(cc, B, 0.8);
    line(ac, B, 0.6);
    if (ranOut > 0) console.log(`  (ran out of codes: ${ranOut} requests had none)`);
    line(intro, C, 0.8);
    line(verify, C, 0.8);

    // The same client_credentials load with a large table: growth with size should be small.
    const t0 = Date.now();
    // a plain connection of its own: the pool's statement timeout is for requests, not for this
    const filler = new pg.Client({ connectionString: databaseUrl });
    await filler.connect();
    await filler.query(
      `INSERT INTO access_tokens (token_hash, application_id, scopes, created_at)
       SELECT encode(sha256(('bench-' || i)::bytea), 'base64'), $1, '{read}', now() FROM generate_series(1, $2::int) AS i`,
      [app.id, STORED_TOKENS],
    );
    await filler.query('VACUUM ANALYZE access_tokens');
    // the fill's dirty pages are written back now, not by a checkpoint during the measured rounds
    await filler.query('CHECKPOINT');
    await filler.end();
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM access_tokens')) as [{ n: number }];
    console.log(`  (stored ${n.toLocaleString('en')} tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s, then VACUUM ANALYZE and CHECKPOINT)`);
    const [ccBig] = (await measureInRounds([{ name: `client_credentials, ${(n / 1e6).toFixed(1)}M tokens stored`, ...doorman, load: () => ccLoad }])) as [Figure];
    line(ccBig, cc, 0.9);
    await db.close();

    // Embedded PGlite: the same pair on a data folder (one process at a time holds it).
    const pdb = await openDatabase({ databaseUrl: undefined, dataDir });
    await migrate(pdb);
    const pdeps = benchDeps(pdb, { DATA_DIR: dataDir });
    const p = await registerApplication(pdeps, { client_name: 'bench', redirect_uris: REDIRECT_URI, scopes: 'read write' });
    await pdb.close();
    const pBody = form({ grant_type: 'client_credentials', client_id: p.app.clientId, client_secret: p.clientSecret, scope: 'read' });
    const pEnv = { DATA_DIR: dataDir, BENCH_APP_ID: String(p.app.id), DATABASE_URL: '' };
    const [pB, pcc] = (await measureInRounds([
      { name: 'ceiling B on PGlite', script: 'bench/ceiling.ts', argv: ['B'], env: pEnv, load: () => ({ method: 'POST', path: '/ceiling', body: pBody }) },
      { name: 'client_credentials on PGlite', script: 'src/main.ts', env: { ...doormanEnv, ...pEnv }, load: () => ({ method: 'POST', path: '/oauth/token', body: pBody }) },
    ])) as [Figure, Figure];
    line(pB, A);
    line(pcc, pB, 0.8);

    const doormanPg = [cc, ac, intro, verify, ccBig];
    console.log(`peak RSS of the Doorman process on Postgres: ${Math.max(...doormanPg.map((f) => f.rssMb)).toFixed(0)} MB (target < 150 MB); on PGlite: ${pcc.rssMb.toFixed(0)} MB`);
    const drift = ccBig.rps / cc.rps - 1;
    console.log(`client_credentials with ${(n / 1e6).toFixed(1)}M tokens stored: ${(drift * 100).toFixed(1)} % against the empty table (target within ±10 %)`);
  } finally {
    for (const s of servers) await s.stop();
    await vacuumer.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
    if (BUILD) rmSync(BUILD, { recursive: true, force: true });
  }
}

await main();
