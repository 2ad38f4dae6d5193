/**
 * The comparator: node-oidc-provider (panva's, the most used OAuth/OIDC server library for Node)
 * issuing client_credentials tokens on Postgres, for the bench's side-by-side group.
 * Configured as an operator would for this grant: the grant enabled, one static client, opaque
 * access tokens (no resource indicator is sent, so every token is one stored row, as Doorman's
 * are), development interactions off, keys of its own instead of the development ones. Its
 * storage is the adapter below on one table, with a pool of the same size as Doorman's and named
 * (prepared) statements, as Doorman's store uses. It logs nothing per request.
 * Usage: node bench/oidc-provider.js  (PORT, DATABASE_URL, BENCH_OIDC_CLIENT_ID, BENCH_OIDC_CLIENT_SECRET)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import pg from 'pg';

const port = Number(process.env.PORT ?? 3100);
const clientId = process.env.BENCH_OIDC_CLIENT_ID ?? 'bench';
const clientSecret = process.env.BENCH_OIDC_CLIENT_SECRET ?? 'bench secret';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', () => {});

// One table for every kind of thing the provider stores; the columns beside the payload are the
// ones it looks rows up by. The partial indexes cost nothing for rows without those keys.
await pool.query(`
  CREATE TABLE IF NOT EXISTS oidc_payloads (
    id text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    grant_id text,
    user_code text,
    uid text,
    expires_at timestamptz,
    consumed_at timestamptz,
    PRIMARY KEY (id, type)
  );
  CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL`);

const run = (name: string, text: string, values: unknown[]) =>
  pool.query<{ payload: AdapterPayload; consumed_at: Date | null }>({ name, text, values });

/** A payload as the provider expects it back: gone once expired, `consumed` set once consumed. */
function found(rows: { payload: AdapterPayload; consumed_at: Date | null }[]): AdapterPayload | undefined {
  const [row] = rows;
  if (!row) return undefined;
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

class PostgresAdapter implements Adapter {
  constructor(private readonly type: string) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await run(
      'oidc_upsert',
      `INSERT INTO oidc_payloads (id, type, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       ON CONFLICT (id, type) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      [
        id,
        this.type,
        payload,
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresIn ?? null,
      ],
    );
  }

  /** The live payload of this type whose `column` holds `value` (id, user_code or uid). */
  private async findBy(column: 'id' | 'user_code' | 'uid', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await run(
      `oidc_find_${column}`,
      `SELECT payload, consumed_at FROM oidc_payloads WHERE ${column} = $1 AND type = $2 AND ${LIVE}`,
      [value, this.type],
    );
    return found(rows);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findBy('id', id);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBy('user_code', userCode);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBy('uid', uid);
  }

  async consume(id: string): Promise<void> {
    await run('oidc_consume', `UPDATE oidc_payloads SET consumed_at = now() WHERE id = $1 AND type = $2`, [
      id,
      this.type,
    ]);
  }

  async destroy(id: string): Promise<void> {
    await run('oidc_destroy', `DELETE FROM oidc_payloads WHERE id = $1 AND type = $2`, [id, this.type]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await run('oidc_revoke_grant', `DELETE FROM oidc_payloads WHERE grant_id = $1`, [grantId]);
  }
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: PostgresAdapter,
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'read',
    },
  ],
  scopes: ['read'],
  ttl: { ClientCredentials: 600 }, // its default, stated: ten minutes
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  jwks: { keys: [{ ...signingKey, kid: 'bench', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});

const handle = provider.callback();
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void handle(req, res);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(port, '127.0.0.1');
