/**
 * Fetching a client metadata document from a URL a stranger chose, as carefully as a webhook sender.
 *
 *   fetchMetadataDocument(url: string, options?: FetchOptions): Promise<FetchedDocument>
 *     GET with `Accept: application/json`; throws ClientMetadataError with the reason on any refusal.
 *   cacheLifetime(cacheControl: string | undefined): number
 *     seconds a fetched document may be reused: s-maxage or max-age, clamped to [5 min, 24 h];
 *     no-store, no-cache, absent or unreadable: 5 min.
 *   class FetchSlots(perHost = 2, total = 16, waitingPerHost = 4, lookups = 2)
 *     how many fetches may be in flight per host and overall, and host-name lookups pending; one
 *     shared set is the default.
 *
 * Refused: a host any of whose addresses is not public (see addresses.ts; unless `allowPrivate`),
 * checked before any connection, and the connection then goes to those checked addresses only, so a
 * second DNS answer (rebinding) cannot move it; any status but 200 (a redirect is never followed); a
 * media type other than JSON; a compressed body; more than 5 KiB (a larger Content-Length at once,
 * otherwise as soon as the body passes it); anything not done within 5 s in all, waiting for a slot,
 * resolving, connecting, headers and body together; a body that is not UTF-8 JSON.
 */
import { lookup as systemLookup } from 'node:dns/promises';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { addressProblem } from './addresses.js';
import { ClientMetadataError } from './error.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to; Doorman's default asks the system (`dns.lookup`). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface FetchOptions {
  /** Let documents come from loopback and private addresses (`CLIENT_METADATA_ALLOW_PRIVATE`, tests). */
  allowPrivate?: boolean;
  resolve?: Resolver;
  /** Certificates to trust instead of the system's (tests); in production NODE_EXTRA_CA_CERTS adds to them. */
  ca?: string | string[];
  /** Everything from the call to the last byte; 5000 by default. */
  timeoutMs?: number;
  /** Largest body read; 5 KiB by default. */
  maxBytes?: number;
  slots?: FetchSlots;
}

export interface FetchedDocument {
  /** The parsed JSON, not yet validated (see document.ts). */
  document: unknown;
  /** How long it may be reused, from its Cache-Control (see cacheLifetime). */
  lifetimeSeconds: number;
}

const TIMEOUT_MS = 5000;
const MAX_BYTES = 5 * 1024;
export const MIN_LIFETIME_SECONDS = 5 * 60;
export const MAX_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * Fetches in flight per host and overall, so that slow hosts cannot tie the server up: a fetch beyond
 * them waits its turn (within its own deadline), or is refused at once when too many already wait.
 * Host-name lookups are bounded on their own: the system's (getaddrinfo) runs on libuv's thread pool,
 * which scrypt and file access share, and goes on after a fetch's deadline has given up on it, so a
 * name whose DNS server never answers must not be able to take the whole pool.
 */
export class FetchSlots {
  private readonly inFlight = new Map<string, number>();
  private running = 0;
  private readonly queue: { host: string; start: () => void }[] = [];
  private pendingLookups = 0;

  constructor(
    readonly perHost = 2,
    readonly total = 16,
    readonly waitingPerHost = 4,
    readonly lookups = 2,
  ) {}

  /** Runs a host-name lookup, counted until it ends (deadline or not); refused when too many are pending. */
  lookup<T>(work: () => Promise<T>): Promise<T> {
    if (this.pendingLookups >= this.lookups)
      return Promise.reject(new ClientMetadataError('too many host names are being looked up at once; try again'));
    this.pendingLookups++;
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      pending = Promise.reject(error);
    }
    const done = () => {
      this.pendingLookups--;
    };
    pending.then(done, done);
    return pending;
  }

  /** Resolves with the function that gives the slot back; rejects when refused or `signal` fires first. */
  take(host: string, signal: AbortSignal): Promise<() => void> {
    const waiting = this.queue.filter((w) => w.host === host).length;
    // first come, first served within a host; a busy host does not hold up the others
    if (!waiting && this.hasRoom(host)) return Promise.resolve(this.occupy(host));
    if (waiting >= this.waitingPerHost || this.queue.length >= this.total * this.waitingPerHost)
      return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const waiter = {
        host,
        start: () => {
          signal.removeEventListener('abort', giveUp);
          resolve(this.occupy(host));
        },
      };
      const giveUp = () => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        reject(busy());
      };
      signal.addEventListener('abort', giveUp, { once: true });
      this.queue.push(waiter);
    });
  }

  private hasRoom(host: string): boolean {
    return this.running < this.total && (this.inFlight.get(host) ?? 0) < this.perHost;
  }

  private occupy(host: string): () => void {
    this.running++;
    this.inFlight.set(host, (this.inFlight.get(host) ?? 0) + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.running--;
      const left = this.inFlight.get(host)! - 1;
      if (left) this.inFlight.set(host, left);
      else this.inFlight.delete(host);
      this.startWaiting();
    };
  }

  private startWaiting(): void {
    for (let i = 0; i < this.queue.length; ) {
      const waiter = this.queue[i]!;
      if (!this.hasRoom(waiter.host)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      waiter.start();
    }
  }
}

const busy = () => new ClientMetadataError('too many documents are being fetched from this host at once; try again');

const sharedSlots = new FetchSlots();

const systemResolver: Resolver = async (hostname) =>
  (await systemLookup(hostname, { all: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export async function fetchMetadataDocument(url: string, options: FetchOptions = {}): Promise<FetchedDocument> {
  const target = URL.canParse(url) ? new URL(url) : undefined;
  if (target?.protocol !== 'https:') throw new ClientMetadataError('the document URL is not an https URL');
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const tooSlow = () => new ClientMetadataError(`the document took longer than ${timeoutMs / 1000} seconds to fetch`);
  let giveBack: (() => void) | undefined;
  try {
    const slots = options.slots ?? sharedSlots;
    giveBack = await slots.take(target.host, deadline.signal);
    const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const literal = isIP(hostname);
    const addresses = literal
      ? checked([{ address: hostname, family: literal === 6 ? 6 : 4 }], options)
      : await beforeDeadline(resolveChecked(hostname, slots, options), deadline.signal, tooSlow);
    return await get(target, hostname, addresses, options, deadline.signal, tooSlow);
  } finally {
    clearTimeout(timer);
    giveBack?.();
  }
}

/** The host's addresses, every one of them allowed; the connection will use these and no others. */
async function resolveChecked(hostname: string, slots: FetchSlots, options: FetchOptions): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await slots.lookup(() => (options.resolve ?? systemResolver)(hostname));
  } catch (error) {
    if (error instanceof ClientMetadataError) throw error;
    throw new ClientMetadataError('the host name does not resolve');
  }
  if (!addresses.length) throw new ClientMetadataError('the host name does not resolve');
  return checked(addresses, options);
}

function checked(addresses: ResolvedAddress[], options: FetchOptions): ResolvedAddress[] {
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const problem = addressProblem(address);
      // any one refused address refuses the host: which one a connection would use is not ours to pick
      if (problem) throw new ClientMetadataError(`the host resolves to ${problem}`);
    }
  }
  return addresses;
}

function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal, tooSlow: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(tooSlow());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(tooSlow());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function get(
  target: URL,
  hostname: string,
  addresses: ResolvedAddress[],
  options: FetchOptions,
  signal: AbortSignal,
  tooSlow: () => Error,
): Promise<FetchedDocument> {
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  // Whatever asks for the host's address gets the checked ones (all of them when Node tries several).
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    let settled = false;
    const finish = (error: Error | undefined, fetched?: FetchedDocument) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        response?.destroy();
        request.destroy();
        reject(error);
      } else resolve(fetched!);
    };
    const refuse = (reason: string) => finish(new ClientMetadataError(reason));
    const onAbort = () => finish(tooSlow());
    // `host` stays the name, so the Host header, SNI and the certificate check all use it; only the
    // address it connects to comes from `pinned`. (A host written as an IP is connected to as is.)
    const request = https.request({
      host: hostname,
      port: target.port || 443,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'Doorman (client metadata)' },
      lookup: pinned,
      agent: false,
      ca: options.ca,
      maxHeaderSize: 8 * 1024,
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();
    request.on('error', (error) => finish(new ClientMetadataError(networkReason(error))));
    request.on('response', (res) => {
      response = res;
      res.on('error', (error) => finish(new ClientMetadataError(networkReason(error))));
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400)
        return refuse('the document URL redirects elsewhere; redirects are not followed');
      if (status !== 200) return refuse(`the document URL answered HTTP ${status}, not 200`);
      if (!isJson(res.headers['content-type'])) return refuse('the document is not served as JSON (application/json)');
      const encoding = res.headers['content-encoding'];
      if (encoding && encoding.toLowerCase() !== 'identity') return refuse('the document is served compressed');
      const tooBig = `the document is larger than ${maxBytes} bytes`;
      const declared = res.headers['content-length'];
      if (declared !== undefined && !(Number(declared) <= maxBytes)) return refuse(tooBig);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) refuse(tooBig);
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        let document: unknown;
        try {
          document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
        } catch {
          return refuse('the document is not valid JSON');
        }
        finish(undefined, { document, lifetimeSeconds: cacheLifetime(res.headers['cache-control']) });
      });
    });
    request.end();
  });
}

/** `application/json`, or a JSON-based type (`application/…+json`), parameters aside. */
function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

const TLS_CODES =
  /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

function networkReason(error: Error & { code?: string }): string {
  const code = error.code ?? '';
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(error.message))
    return `the host's TLS certificate is not valid for it (${code || 'TLS error'})`;
  if (code === 'ECONNREFUSED') return 'the host refused the connection';
  if (code === 'HPE_HEADER_OVERFLOW') return "the host's response headers are too large";
  return `the document could not be fetched${code ? ` (${code})` : ''}`;
}

/** Seconds a fetched document may be reused, from its Cache-Control header (see the file's top). */
export function cacheLifetime(cacheControl: string | undefined): number {
  const directives = new Map<string, string | undefined>();
  for (const part of (cacheControl ?? '').split(',')) {
    const equals = part.indexOf('=');
    const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    // a repeated directive keeps its first value (RFC 9111 §4.2.1 leaves the choice to caches)
    if (!name || directives.has(name)) continue;
    directives.set(
      name,
      equals < 0
        ? undefined
        : part
            .slice(equals + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
    );
  }
  if (directives.has('no-store') || directives.has('no-cache')) return MIN_LIFETIME_SECONDS;
  // Doorman keeps one copy for every user: a shared cache, which reads s-maxage first (RFC 9111 §5.2.2.10)
  const seconds = [directives.get('s-maxage'), directives.get('max-age')].find(
    (v) => v !== undefined && /^\d+$/.test(v),
  );
  if (seconds === undefined) return MIN_LIFETIME_SECONDS;
  return Math.min(MAX_LIFETIME_SECONDS, Math.max(MIN_LIFETIME_SECONDS, Number(seconds)));
}
