// SPEC §6: the admin command line. Its commands run here in this process, through the same
// parsing (cli/commands.ts) and Command.run as `npm run cli`, over one open database; a few tests
// below run it as the operator does (a child process): JSON on stdout and exit 0, or one line on
// stderr and a non-zero exit, the password read from piped stdin, settings from the environment.
// test/pglite-lock.test.ts runs it beside a live server that offers its PGlite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { verifyPassword } from '../src/accounts/passwords.js';
import { pino } from 'pino';
import type { CommandDeps } from '../src/cli/command.js';
import { exitCode, oneLine, parseCommandLine, printable } from '../src/cli/commands.js';
import { readFirstLine } from '../src/cli/stdin.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import { ScopeCatalog } from '../src/oauth/scopes.js';
import { hashSecret } from '../src/secrets.js';
import { insertAuditEvent } from '../src/store/audit.js';
import { testDatabase, type TestDatabase } from './support/database.js';
import { nodeArgs, ROOT } from './support/paths.js';

/** The database the commands run on in this process. */
let database: TestDatabase;
/** Another, for the CLI processes (PGlite has one owner at a time). */
let processDatabase: TestDatabase;

before(async () => {
  [database, processDatabase] = await Promise.all([testDatabase(), testDatabase()]);
  await processDatabase.db.close(); // the CLI processes own this one
});

after(async () => {
  await Promise.all([database.drop(), processDatabase.drop()]);
});

/** What a command is handed, as cli/main.ts builds it from these settings. */
function commandDeps(env: Record<string, string> = {}): CommandDeps {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  return {
    db: database.db,
    config,
    clock: () => new Date(),
    scopes: new ScopeCatalog(config.extraScopes),
    log: pino({ level: 'silent' }),
  };
}

/** Standard input that holds `text` and is not a terminal (piped, as in `echo pw | …`). */
function pipedStdin(text: string): NodeJS.ReadStream {
  const input = new PassThrough();
  input.end(text);
  return input as unknown as NodeJS.ReadStream;
}

/** Runs one command line as cli/main.ts does, in this process: what it would print on stdout. */
async function runCommand(args: string[], stdin = '', env?: Record<string, string>): Promise<string> {
  const { command, options } = parseCommandLine(args);
  return printable(
    await command.run(commandDeps(env), options, { readLine: (prompt) => readFirstLine(prompt, pipedStdin(stdin)) }),
  );
}

async function ok<T = unknown>(args: string[], stdin?: string, env?: Record<string, string>): Promise<T> {
  return JSON.parse(await runCommand(args, stdin, env)) as T;
}

/** A refusal: nothing to print, a non-zero exit status, exactly one line for stderr without a stack. */
async function refused(args: string[], stdin?: string): Promise<string> {
  let printed: string;
  try {
    printed = await runCommand(args, stdin);
  } catch (err) {
    const line = `doorman: ${oneLine(err)}\n`;
    assert.notEqual(exitCode(err), 0);
    assert.match(line, /^[^\n]+\n$/, `one line on stderr: ${JSON.stringify(line)}`);
    assert.doesNotMatch(line, /\bat .+:\d+:\d+/, 'no stack trace');
    return line.slice('doorman: '.length).trim();
  }
  assert.fail(`${args.join(' ')} should fail: ${printed}`);
}

/** A look at the database the commands run on. */
const look = <T>(fn: (db: Database) => Promise<T>): Promise<T> => fn(database.db);

interface UserOut {
  id: string;
  username: string;
  email: string;
}

test('users:create reads the password from stdin; users:list shows the user without any hash; users:delete removes them', async () => {
  const created = await ok<UserOut & Record<string, unknown>>(
    ['users:create', '--username', 'alice', '--email', 'alice@example.com'],
    'correct horse battery staple\n',
  );
  assert.equal(created.username, 'alice');
  assert.equal(created.email, 'alice@example.com');
  assert.equal(typeof created.id, 'string');
  assert.ok(
    !JSON.stringify(created).includes('scrypt') && !('password_hash' in created) && !('passwordHash' in created),
  );

  // the --name=value form, and a password line without a newline
  await ok(['users:create', '--username=bob', '--email=bob@example.com'], 'another password');

  const listed = await ok<UserOut[]>(['users:list']);
  assert.deepEqual(
    listed.map((u) => u.username),
    ['alice', 'bob'],
  );
  assert.ok(!JSON.stringify(listed).includes('scrypt'), 'no password hash listed');

  // the password is the first line, as typed: it signs in (checked against the stored hash)
  const hash = await look(
    async (db) =>
      (await db.query<{ h: string }>(`SELECT password_hash AS h FROM users WHERE username = 'alice'`))[0]!.h,
  );
  assert.equal(await verifyPassword('correct horse battery staple', hash), true);

  // deleting a user revokes their tokens: their rows go with them
  await look(async (db) => {
    const [app] = await db.query<{ id: number }>(
      `INSERT INTO applications (client_id, client_secret_hash, name, redirect_uris, scopes) VALUES ('cli-test-app', 'x', 'x', '{urn:ietf:wg:oauth:2.0:oob}', '{read}') RETURNING id`,
    );
    await db.query(
      `INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, created_at, family_id)
       SELECT 'cli-test-token', $1, id, '{read}', now(), NULL FROM users WHERE username = 'bob'`,
      [app!.id],
    );
  });
  assert.deepEqual(await ok(['users:delete', '--username', 'bob']), { deleted: true, username: 'bob' });
  assert.deepEqual(
    (await ok<UserOut[]>(['users:list'])).map((u) => u.username),
    ['alice'],
  );
  assert.equal(
    await look(
      async (db) => (await db.query(`SELECT 1 FROM access_tokens WHERE token_hash = 'cli-test-token'`)).length,
    ),
    0,
  );
  await ok(['apps:delete', '--client-id', 'cli-test-app']);
});

test('users:create refuses a password under 8 characters', async () => {
  assert.match(
    await refused(['users:create', '--username', 'carol', '--email', 'carol@example.com'], 'seven77\n'),
    /password must be at least 8 characters/,
  );
});

test('a password typed at a terminal is not echoed: the terminal is put in raw mode and restored', async () => {
  const input = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(on: boolean): void };
  const modes: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (on: boolean) => void modes.push(on);
  let shown = '';
  const output = {
    write: (text: string) => {
      shown += text;
      return true;
    },
  };
  const line = readFirstLine('Password: ', input as unknown as NodeJS.ReadStream, output);
  input.write('secret pa');
  input.write('ssx\x7f\x7fs\r');
  assert.equal(await line, 'secret pass');
  assert.deepEqual(modes, [true, false]);
  assert.ok(!shown.includes('secret'), `shown: ${JSON.stringify(shown)}`);
  assert.match(shown, /^Password: /);
});

test('users:create refuses a duplicate user name, a bad e-mail address and an empty password', async () => {
  assert.match(
    await refused(['users:create', '--username', 'alice', '--email', 'other@example.com'], 'long enough\n'),
    /username is already taken/,
  );
  assert.match(
    await refused(['users:create', '--username', 'carol', '--email', 'not-an-address'], 'long enough\n'),
    /email/,
  );
  assert.match(await refused(['users:create', '--username', 'carol', '--email', 'carol@example.com'], ''), /password/);
  assert.match(await refused(['users:delete', '--username', 'nobody']), /nobody/);
  assert.deepEqual(
    (await ok<UserOut[]>(['users:list'])).map((u) => u.username),
    ['alice'],
    'nothing was written',
  );
});

interface AppOut {
  id: string;
  name: string;
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  scopes: string[];
}

test('apps:create prints the Application entity with the secret; apps:list never shows a secret; no table keeps it', async () => {
  const created = await ok<AppOut & Record<string, unknown>>([
    'apps:create',
    '--name',
    'Reader',
    '--redirect-uri',
    'https://reader.example/cb',
    '--redirect-uri=urn:ietf:wg:oauth:2.0:oob',
    '--scopes',
    'read write',
    '--website=https://reader.example',
    '--resource-server',
  ]);
  // the keys POST /api/v1/apps answers with
  assert.deepEqual(Object.keys(created).sort(), [
    'client_id',
    'client_secret',
    'client_secret_expires_at',
    'id',
    'name',
    'redirect_uri',
    'redirect_uris',
    'scopes',
    'website',
  ]);
  assert.equal(created.name, 'Reader');
  assert.deepEqual(created.redirect_uris, ['https://reader.example/cb', 'urn:ietf:wg:oauth:2.0:oob']);
  assert.equal(created.redirect_uri, 'https://reader.example/cb\nurn:ietf:wg:oauth:2.0:oob');
  assert.deepEqual(created.scopes, ['read', 'write']);
  assert.equal(created.website, 'https://reader.example');
  assert.ok(!created.client_id.startsWith('-'));
  const secret = created.client_secret!;
  assert.ok(secret.length >= 43);

  const listed = await ok<(AppOut & { resource_server: boolean })[]>(['apps:list']);
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.client_id, created.client_id);
  assert.equal(listed[0]!.resource_server, true);
  assert.ok(!('client_secret' in listed[0]!));
  assert.ok(!JSON.stringify(listed).includes(secret));
  assert.ok(!JSON.stringify(listed).includes(hashSecret(secret)), 'not even the digest is listed');

  // SPEC §2: a dump lets nobody act as the client
  await look(async (db) => {
    const tables = await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    assert.ok(tables.some((t) => t.name === 'applications'));
    for (const { name } of tables) {
      for (const { row } of await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`)) {
        assert.ok(!row.includes(secret), `${name} holds the client secret in plaintext`);
      }
    }
    const [stored] = await db.query<{ hash: string }>(
      'SELECT client_secret_hash AS hash FROM applications WHERE client_id = $1',
      [created.client_id],
    );
    assert.equal(stored!.hash, hashSecret(secret), 'the digest of the printed secret is what is kept');
  });

  assert.deepEqual(await ok(['apps:delete', '--client-id', created.client_id]), {
    deleted: true,
    client_id: created.client_id,
  });
  assert.deepEqual(await ok(['apps:list']), []);
  assert.match(await refused(['apps:delete', '--client-id', created.client_id]), /no application/);
});

test('apps:create refuses a bad redirect URI, an unknown scope, a missing name and a bad website', async () => {
  assert.match(await refused(['apps:create', '--name', 'X', '--redirect-uri', 'javascript:alert(1)']), /redirect_uris/);
  assert.match(
    await refused(['apps:create', '--name', 'X', '--redirect-uri', 'https://x.example/cb#frag']),
    /redirect_uris/,
  );
  assert.match(
    await refused(['apps:create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--scopes', 'read bogus']),
    /scopes/,
  );
  assert.match(await refused(['apps:create', '--name', '', '--redirect-uri', 'https://x.example/cb']), /client_name/);
  assert.match(
    await refused(['apps:create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--website', 'not a url']),
    /website/,
  );
  assert.deepEqual(await ok(['apps:list']), [], 'nothing was written');
});

test('apps:create --resource-server --resource ties resource URIs to it; apps:list shows them', async () => {
  const uri = 'https://api.example/mcp';
  const create = ['apps:create', '--name', 'MCP', '--redirect-uri', 'urn:ietf:wg:oauth:2.0:oob'];
  assert.match(await refused([...create, '--resource', uri]), /resource server/);
  assert.match(await refused([...create, '--resource-server', '--resource', 'https://api.example/#x']), /resource/);
  const created = await ok<AppOut>([...create, '--resource-server', `--resource=${uri}`, '--resource', `${uri}/v2`]);
  const listed = (await ok<(AppOut & { resources?: string[] })[]>(['apps:list'])).find(
    (a) => a.client_id === created.client_id,
  );
  assert.deepEqual(listed?.resources, [uri, `${uri}/v2`]);
  assert.match(await refused([...create, '--resource-server', '--resource', uri]), /already registered/);
  assert.match(await ok<string>(['apps:delete', '--client-id', created.client_id]).then(JSON.stringify), /deleted/);
});

test('operator scopes from SCOPES are accepted by apps:create', async () => {
  const created = await ok<AppOut>(
    ['apps:create', '--name', 'API', '--redirect-uri', 'https://api.example/cb', '--scopes', 'read api:write'],
    undefined,
    { SCOPES: 'api:read api:write' },
  );
  assert.deepEqual(created.scopes, ['read', 'api:write']);
  await ok(['apps:delete', `--client-id=${created.client_id}`]);
});

test('wrong use: unknown command, unknown or repeated option, missing option or value, a bad value', async () => {
  assert.match(await refused(['users:frobnicate']), /unknown command "users:frobnicate"/);
  assert.match(await refused([]), /no command given/);
  assert.match(await refused(['users:list', '--verbose']), /--verbose/);
  assert.match(await refused(['users:create', '--username', 'dave'], 'pw\n'), /missing --email/);
  assert.match(await refused(['apps:create', '--name']), /--name/);
  assert.match(await refused(['apps:create', '--redirect-uri', 'https://x.example/cb']), /missing --name/);
  assert.match(await refused(['users:delete', '--username', 'a', '--username', 'b']), /more than once/);
  assert.match(await refused(['audit:list', '--since', 'last tuesday']), /--since/);
  // a bad setting and a database that does not answer: as a process, below
});

test('tokens:prune prints what it deleted', async () => {
  const out = await ok<{ deleted: Record<string, number> }>(['tokens:prune']);
  for (const key of ['codes', 'tokens', 'sessions']) assert.equal(typeof out.deleted[key], 'number', key);
});

test('audit:list is newest first and filters by user, client and time', async () => {
  await look(async (db) => {
    await insertAuditEvent(db, new Date('2026-01-01T00:00:00Z'), {
      event: 'sign_in.succeeded',
      username: 'alice',
      address: '127.0.0.1',
    });
    await insertAuditEvent(db, new Date('2026-01-02T00:00:00Z'), {
      event: 'token.issued',
      clientId: 'client-a',
      username: 'alice',
    });
    await insertAuditEvent(db, new Date('2026-01-03T00:00:00Z'), {
      event: 'token.issued',
      clientId: 'client-b',
      username: 'someone',
    });
  });
  // the apps created above recorded their registration just now; these are the rows planted in January
  const planted = async <T extends { event: string }>(args: string[]) =>
    (await ok<T[]>(args)).filter((e) => e.event !== 'app.registered');
  const all = await planted<{ event: string; at: string; client_id: string | null; username: string | null }>([
    'audit:list',
  ]);
  assert.deepEqual(
    all.map((e) => e.at),
    ['2026-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
  );
  assert.deepEqual(
    (await planted<{ event: string; at: string }>(['audit:list', '--user', 'alice'])).map((e) => e.at),
    ['2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
  );
  assert.deepEqual(
    (await planted<{ event: string; client_id: string }>(['audit:list', '--client-id=client-b'])).map(
      (e) => e.client_id,
    ),
    ['client-b'],
  );
  assert.deepEqual(
    (await planted<{ event: string; at: string }>(['audit:list', '--since', '2026-01-02T00:00:00Z'])).map((e) => e.at),
    ['2026-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
  );
});

// ---- as the operator runs it: a child process over its own database -------------------------

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where a CLI process finds its database: a Postgres database of its own, or its PGlite folder. */
const processStorage = (): Record<string, string> =>
  processDatabase.url ? { DATABASE_URL: processDatabase.url } : { DATA_DIR: processDatabase.dataDir! };

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...processStorage(), ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => {}); // a command that reads nothing may exit before we write
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function processOk<T = unknown>(args: string[], stdin?: string): Promise<T> {
  const run = await cli(args, { stdin });
  assert.equal(run.code, 0, `${args.join(' ')} → ${run.code}: ${run.stderr}`);
  assert.equal(run.stderr, '');
  return JSON.parse(run.stdout) as T;
}

/** A refusal: exit status `code`, nothing on stdout, exactly one line on stderr. */
async function processRefused(
  code: number,
  args: string[],
  stdin?: string,
  env?: Record<string, string>,
): Promise<string> {
  const run = await cli(args, { stdin, env });
  assert.equal(run.code, code, `${args.join(' ')} should exit ${code}: ${run.stdout}${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^doorman: [^\n]+\n$/, `one line on stderr: ${JSON.stringify(run.stderr)}`);
  assert.doesNotMatch(run.stderr, /\bat .+:\d+:\d+/, 'no stack trace');
  return run.stderr.trim();
}

test('as a process: users:create reads the password from piped stdin and prints JSON; users:list shows the user', async () => {
  const created = await processOk<UserOut>(
    ['users:create', '--username', 'erin', '--email=erin@example.com'],
    'correct horse battery staple\nnot this line\n',
  );
  assert.equal(created.username, 'erin');
  assert.deepEqual(
    (await processOk<UserOut[]>(['users:list'])).map((u) => u.username),
    ['erin'],
  );
  // the password is the first line, as typed
  const db = processDatabase.url ? await openPostgres(processDatabase.url) : await openPglite(processDatabase.dataDir!);
  try {
    const [row] = await db.query<{ h: string }>(`SELECT password_hash AS h FROM users WHERE username = 'erin'`);
    assert.equal(await verifyPassword('correct horse battery staple', row!.h), true);
  } finally {
    await db.close();
  }
});

test('as a process: wrong use exits 2, a bad setting exits 2, a database that does not answer exits 1; one line on stderr each', async () => {
  assert.match(await processRefused(2, ['users:frobnicate']), /unknown command "users:frobnicate"/);
  assert.match(await processRefused(2, ['users:list'], undefined, { SCOPES: 'bad"scope' }), /SCOPES/);
  // port 1: nothing listens there
  assert.match(
    await processRefused(1, ['users:list'], undefined, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/doorman' }),
    /database is not available: .*ECONNREFUSED/,
  );
});

test('PGlite: while another process that offers no socket (not a server) owns DATA_DIR the CLI says so in one line and exits non-zero', async () => {
  // PGlite whatever database the rest of the suite uses
  const dataDir = mkdtempSync(join(tmpdir(), 'doorman-cli-lock-'));
  const template = process.env.DOORMAN_PGLITE_TEMPLATE;
  if (template) cpSync(template, dataDir, { recursive: true });
  const owner = await openPglite(dataDir);
  try {
    await migrate(owner);
    const message = await processRefused(1, ['users:list'], undefined, { DATA_DIR: dataDir, DATABASE_URL: '' });
    assert.ok(message.includes(dataDir), message);
    assert.match(message, /in use by another Doorman process \(pid \d+ on /);
    // the owner is untouched
    assert.deepEqual(await owner.query('SELECT count(*)::int AS n FROM users'), [{ n: 0 }]);
  } finally {
    await owner.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
