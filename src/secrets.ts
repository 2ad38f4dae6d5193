import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 256-bit secret as 43 URL-safe characters (Mastodon's format for ids, secrets, codes, tokens). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** How a secret is stored: SHA-256 is enough for 256-bit random values (no slow hash needed). */
// crypto.hash: one call, no Hash object (a third of createHash().update().digest()'s time, on every request)
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Encrypts a value under a key derived from a secret the caller will present again (AES-256-GCM,
 * key by HKDF-SHA256). The database then holds something only that secret's holder can read.
 */
export function sealWithSecret(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
}

/** The plaintext, or undefined when the secret is not the one it was sealed with. */
export function openWithSecret(secret: string, sealed: string): string | undefined {
  const [iv, body, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !body || !tag) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(secret), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function keyFor(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', 'doorman sealed value', 32));
}
