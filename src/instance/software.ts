import { readFileSync } from 'node:fs';

/** Doorman's own version, from package.json (beside src/ in the repository and in dist/). */
export const DOORMAN_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The Mastodon release whose API Doorman answers as. */
export const MASTODON_VERSION = '4.4.0';
/** Mastodon 4.4's `api_versions.mastodon`: clients compare it before calling newer endpoints. */
export const MASTODON_API_VERSION = 6;

/**
 * The version string instance answers carry: the form Mastodon-compatible servers use, which
 * Mastodon.py and others parse up to the first space.
 */
export const COMPATIBLE_VERSION = `${MASTODON_VERSION} (compatible; Doorman ${DOORMAN_VERSION})`;
