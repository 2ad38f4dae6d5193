/**
 * npm run bench: Doorman's hot paths next to ceilings measured in the same run on the same machine.
 * Each target runs in its own process (its peak RSS is its own); autocannon drives it from here,
 * only ever at 127.0.0.1. Options: --duration S (default 10), --warmup S (default 3),
 * --connections N (default 50), --tokens N (rows in the large-table database, default 1,000,000),
 * --windows N (default 8, see measureSideBySide); the same as BENCH_DURATION, BENCH_WARMUP,
 * BENCH_CONNECTIONS, BENCH_TOKENS, BENCH_WINDOWS. --only oidc runs only the group against
 * node-oidc-provider (bench/oidc-provider.ts), a quick check of that group.
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
import { Metrics } from '../src/metrics.js';
import { GRANTS } from '../src/oauth/grants/index.js';
import { ownerCache } from '../src/oauth/token-owners.js';
import { hashSecret } from '../src/secrets.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    tokens: { type: 'string' },
    windows: { type: 'string' },
    only: { type: 'string' },
  },
});
if (args.only !== undefined && args.only !== 'oidc')
  throw new Error(`--only: the one group that runs alone is "oidc", not "${args.only}"`);
const DURATION = Number(args.duration ?? process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(args.warmup ?? process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(args.connections ?? process.env.BENCH_CONNECTIONS ?? 50);
const STORED_TOKENS = Number(args.tokens ?? process.env.BENCH_TOKENS ?? 1_000_000);
const WINDOWS = Math.max(1, Number(args.windows ?? process.env.BENCH_WINDOWS ?? 8));
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = new URL('..', import.meta.url).pathname;
/** The first server's port; the others of a group (three at most) take the next ones. Kept below 4000: other services listen above (4222 is NATS's). */
const PORT = Number(process.env.BENCH_PORT ?? 3900 + (process.pid % 25) * 4); // BENCH_PORT: the first of four ports
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
const NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50'];
let BUILD = '';

/** Compiles src/ and bench/ once, with what they read at run time beside them. */
function build(): void {
  BUILD = mkdtempSync(join(tmpdir(), 'doorman-bench-build-'));
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', BUILD],
    { stdio: 'inherit' },
  );
  for (const item of ['migrations', 'views', 'package.json'])
    cpSync(join(ROOT, item), join(BUILD, item), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(BUILD, 'node_modules'));
}

/** Starts the server (node itself, so the pid is the server's) and waits for /health. */
async function startServer(script: string, argv: string[], env: Record<string, string>, port: number): Promise<Server> {
  // the same V8 flags as the Dockerfile's CMD, for Doorman and the ceilings alike
  const command = [
    ...NODE_FLAGS,
    ...(UNDER_TSX ? ['--import', 'tsx', script] : [join(BUILD, script.replace(/\.ts$/, '.js'))]),
  ];
  const child = spawn(process.execPath, [...command, ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    // the access lines of a target at info go to /dev/null: written as in production, not shown here
    stdio: ['ignore', env.LOG_LEVEL === 'info' ? 'ignore' : 'inherit', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${script} exited before it answered`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
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

function cannon(load: Load, duration: number, port: number): Promise<autocannon.Result> {
  const headers = {
    ...(load.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...load.headers,
  };
  const request: autocannon.Request = { method: load.method, path: load.path, headers };
  if (typeof load.body === 'string') request.body = load.body;
  if (typeof load.body === 'function') {
    const next = load.body;
    request.setupRequest = (req) => ({ ...req, body: next() });
  }
  return autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration, requests: [request] });
}

/** One window of load on one server: what it answered, and the CPU it and Postgres spent on it. */
async function window(name: string, server: Server, load: Load, seconds: number, port: number): Promise<Figure> {
  const server0 = cpuMs(server.child.pid!);
  const db0 = postgresCpuMs();
  const r = await cannon(load, seconds, port);
  const answered = Math.max(r.requests.total, 1);
  return {
    serverCpuUs: ((cpuMs(server.child.pid!) - server0) * 1000) / answered,
    dbCpuUs: ((postgresCpuMs() - db0) * 1000) / answered,
    name,
    rps: r.requests.total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    rssMb: server.peakRssMb(),
  };
}

/**
 * Windows of equal length into one figure: the mean rate, p50 and p99 (each window's percentiles
 * are over thousands of answers), CPU per request weighted by answers, the peak RSS, every failure.
 */
function combine(windows: Figure[]): Figure {
  const mean = (pick: (f: Figure) => number) => windows.reduce((sum, f) => sum + pick(f), 0) / windows.length;
  const sum = (pick: (f: Figure) => number) => windows.reduce((total, f) => total + pick(f), 0);
  const perAnswer = (pick: (f: Figure) => number) =>
    sum((f) => pick(f) * f.rps) /
    Math.max(
      sum((f) => f.rps),
      1,
    );
  return {
    name: windows[0]!.name,
    rps: mean((f) => f.rps),
    p50: mean((f) => f.p50),
    p99: mean((f) => f.p99),
    non2xx: sum((f) => f.non2xx),
    errors: sum((f) => f.errors),
    rssMb: Math.max(...windows.map((f) => f.rssMb)),
    serverCpuUs: perAnswer((f) => f.serverCpuUs),
    dbCpuUs: perAnswer((f) => f.dbCpuUs),
  };
}

// ---- report --------------------------------------------------------------------------------

const pad = (s: string, n: number) => s.padEnd(n);
const num = (n: number, d = 0) => n.toFixed(d).padStart(8);

function header(): void {
  console.log(
    `${pad('target', 44)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'non2xx'.padStart(8)}${'errors'.padStart(8)}${'RSS MB'.padStart(8)}${'srv µs'.padStart(8)}${'db µs'.padStart(8)}  ratio`,
  );
}

function line(f: Figure, ceiling?: Figure, target?: number): void {
  let ratio = '';
  if (ceiling) {
    const r = f.rps / ceiling.rps;
    const p99x = f.p99 / Math.max(ceiling.p99, 1);
    const verdict =
      target === undefined ? '' : r >= target && p99x < 3 && f.non2xx === 0 && f.errors === 0 ? ' ok' : ' MISS';
    ratio = `${r.toFixed(2)} × ${ceiling.name.split(' ')[0]} ${ceiling.name.split(' ')[1] ?? ''} (target ≥ ${target ?? '-'}), p99 ${p99x.toFixed(1)}×${verdict}`;
  }
  console.log(
    `${pad(f.name, 44)}${num(f.rps)}${num(f.p50)}${num(f.p99)}${num(f.non2xx)}${num(f.errors)}${num(f.rssMb, 0)}${num(f.serverCpuUs)}${num(f.dbCpuUs)}  ${ratio}`,
  );
}

// ---- the run -------------------------------------------------------------------------------

function benchDeps(db: Database, env: Record<string, string>): Deps {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent', RATE_LIMIT: 'off' });
  return {
    db,
    config,
    log: pino({ level: 'silent' }),
    metrics: new Metrics({ processMetrics: false }),
    clock: () => new Date(),
    scopes: new ScopeCatalog(config.extraScopes),
    owners: ownerCache(),
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function main(): Promise<void> {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  console.log(
    `machine: ${availableParallelism()} cores, ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`,
  );
  console.log(
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION} s measured per target in ${WINDOWS} windows taking turns with the others of its group, ${WARMUP} s warm-up, same machine`,
  );
  console.log(`servers: ${UNDER_TSX ? 'under tsx' : 'compiled by tsc, run by node'}; each target in its own process`);
  if (!UNDER_TSX) build();

  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const dataDir = mkdtempSync(join(tmpdir(), 'doorman-bench-'));
  const dataDirCopy = `${dataDir}-copy`; // PGlite's pair: a process holds its folder
  const doormanEnv = { RATE_LIMIT: 'off', LOG_LEVEL: 'warn' };
  // The defaults as users run them: access log at info, rate limits on, raised so that none refuses.
  const defaultsEnv = { RATE_LIMIT: 'on', RATE_LIMIT_TOKEN: '1000000000', LOG_LEVEL: 'info' };
  // Databases made for this run, each with a plain connection of its own (VACUUM, the fill); all dropped at the end.
  const made = new Map<string, { name: string; client: pg.Client }>(); // by URL
  const makeDatabase = async (suffix: string): Promise<string> => {
    const name = `doorman_bench_${process.pid}${suffix}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    made.set(url.toString(), { name, client });
    return url.toString();
  };
  const plainClient = (databaseUrl: string) => made.get(databaseUrl)!.client;
  /** A migrated database with one app that has had a token (so the hot path applies) and that token. */
  const withApp = async (databaseUrl: string) => {
    const db = await openDatabase({ databaseUrl, dataDir });
    await migrate(db);
    const deps = benchDeps(db, { DATABASE_URL: databaseUrl });
    const { app, clientSecret } = await registerApplication(deps, {
      client_name: 'bench',
      redirect_uris: REDIRECT_URI,
      scopes: 'read write',
    });
    const live = await GRANTS.client_credentials!.issue(deps, {
      client: { clientId: app.clientId, clientSecret },
      params: { scope: 'read' },
      address: null,
    });
    const ccLoad: Load = {
      method: 'POST',
      path: '/oauth/token',
      body: form({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: clientSecret,
        scope: 'read',
      }),
    };
    return { db, deps, app, clientSecret, live, ccLoad };
  };

  try {
    // Fixtures: one app, one user, one live token, through the services themselves.
    const databaseUrl = await makeDatabase('');
    const { db, deps, app, clientSecret, live, ccLoad } = await withApp(databaseUrl);
    const user = await createUser(deps, { username: 'bench', email: 'bench@example.com', password: 'bench password' });
    const dbEnv = {
      DATABASE_URL: databaseUrl,
      BENCH_APP_ID: String(app.id),
      BENCH_TOKEN_HASH: hashSecret(live.access_token),
    };
    const ceilingLoad: Load = { method: 'POST', path: '/ceiling', body: ccLoad.body };

    interface Target {
      name: string;
      script: string;
      argv?: string[];
      env: Record<string, string>;
      load: Load;
      /** The Postgres database it works on, vacuumed before the group starts (PGlite: none). */
      databaseUrl?: string;
    }
    /**
     * Measures a group of targets side by side: each in its own process, all of them up at once,
     * each warmed up once, then the load taking turns between them in WINDOWS windows each of
     * DURATION / WINDOWS seconds, the order reversed every other pass (A B C C B A …). A machine
     * whose speed drifts (a shared host: rates here moved by a third within minutes) then weighs on
     * a target and its ceiling alike, a second or two apart instead of a minute, so the ratios stay
     * fair. The group starts after VACUUM ANALYZE and a CHECKPOINT of its databases.
     */
    const measureSideBySide = async (targets: Target[]): Promise<Figure[]> => {
      const seen: Figure[][] = targets.map(() => []);
      for (const url of new Set(targets.map((t) => t.databaseUrl).filter((u) => u !== undefined)))
        await plainClient(url).query('VACUUM ANALYZE');
      await admin.query('CHECKPOINT');
      const up: Server[] = [];
      try {
        for (const [i, t] of targets.entries()) up.push(await startServer(t.script, t.argv ?? [], t.env, PORT + i));
        for (const [i, t] of targets.entries()) if (WARMUP > 0) await cannon(t.load, WARMUP, PORT + i);
        const seconds = DURATION / WINDOWS;
        for (let pass = 0; pass < WINDOWS; pass++) {
          const order = [...targets.keys()];
          for (const i of pass % 2 === 0 ? order : order.reverse()) {
            seen[i]!.push(await window(targets[i]!.name, up[i]!, targets[i]!.load, seconds, PORT + i));
          }
        }
      } finally {
        // let the last answers of the load drain before the servers are told to stop
        await new Promise((r) => setTimeout(r, 500));
        for (const server of up) await server.stop();
      }
      return seen.map(combine);
    };

    const doormanOn = (url: string) => ({
      script: 'src/main.ts',
      env: { ...doormanEnv, DATABASE_URL: url },
      databaseUrl: url,
    });
    const doorman = doormanOn(databaseUrl);
    const doormanDefaults = { script: 'src/main.ts', env: { ...defaultsEnv, DATABASE_URL: databaseUrl }, databaseUrl };
    const ceiling = (kind: string) => ({
      script: 'bench/ceiling.ts',
      argv: [kind],
      env: dbEnv,
      databaseUrl,
      load: ceilingLoad,
    });

    // Single-use codes for the authorization_code group, minted through the same service the consent
    // page uses before the group starts (so its VACUUM and CHECKPOINT find them): enough for half
    // again ceiling B's rate through the warm-up and every window (Doorman's rate is lower).
    const codes: string[] = [];
    let nextCode = 0;
    let ranOut = 0;
    const request = {
      app,
      redirectUri: REDIRECT_URI,
      scopes: ['read'],
      state: undefined,
      codeChallenge: undefined,
      resource: undefined,
    };
    const mintCodes = async (rate: number): Promise<void> => {
      const needed = Math.ceil(rate * (WARMUP + DURATION) * 1.5) + 1000;
      for (let i = 0; i < needed; i += 10) {
        codes.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(10, needed - i) }, () => approve(deps, user, request, '127.0.0.1')),
          )),
        );
      }
    };
    const codeLoad: Load = {
      method: 'POST',
      path: '/oauth/token',
      body: () => {
        if (nextCode >= codes.length) ranOut++;
        return form({
          grant_type: 'authorization_code',
          client_id: app.clientId,
          client_secret: clientSecret,
          redirect_uri: REDIRECT_URI,
          code: codes[nextCode++] ?? 'spent',
        });
      },
    };

    // client_credentials against node-oidc-provider's on the same Postgres, with the same connections.
    const oidcGroup = () =>
      measureSideBySide([
        { name: 'client_credentials, against oidc-provider', ...doorman, load: ccLoad },
        {
          name: 'node-oidc-provider client_credentials',
          script: 'bench/oidc-provider.ts',
          env: { DATABASE_URL: databaseUrl, BENCH_OIDC_CLIENT_ID: 'bench', BENCH_OIDC_CLIENT_SECRET: clientSecret },
          databaseUrl,
          load: {
            method: 'POST',
            path: '/token',
            body: form({
              grant_type: 'client_credentials',
              client_id: 'bench',
              client_secret: clientSecret,
              scope: 'read',
            }),
          },
        },
      ]) as Promise<[Figure, Figure]>;
    /** Its two lines; a comparator that refused requests would make the ratio meaningless, so that is said. */
    const oidcLines = ([ours, theirs]: [Figure, Figure]) => {
      line(theirs);
      line(ours, theirs, 2);
      if (theirs.non2xx + theirs.errors > 0)
        console.log(
          `  (node-oidc-provider failed ${theirs.non2xx + theirs.errors} requests: its rate is not comparable)`,
        );
    };
    if (args.only === 'oidc') {
      const figures = await oidcGroup();
      header();
      oidcLines(figures);
      await db.close();
      return;
    }

    // Three groups: client_credentials with ceilings A and B; authorization_code with ceiling B again
    // (its codes are minted for the rate B had in the first); the checking paths with ceiling C.
    const [A, B, cc] = (await measureSideBySide([
      { name: 'ceiling A (form + JSON)', ...ceiling('A') },
      { name: CEILING_B, ...ceiling('B') },
      { name: 'client_credentials', ...doorman, load: ccLoad },
    ])) as [Figure, Figure, Figure];
    await mintCodes(B.rps);
    const [acB, ac] = (await measureSideBySide([
      { name: `${CEILING_B}, again`, ...ceiling('B') },
      { name: 'authorization_code (codes minted ahead)', ...doorman, load: codeLoad },
    ])) as [Figure, Figure];
    const introLoad: Load = {
      method: 'POST',
      path: '/oauth/introspect',
      body: form({ client_id: app.clientId, client_secret: clientSecret, token: live.access_token }),
    };
    const [C, C2, intro, verify] = (await measureSideBySide([
      { name: 'ceiling C (A + 1 SELECT by hash)', ...ceiling('C') },
      {
        name: 'ceiling C2 (A + 1 SELECT: app by client_id, token by hash)',
        ...ceiling('C2'),
        load: { ...ceilingLoad, body: introLoad.body },
      },
      { name: 'introspect (live token)', ...doorman, load: introLoad },
      {
        name: 'apps/verify_credentials (bearer)',
        ...doorman,
        load: {
          method: 'GET',
          path: '/api/v1/apps/verify_credentials',
          headers: { authorization: `Bearer ${live.access_token}` },
        },
      },
    ])) as [Figure, Figure, Figure, Figure];
    // The defaults against the tuned configuration, side by side on the two hot paths.
    const [ccTuned, ccDefaults, introTuned, introDefaults] = (await measureSideBySide([
      { name: 'client_credentials, LOG_LEVEL=warn RATE_LIMIT=off', ...doorman, load: ccLoad },
      { name: 'client_credentials, defaults (info, limits on)', ...doormanDefaults, load: ccLoad },
      { name: 'introspect, LOG_LEVEL=warn RATE_LIMIT=off', ...doorman, load: introLoad },
      { name: 'introspect, defaults (info, limits on)', ...doormanDefaults, load: introLoad },
    ])) as [Figure, Figure, Figure, Figure];
    // Every core: WORKERS=2 against one process (the tuned configuration), side by side.
    const [ccOne, ccTwo] = (await measureSideBySide([
      { name: 'client_credentials, WORKERS=1', ...doorman, load: ccLoad },
      { name: 'client_credentials, WORKERS=2', ...doorman, env: { ...doorman.env, WORKERS: '2' }, load: ccLoad },
    ])) as [Figure, Figure];
    const [ccOidc, oidc] = await oidcGroup();
    header();
    line(A);
    line(B, A);
    line(C, A);
    line(cc, B, 0.8);
    line(acB, A);
    line(ac, acB, 0.6);
    if (ranOut > 0) console.log(`  (ran out of codes: ${ranOut} requests had none)`);
    line(intro, C, 0.8);
    line(C2, A);
    line(intro, C2, 0.85);
    line(verify, C, 0.8);
    line(ccTuned);
    line(ccDefaults, ccTuned, 0.85);
    line(introTuned);
    line(introDefaults, introTuned, 0.85);
    line(ccOne);
    line(ccTwo, ccOne);
    oidcLines([ccOidc, oidc]);

    // Growth with table size: the same load on two more databases, one empty and one with
    // STORED_TOKENS token rows, side by side, so that what differs is the size of the table.
    const t0 = Date.now();
    const emptyUrl = await makeDatabase('_empty');
    const empty = await withApp(emptyUrl);
    const largeUrl = await makeDatabase('_large');
    const large = await withApp(largeUrl);
    await Promise.all([empty.db.close(), large.db.close()]);
    const filler = plainClient(largeUrl); // not the pool: its statement timeout is for requests
    await filler.query(
      `INSERT INTO access_tokens (token_hash, application_id, scopes, created_at)
       SELECT encode(sha256(('bench-' || i)::bytea), 'base64'), $1, '{read}', now() FROM generate_series(1, $2::int) AS i`,
      [large.app.id, STORED_TOKENS],
    );
    const [{ n }] = (await filler.query<{ n: number }>('SELECT count(*)::int AS n FROM access_tokens')).rows as [
      { n: number },
    ];
    console.log(
      `  (stored ${n.toLocaleString('en')} tokens in another database in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const [ccEmpty, ccBig] = (await measureSideBySide([
      { name: 'client_credentials, empty table', ...doormanOn(emptyUrl), load: empty.ccLoad },
      {
        name: `client_credentials, ${(n / 1e6).toFixed(1)}M tokens stored`,
        ...doormanOn(largeUrl),
        load: large.ccLoad,
      },
    ])) as [Figure, Figure];
    line(ccEmpty);
    line(ccBig, ccEmpty, 0.9);
    await db.close();

    // Embedded PGlite: the same pair, each on its own copy of one data folder.
    const pdb = await openDatabase({ databaseUrl: undefined, dataDir });
    await migrate(pdb);
    const pdeps = benchDeps(pdb, { DATA_DIR: dataDir });
    const p = await registerApplication(pdeps, {
      client_name: 'bench',
      redirect_uris: REDIRECT_URI,
      scopes: 'read write',
    });
    await pdb.close();
    const pBody = form({
      grant_type: 'client_credentials',
      client_id: p.app.clientId,
      client_secret: p.clientSecret,
      scope: 'read',
    });
    const pEnv = (dir: string) => ({ DATA_DIR: dir, BENCH_APP_ID: String(p.app.id), DATABASE_URL: '' });
    cpSync(dataDir, dataDirCopy, { recursive: true });
    const [pB, pcc] = (await measureSideBySide([
      {
        name: 'ceiling B on PGlite',
        script: 'bench/ceiling.ts',
        argv: ['B'],
        env: pEnv(dataDir),
        load: { method: 'POST', path: '/ceiling', body: pBody },
      },
      {
        name: 'client_credentials on PGlite',
        script: 'src/main.ts',
        env: { ...doormanEnv, ...pEnv(dataDirCopy) },
        load: { method: 'POST', path: '/oauth/token', body: pBody },
      },
    ])) as [Figure, Figure];
    line(pB, A);
    line(pcc, pB, 0.8);

    const doormanPg = [cc, ccOidc, ac, intro, verify, ccTuned, ccDefaults, introTuned, introDefaults, ccEmpty, ccBig];
    console.log(
      `peak RSS of the Doorman process on Postgres: ${Math.max(...doormanPg.map((f) => f.rssMb)).toFixed(0)} MB (target < 150 MB); on PGlite: ${pcc.rssMb.toFixed(0)} MB`,
    );
    const drift = ccBig.rps / ccEmpty.rps - 1;
    console.log(
      `client_credentials with ${(n / 1e6).toFixed(1)}M tokens stored: ${(drift * 100).toFixed(1)} % against the empty table (target within ±10 %)`,
    );
  } finally {
    for (const { name, client } of made.values()) {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await admin.end();
    for (const dir of [dataDir, dataDirCopy]) rmSync(dir, { recursive: true, force: true });
    if (BUILD) rmSync(BUILD, { recursive: true, force: true });
  }
}

await main();
