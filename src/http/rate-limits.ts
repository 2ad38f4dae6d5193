import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP, type FastifyRateLimitStore, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { Redis } from 'ioredis';
import type { Deps } from '../deps.js';
import { tooManyRequests } from '../errors.js';
import { isRegisteredClient } from '../oauth/clients.js';
import { isMetadataDocumentClientId } from '../oauth/metadata-clients.js';
import { claimedClientId } from './client-auth.js';
import { RateLimitCounter, type AddCounts, type Counted } from './rate-limit-counter.js';
import type { Limiter } from './route.js';

const MINUTE = 60_000;
/** Authorize requests per address per minute that name a metadata-document client (see limitsOf). */
export const DOCUMENT_CLIENT_AUTHORIZATIONS = 60;

function namesMetadataDocument(request: FastifyRequest): boolean {
  const clientId = (request.query as Record<string, unknown> | undefined)?.client_id;
  return typeof clientId === 'string' && isMetadataDocumentClientId(clientId);
}

/** `request.ip`, with IPv6 addresses folded to their /64 (one host usually holds a whole /64). */
const address = (request: FastifyRequest) => normalizeIP(request.ip);

/**
 * The client a token, revoke or introspection request speaks for (body or HTTP Basic), whether or
 * not its credentials are right: one client's flood must not lock out another client on the same
 * address. An id that no client has is counted under the address alone, so inventing a new id per
 * request neither escapes the limit nor writes a counter each. Long ids are hashed so that junk
 * cannot make long keys.
 */
function clientAndAddress(deps: Pick<Deps, 'db' | 'clock'>): (request: FastifyRequest) => Promise<string> {
  const known = knownClients(deps);
  return async (request) => {
    let clientId = '';
    try {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const sent = Array.isArray(body.client_id) ? body.client_id[0] : body.client_id;
      clientId = claimedClientId(request, { client_id: typeof sent === 'string' ? sent : undefined }) ?? '';
    } catch {
      // a malformed Basic header or body: the endpoint itself answers 400; count it under no client
    }
    if (clientId && !(await known(clientId))) clientId = '';
    if (clientId.length > 64) clientId = createHash('sha256').update(clientId).digest('base64url');
    return `${clientId}|${address(request)}`;
  };
}

/** How long a client id found registered is taken as such without asking the database again. */
const KNOWN_CLIENT_MS = 60_000;
const KNOWN_CLIENTS_MAX = 10_000;

/**
 * Whether a client id is registered, remembered for a minute when it is: a known client's requests
 * then cost no extra statement for their key. Only the choice of counter rests on it (a client
 * deleted within the minute is still counted under its id), never authentication. Unknown ids are
 * not remembered, so junk cannot fill the map; a full map starts over.
 */
function knownClients(deps: Pick<Deps, 'db' | 'clock'>): (clientId: string) => Promise<boolean> {
  const until = new Map<string, number>();
  return async (clientId) => {
    const now = deps.clock().getTime();
    if ((until.get(clientId) ?? 0) > now) return true;
    // the database unreachable: count under the address; the endpoint itself answers 503
    const registered = await isRegisteredClient(deps, clientId).catch(() => false);
    if (registered) {
      if (until.size >= KNOWN_CLIENTS_MAX) until.clear();
      until.set(clientId, now + KNOWN_CLIENT_MS);
    }
    return registered;
  };
}

/**
 * The limiters (SPEC §1 and §3); a route's declaration names the one that counts it. The token
 * limiter counts after the body is parsed, since the key holds the client id; the others count
 * before, so a flood costs no body parsing. Sign-in failures are also throttled per account and
 * per address in accounts/sessions.ts; the request limit here (10× the failure limit per address)
 * bounds what a flood costs beyond that: a password hash or an audit row per attempt.
 */
function limitsOf(
  deps: Pick<Deps, 'db' | 'clock'>,
  config: Deps['config']['rateLimit'],
): Record<Limiter, RateLimitOptions> {
  return {
    token: { max: config.token, timeWindow: MINUTE, hook: 'preValidation', keyGenerator: clientAndAddress(deps) },
    apps: { max: config.apps, timeWindow: 10 * MINUTE, hook: 'onRequest', keyGenerator: address },
    signIn: { max: config.signIn * 10, timeWindow: 15 * MINUTE, hook: 'onRequest', keyGenerator: address },
    // A metadata-document client id makes Doorman fetch a URL a stranger chose: per address, only
    // so many authorize requests naming one (people sign in far more slowly); others are not counted.
    documents: {
      max: DOCUMENT_CLIENT_AUTHORIZATIONS,
      timeWindow: MINUTE,
      hook: 'onRequest',
      keyGenerator: address,
      allowList: (request) => !namesMetadataDocument(request),
    },
  };
}

/**
 * A store over the `rate_limits` table, so that every process on one database (Postgres, or PGlite
 * in one process) counts together; counts are kept in memory and added to the table in batches
 * (http/rate-limit-counter.ts). Built per app so it counts with the app's database and clock.
 */
function databaseStore(counter: RateLimitCounter, clock: () => Date) {
  return class DatabaseRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options: unknown,
      private readonly prefix = '',
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      const answer = ({ current, windowStart }: Counted) => {
        const left = windowStart + timeWindow - clock().getTime();
        callback(null, { current, ttl: Math.min(Math.max(left, 0), timeWindow) });
      };
      const counted = counter.count(this.prefix + key, timeWindow, max);
      if ('then' in counted) void counted.then(answer);
      else answer(counted);
    }

    child(options: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new DatabaseRateLimitStore(undefined, counterName(options));
    }
  };
}

type RouteInfo = { method: unknown; url: string; config?: { route?: { rateLimit?: Limiter } } };

/**
 * The name a route's counters go under: its own, except that the registration endpoints (Mastodon's
 * and RFC 7591's) share one, so RATE_LIMIT_APPS counts registrations however they come. The plugin
 * hands each store's `child` the route's merged limit options, with the route itself as routeInfo.
 */
function counterName(options: unknown): string {
  const route = (options as { routeInfo?: RouteInfo }).routeInfo ?? (options as RouteInfo);
  return route.config?.route?.rateLimit === 'apps' ? 'registrations ' : `${String(route.method)} ${route.url} `;
}

/** The plugin's Redis store, its counters named as counterName says. */
function redisStore(redis: Redis, nameSpace: string) {
  return class SharedRedisStore extends RedisStore {
    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      super(options.continueExceeding, options.exponentialBackoff, redis, nameSpace);
    }
    override child(options: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const { continueExceeding, exponentialBackoff } = options as {
        continueExceeding?: boolean;
        exponentialBackoff?: boolean;
      };
      return new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace + counterName(options));
    }
  };
}

/**
 * Installs the rate limits on `app`; call it before any route is registered. With REDIS_URL the
 * counters live in Redis, under a name space per issuer (deployments sharing one Redis stay apart);
 * without it, in the database, through `addCounts`. A store that fails lets requests through: a
 * limiter outage must not become a login outage.
 */
export async function installRateLimits(app: FastifyInstance, deps: Deps, addCounts: AddCounts): Promise<void> {
  const { config } = deps;
  if (!config.rateLimit.enabled) return;
  const limits = limitsOf(deps, config.rateLimit);
  // Runs before the plugin's own onRoute hook (added below), which reads config.rateLimit.
  app.addHook('onRoute', (route) => {
    const limiter = route.config?.route?.rateLimit;
    if (limiter) route.config = { ...route.config, rateLimit: limits[limiter] };
  });

  let redis: Redis | undefined;
  if (config.redisUrl) {
    // No offline queue: while Redis is away a request is let through at once instead of waiting
    // for a reconnect. Connect before serving, so the first requests are counted too. Loaded only
    // here: ioredis alone adds ~25 MB to a process that never talks to Redis.
    const { Redis } = await import('ioredis');
    redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
    });
    redis.on('error', (err) => deps.log.warn({ err }, 'rate-limit store (Redis) failed; requests let through'));
    await redis.connect().catch(() => {}); // logged above; ioredis keeps reconnecting
    app.addHook('onClose', async () => void redis!.disconnect());
  }
  let counter: RateLimitCounter | undefined;
  if (!redis) {
    counter = new RateLimitCounter(addCounts, deps.clock, (err) =>
      deps.log.warn({ err }, 'rate-limit store failed; counted in this process only'),
    );
    app.addHook('onClose', async () => counter!.close());
  }
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    errorResponseBuilder: tooManyRequests,
    onExceeded: (request) => deps.metrics.rateLimitRefusals.inc({ route: request.routeOptions.url ?? 'unmatched' }),
    store: redis ? redisStore(redis, `doorman:${config.issuer}:rate-limit:`) : databaseStore(counter!, deps.clock),
  });
}
