// Bad input at scale: at least 10,000 generated malformed requests (fast-check, seeded) across every
// endpoint, sent over HTTP to a real Doorman process; prints the answers by status class, the 5xx count
// and the server's memory before, at peak and after. Exits non-zero on any 5xx, any answer not in the
// SPEC's format, or memory that does not come back near its baseline.
//   npm run junk                      (PGlite in a temporary folder)
//   DATABASE_URL=postgres://… npm run junk   (a fresh database on that server, dropped afterwards)
//   JUNK_SEED=123 JUNK_TOTAL=20000 npm run junk
import { readFileSync } from 'node:fs';
import http from 'node:http';
import fc from 'fast-check';
import { createUser } from '../src/accounts/users.js';
import {
  authorizeAt,
  clientTokenAt,
  exchangeAt,
  registerAppAt,
  signInAt,
  startDoorman,
  type DoormanProcess,
} from './support/process.js';
import { ENDPOINTS, junkRequest, problemWith, showRequest, type JunkRequest, type JunkSeed } from './support/junk.js';

const SEED = Number(process.env.JUNK_SEED ?? 20261128);
const TOTAL = Number(process.env.JUNK_TOTAL ?? 10_000);
const CONCURRENCY = Number(process.env.JUNK_CONCURRENCY ?? 16);
/** Node's HTTP parser refuses a request line plus headers over 16 KiB itself (431), before any route. */
const MAX_HEAD = 16 * 1024;

process.env.TEST_DATABASE_URL = process.env.DATABASE_URL ?? '';
const { emptyDatabase } = await import('./support/database.js');
const { migrate } = await import('../src/db/migrate.js');

const headSize = (request: JunkRequest) =>
  request.url.length + Object.entries(request.headers).reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0);
const rssOf = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(
  `junk at scale: seed ${SEED}, ${TOTAL} requests, ${CONCURRENCY} at a time, on ${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'}`,
);
const started = Date.now();

// A migrated database with one user, made before the server owns it (PGlite allows one process).
const database = await emptyDatabase();
const username = 'junkuser';
const password = 'correct horse battery staple';
{
  const db = await database.open();
  await migrate(db);
  await createUser({ db, clock: () => new Date() }, { username, email: `${username}@example.com`, password });
  await db.close();
}

let server: DoormanProcess | undefined;
let exitCode = 1;
try {
  server = await startDoorman({
    ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir! }),
    ACCESS_TOKEN_TTL: '3600',
    LOG_LEVEL: 'error',
  });
  console.log(`database and server ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const base = server.url;
  const pid = server.child.pid!;

  /** Fresh live state for each endpoint's junk: an app, a session, tokens, an unused code, a CSRF token. */
  const plant = async (): Promise<JunkSeed> => {
    const client = await registerAppAt(base, {
      redirect_uris: 'https://client.example/cb urn:ietf:wg:oauth:2.0:oob',
      scopes: 'read write follow push profile',
    });
    const jar = await signInAt(base, username, password);
    const first = (await (
      await exchangeAt(base, client, await authorizeAt(base, client, jar, 'read write profile'))
    ).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const code = await authorizeAt(base, client, jar, 'read');
    const appToken = ((await (await clientTokenAt(base, client)).json()) as { access_token: string }).access_token;
    const page = await fetch(`${base}/oauth/authorized_applications`, { headers: { cookie: jar.header() } });
    jar.take(page);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    if (!csrf) throw new Error('no CSRF token on the authorized applications page');
    return {
      clientId: client.client_id,
      clientSecret: client.client_secret,
      redirectUri: client.redirect_uris[0]!,
      userToken: first.access_token,
      appToken,
      refreshToken: first.refresh_token,
      code,
      verifier: 'x'.repeat(43),
      challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      username,
      password,
      cookie: jar.header(),
      csrf,
    };
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send = (
    request: JunkRequest,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { failed: string }> =>
    new Promise((resolve) => {
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body) headers['content-length'] = request.body.length;
      const req = http.request(
        `${base}${request.url}`,
        { method: request.method, headers, agent, timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (err) => resolve({ failed: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (err) => resolve({ failed: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.end(request.body);
    });

  // Warm up with a few hundred ordinary requests so the baseline includes compiled code and pools.
  for (let i = 0; i < 200; i++) await send({ method: 'GET', url: i % 2 ? '/health' : '/auth/sign_in', headers: {} });
  await sleep(1000);
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);

  const perEndpoint = Math.ceil(TOTAL / ENDPOINTS.length);
  const byClass: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const perRoute: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  const failures: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  let planting = 0;
  let generating = 0;
  let sent = 0;

  for (const [n, endpoint] of ENDPOINTS.entries()) {
    let phase = Date.now();
    const seed = await plant();
    planting += Date.now() - phase;
    phase = Date.now();
    const requests = fc.sample(junkRequest(endpoint, seed), { seed: SEED + n, numRuns: perEndpoint });
    generating += Date.now() - phase;
    const route = `${endpoint.method} ${endpoint.path}`;
    const routeStarted = Date.now();
    perRoute[route] = {};
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const answer = await send(request);
        sent++;
        if ('failed' in answer) {
          const why = `${route} ${answer.failed}${headSize(request) > MAX_HEAD ? ' (head over 16 KiB)' : request.body && request.body.length > 64 * 1024 ? ' (body over 64 KiB)' : ''}`;
          failures[why] = (failures[why] ?? 0) + 1;
          continue;
        }
        const klass = `${String(answer.status)[0]}xx`;
        byClass[klass] = (byClass[klass] ?? 0) + 1;
        byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
        perRoute[route]![answer.status] = (perRoute[route]![answer.status] ?? 0) + 1;
        if (answer.status === 431 && headSize(request) > MAX_HEAD - 1024) continue; // refused by the HTTP parser: no route to answer for
        const problem = problemWith(endpoint, answer);
        if (problem && problems.length < 20) problems.push(`${problem}\n${showRequest(request)}`);
        else if (problem) problems.push(problem);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    seconds[route] = (Date.now() - routeStarted) / 1000;
  }
  const peakAtEnd = peak;
  agent.destroy();
  await sleep(5000);
  clearInterval(sampler);
  const after = rssOf(pid);
  const elapsed = (Date.now() - started) / 1000;

  console.log(`\nrequests sent: ${sent} in ${elapsed.toFixed(1)} s (including start-up)`);
  console.log(
    `of which: planting live state ${(planting / 1000).toFixed(1)} s, generating requests ${(generating / 1000).toFixed(1)} s, sending ${Object.values(
      seconds,
    )
      .reduce((a, b) => a + b, 0)
      .toFixed(1)} s`,
  );
  console.log(`by status class: ${JSON.stringify(byClass)}`);
  console.log(`by status: ${JSON.stringify(byStatus)}`);
  for (const [route, counts] of Object.entries(perRoute))
    console.log(`  ${route.padEnd(46)} ${seconds[route]!.toFixed(1).padStart(5)} s ${JSON.stringify(counts)}`);
  console.log(`connections closed without an answer: ${Object.values(failures).reduce((a, b) => a + b, 0)}`);
  for (const [why, count] of Object.entries(failures)) console.log(`  ${why}: ${count}`);
  const fiveXX = byClass['5xx'] ?? 0;
  console.log(`5xx: ${fiveXX}`);
  console.log(`answers not in the SPEC's format: ${problems.length}`);
  for (const p of problems.slice(0, 20)) console.log(`  - ${p.replaceAll('\n', '\n    ')}`);
  console.log(
    `server RSS: before ${mb(baseline)}, peak ${mb(Math.max(peakAtEnd, after))}, after ${mb(after)} (5 s idle)`,
  );
  // "Near its baseline": a leak of even 1 KiB per request would add 10 MB over 10,000 requests.
  const memoryBack = after <= baseline * 1.5 + 32 * 1024 * 1024;
  if (!memoryBack) console.log('memory did not come back near its baseline');
  const serverLog = server
    .output()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));
  if (serverLog.length) console.log(`server error lines: ${serverLog.length}\n${serverLog.slice(0, 5).join('\n')}`);
  exitCode = fiveXX === 0 && problems.length === 0 && memoryBack && sent >= TOTAL ? 0 : 1;
  console.log(exitCode === 0 ? 'junk at scale: OK' : 'junk at scale: FAILED');
} finally {
  if (server) {
    const stopped = await server.stop('SIGTERM');
    if (stopped.code !== 0) console.log(`server exited with ${JSON.stringify(stopped)}`);
  }
  await database.drop();
}
process.exit(exitCode);
