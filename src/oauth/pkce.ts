import { createHash } from 'node:crypto';
import { sameSecret } from '../secrets.js';

/** RFC 7636: a S256 challenge is the unpadded base64url SHA-256 of the verifier, 43 characters. */
export function isS256Challenge(challenge: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(challenge);
}

/** The S256 challenge a well-formed verifier (43–128 unreserved characters) hashes to, or undefined. */
export function challengeOf(verifier: string): string | undefined {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return undefined;
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Does the verifier (43–128 unreserved characters) hash to the stored challenge? */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return sameSecret(createHash('sha256').update(verifier, 'ascii').digest('base64url'), challenge);
}
