// Real Doorman processes (`src/main.ts`, see nodeArgs in paths.ts) and an HTTP client that drives them
// the way a browser and a client app would: for tests of several processes, signals and faults.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Queryable } from '../../src/db/database.js';
import { nodeArgs, ROOT } from './paths.js';

export interface DoormanProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote so far (stdout and stderr). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What a child process writes to stdout and stderr, its last 100-200 KB, as it comes. */
export function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

/** Starts a process with the given settings and waits until /health answers 200 (or it exits). */
export async function startDoorman(env: Record<string, string>, timeoutMs = 30_000): Promise<DoormanProcess> {
  const port = Number(env.PORT) || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, nodeArgs('src/main.ts'), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      ISSUER: url,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const started = Date.now();
  for (;;) {
    if (gone) throw new Error(`Doorman exited before answering:\n${output()}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`Doorman did not answer /health within ${timeoutMs} ms:\n${output()}`);
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(100);
  }
  return {
    url,
    port,
    child,
    exited,
    output,
    stop: async (signal = 'SIGTERM') => {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Cookies a browser would keep, per name. */
export class CookieJar {
  private cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface HttpApp {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

const form = (fields: Record<string, string>) => ({
  'content-type': 'application/x-www-form-urlencoded',
  body: new URLSearchParams(fields).toString(),
});

export async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<Response> {
  const { body, ...type } = form(fields);
  return fetch(url, {
    method: 'POST',
    headers: { ...type, ...headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
}

export async function registerAppAt(base: string, fields: Record<string, string> = {}): Promise<HttpApp> {
  const res = await postForm(`${base}/api/v1/apps`, {
    client_name: 'Test app',
    redirect_uris: 'https://client.example/cb',
    scopes: 'read write',
    ...fields,
  });
  if (res.status !== 200) throw new Error(`register at ${base}: ${res.status} ${await res.text()}`);
  return (await res.json()) as HttpApp;
}

const csrfIn = (html: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
};

/** Signs in through the real form of the server at base. */
export async function signInAt(base: string, username: string, password: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const page = await fetch(`${base}/auth/sign_in`);
  jar.take(page);
  const res = await postForm(
    `${base}/auth/sign_in`,
    { username, password, _csrf: csrfIn(await page.text()) },
    { cookie: jar.header() },
  );
  if (res.status !== 303) throw new Error(`sign-in at ${base}: ${res.status}`);
  jar.take(res);
  return jar;
}

/** Opens the consent page at base and presses Authorize; returns the code from the redirect. */
export async function authorizeAt(base: string, client: HttpApp, jar: CookieJar, scope = 'read'): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    scope,
  });
  const page = await fetch(`${base}/oauth/authorize?${query}`, {
    headers: { cookie: jar.header() },
    redirect: 'manual',
  });
  jar.take(page);
  let location = page.headers.get('location');
  if (page.status !== 302) {
    if (page.status !== 200) throw new Error(`authorize page at ${base}: ${page.status}`);
    const res = await postForm(
      `${base}/oauth/authorize`,
      { ...Object.fromEntries(query), decision: 'authorize', _csrf: csrfIn(await page.text()) },
      { cookie: jar.header() },
    );
    if (res.status !== 302) throw new Error(`authorize at ${base}: ${res.status} ${await res.text()}`);
    location = res.headers.get('location');
  }
  const code = new URL(location!).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

export function exchangeAt(base: string, client: HttpApp, code: string, timeoutMs?: number): Promise<Response> {
  return postForm(
    `${base}/oauth/token`,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirect_uris[0]!,
      client_id: client.client_id,
      client_secret: client.client_secret,
    },
    {},
    timeoutMs,
  );
}

export function clientTokenAt(base: string, client: HttpApp, timeoutMs?: number): Promise<Response> {
  return postForm(
    `${base}/oauth/token`,
    {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope: 'read',
    },
    {},
    timeoutMs,
  );
}

export function verifyAt(base: string, token: string): Promise<Response> {
  return fetch(`${base}/api/v1/accounts/verify_credentials`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
}

export function appVerifyAt(base: string, token: string): Promise<Response> {
  return fetch(`${base}/api/v1/apps/verify_credentials`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
}

/**
 * Rows that a half-finished write would leave behind; every list must be empty.
 * A used code has at least one token of its family (a replay revokes them but keeps them);
 * a user token of a family points at a used code; every token's and code's application exists.
 */
export async function halfWritten(db: Queryable): Promise<Record<string, unknown[]>> {
  return {
    usedCodesWithoutToken: await db.query(
      `SELECT c.id FROM authorization_codes c WHERE c.used_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.family_id = c.id)`,
    ),
    familyTokensWithoutUsedCode: await db.query(
      `SELECT t.id FROM access_tokens t WHERE t.family_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.id = t.family_id AND c.used_at IS NOT NULL)`,
    ),
    tokensWithoutApplication: await db.query(
      `SELECT t.id FROM access_tokens t WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = t.application_id)`,
    ),
    codesWithoutApplication: await db.query(
      `SELECT c.id FROM authorization_codes c WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = c.application_id)`,
    ),
  };
}

export const EMPTY_HALF_WRITTEN = {
  usedCodesWithoutToken: [],
  familyTokensWithoutUsedCode: [],
  tokensWithoutApplication: [],
  codesWithoutApplication: [],
};
