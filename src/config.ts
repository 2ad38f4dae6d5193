import { isIP } from 'node:net';
import { z } from 'zod';

/** Every setting of the operator's environment, parsed once at start. */
const onOff = z.enum(['on', 'off']).transform((v) => v === 'on');
const seconds = z.coerce.number().int().positive();
const count = z.coerce.number().int().positive();
const trueFalse = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A proxy address or CIDR range: `10.0.0.1`, `10.0.0.0/8`, `fd00::/8`. */
function isAddressOrRange(entry: string): boolean {
  const [ip, bits, extra] = entry.split('/');
  const family = isIP(ip ?? '');
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Which proxies' `X-Forwarded-*` to believe: `false`, a hop count (`true` is one), or a list of
 * proxy addresses/CIDRs. Trusting every hop would let a client write its own address.
 */
const trustProxy = z.string().transform((v, ctx): false | number | string[] => {
  if (v === 'false' || v === '0') return false;
  if (v === 'true') return 1;
  if (/^[1-9]\d{0,2}$/.test(v)) return Number(v);
  const list = v.split(',').map((e) => e.trim());
  if (list.every(isAddressOrRange)) return list;
  ctx.addIssue({
    code: 'custom',
    message: 'must be false, true, a hop count, or a comma-separated list of addresses/CIDRs',
  });
  return z.NEVER;
});

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  ISSUER: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .refine((v) => !v.endsWith('/'), 'must not end with a slash')
    .optional(),
  TRUST_PROXY: trustProxy.default(false),
  APP_REGISTRATION: z.enum(['open', 'closed']).default('open'),
  ACCESS_TOKEN_TTL: seconds.optional(),
  AUTHORIZATION_CODE_TTL: seconds.default(600),
  SCOPES: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e ]*$/, 'must be scope names separated by spaces')
    .optional(),
  REFRESH_TOKEN_TTL: seconds.default(2592000),
  REFRESH_REUSE_GRACE: z.coerce.number().int().min(0).default(30),
  RATE_LIMIT: onOff.default(true),
  RATE_LIMIT_TOKEN: count.default(600),
  RATE_LIMIT_SIGN_IN: count.default(10),
  RATE_LIMIT_APPS: count.default(5),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_POOLER: z.enum(['none', 'transaction']).default('none'),
  WORKERS: z.union([z.literal('auto'), z.coerce.number().int().positive()]).default(1),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  INSTANCE_TITLE: z.string().max(200).default('Doorman'),
  INSTANCE_DESCRIPTION: z.string().max(2000).default(''),
  INSTANCE_CONTACT_EMAIL: z.string().max(320).default(''),
  CLIENT_METADATA_ALLOW_PRIVATE: trueFalse.default(false),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  issuer: string;
  /** Fastify's `trustProxy`: false, a hop count, or proxy addresses/CIDRs. */
  trustProxy: false | number | string[];
  appRegistration: 'open' | 'closed';
  accessTokenTtl: number | undefined;
  authorizationCodeTtl: number;
  extraScopes: string[];
  refreshTokenTtl: number;
  refreshReuseGrace: number;
  rateLimit: { enabled: boolean; token: number; signIn: number; apps: number };
  redisUrl: string | undefined;
  logLevel: string;
  /** `transaction`: a transaction-mode pooler is in front, so no session state and no named statements. */
  databasePooler: 'none' | 'transaction';
  /** Processes serving the port; `auto` means one per core. */
  workers: number | 'auto';
  /** Prometheus metrics listener; undefined port: off. */
  metrics: { port: number | undefined; host: string };
  /** What the instance answers and the pages call this server. */
  instance: { title: string; description: string; contactEmail: string };
  /** Client metadata documents may come from loopback and private addresses (tests only). */
  clientMetadataAllowPrivate: boolean;
}

export class ConfigError extends Error {}

/** Reads the settings; throws ConfigError with one line naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "unset", as operators expect from `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${name}: ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    issuer: c.ISSUER ?? `http://127.0.0.1:${c.PORT}`,
    trustProxy: c.TRUST_PROXY,
    appRegistration: c.APP_REGISTRATION,
    accessTokenTtl: c.ACCESS_TOKEN_TTL,
    authorizationCodeTtl: c.AUTHORIZATION_CODE_TTL,
    extraScopes: (c.SCOPES ?? '').split(' ').filter(Boolean),
    refreshTokenTtl: c.REFRESH_TOKEN_TTL,
    refreshReuseGrace: c.REFRESH_REUSE_GRACE,
    rateLimit: {
      enabled: c.RATE_LIMIT,
      token: c.RATE_LIMIT_TOKEN,
      signIn: c.RATE_LIMIT_SIGN_IN,
      apps: c.RATE_LIMIT_APPS,
    },
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    databasePooler: c.DATABASE_POOLER,
    workers: c.WORKERS,
    metrics: { port: c.METRICS_PORT, host: c.METRICS_HOST },
    instance: { title: c.INSTANCE_TITLE, description: c.INSTANCE_DESCRIPTION, contactEmail: c.INSTANCE_CONTACT_EMAIL },
    clientMetadataAllowPrivate: c.CLIENT_METADATA_ALLOW_PRIVATE,
  };
}
