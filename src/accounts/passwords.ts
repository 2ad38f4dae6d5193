import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (node's own). The stored string carries its parameters, so they
 * can be raised later and old hashes still verify (and are upgraded at the next sign-in):
 * scrypt$N$r$p$salt$hash. N=2^15, r=8, p=3 is OWASP's minimum for scrypt at 32 MiB: its
 * alternative N=2^17, p=1 takes 128 MiB per hash and over five times as long here.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
const CURRENT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
/** No hash, stored or new, may ask for more: a tampered row must not make a sign-in allocate gigabytes. */
const MAX_MEMORY = 64 * 1024 * 1024;

/** The memory scrypt needs for these parameters (128·N·r for the table, 128·r·p for the blocks). */
const memoryFor = ({ N, r, p }: ScryptParams) => 128 * N * r + 128 * r * p;

function withinBounds(params: ScryptParams): boolean {
  const { N, r, p } = params;
  const integers = [N, r, p].every((v) => Number.isSafeInteger(v) && v > 0);
  return integers && N > 1 && (N & (N - 1)) === 0 && r <= 32 && p <= 16 && memoryFor(params) <= MAX_MEMORY;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // node refuses more than `maxmem`: the need plus headroom, never past the bound (checked before)
  const options: ScryptOptions = { ...params, maxmem: MAX_MEMORY + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, N, r, p, salt, key] = stored.split('$');
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  if (kind !== 'scrypt' || !salt || !key || !withinBounds(params)) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether a stored hash was made with other parameters than today's (so it is due an upgrade). */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`scrypt$${CURRENT.N}$${CURRENT.r}$${CURRENT.p}$`);
}

/**
 * Verified against when the user does not exist, so a wrong name costs as long as a wrong password:
 * today's parameters with a random salt and key. Checking a password against it costs a whole
 * scrypt, as a real hash does; making it costs nothing (no hash at start-up).
 */
export const DECOY_HASH = ['scrypt', CURRENT.N, CURRENT.r, CURRENT.p, randomBytes(16), randomBytes(KEY_LENGTH)]
  .map((part) => (Buffer.isBuffer(part) ? part.toString('base64url') : part))
  .join('$');
