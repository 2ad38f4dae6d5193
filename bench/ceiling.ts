/**
 * The ceilings Doorman is measured against, one per process (so its RSS is its own):
 *   A  a bare Fastify route that parses the same form body and answers a small JSON;
 *   B  A plus one INSERT of a token-shaped row;
 *   C  A plus one indexed SELECT by a 32-byte hash;
 *   C2 A plus one SELECT with the two index probes introspection needs: the caller's app by
 *      client_id and the token by hash.
 * B and C open the database exactly as Doorman does (src/db/open.ts), so the pool is the same.
 * Usage: tsx bench/ceiling.ts A|B|C|C2  (PORT, DATABASE_URL or DATA_DIR, BENCH_APP_ID, BENCH_TOKEN_HASH)
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { parse as parseQuery } from 'node:querystring';
import { openDatabase } from '../src/db/open.js';
import { hashSecret, randomToken } from '../src/secrets.js';

const kind = process.argv[2];
const port = Number(process.env.PORT ?? 3100);
const db =
  kind === 'A'
    ? undefined
    : await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.DATA_DIR ?? './data' });
const appId = Number(process.env.BENCH_APP_ID);
const tokenHash = process.env.BENCH_TOKEN_HASH ?? '';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
await app.register(formbody, { parser: (body) => parseQuery(body, '&', '=', { maxKeys: 1000 }) });
app.get('/health', async () => ({ status: 'ok' }));

app.post('/ceiling', async (request) => {
  const body = request.body as Record<string, string>;
  if (!body.client_id) throw new Error('no body');
  if (kind === 'B') {
    const token = randomToken();
    const now = new Date();
    await db!.query(
      `INSERT INTO access_tokens (token_hash, application_id, user_id, scopes, family_id, created_at, expires_at, refresh_token_hash, refresh_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [hashSecret(token), appId, null, ['read'], null, now, null, null, null],
    );
    return { access_token: token, token_type: 'Bearer', scope: 'read', created_at: Math.floor(now.getTime() / 1000) };
  }
  if (kind === 'C') {
    const [row] = await db!.query<{ id: number; scopes: string[] }>(
      `SELECT id, scopes FROM access_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    if (!row) throw new Error('token not found');
    return { active: true, scope: row.scopes.join(' ') };
  }
  if (kind === 'C2') {
    const [row] = await db!.query<{ app: number; secret: string; scopes: string[] }>(
      `SELECT a.id AS app, a.client_secret_hash AS secret, t.scopes FROM applications a, access_tokens t WHERE a.client_id = $1 AND t.token_hash = $2`,
      [body.client_id, tokenHash],
    );
    if (!row) throw new Error('app or token not found');
    return { active: true, scope: row.scopes.join(' ') };
  }
  return { access_token: 'x'.repeat(43), token_type: 'Bearer', scope: 'read', created_at: 0 };
});

const stop = async () => {
  await app.close();
  await db?.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
await app.listen({ port, host: '127.0.0.1' });
