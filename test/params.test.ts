// Parameters are read by a plain loop when every value is a short string, and by zod otherwise:
// whatever the input, the outcome must be zod's own (the same data, or an error naming the same
// parameter).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { z } from 'zod';
import { apiParams, oauthParams, one, presentedToken, rawParams } from '../src/http/params.js';
import { OAuthError } from '../src/errors.js';
import { registerAppShape } from '../src/http/routes/apps.js';
import { introspectShape, tokenShape } from '../src/http/routes/token.js';

const SHAPES = { token: tokenShape, introspect: introspectShape, apps: registerAppShape };

const request = (body: unknown) => ({ method: 'POST', body }) as unknown as FastifyRequest;

/** What zod alone makes of the body: the data, or the name of the first wrong parameter. */
function byZod(shape: Record<string, z.ZodType>, body: unknown): { data: unknown } | { wrong: string } {
  const parsed = z.object(shape).safeParse(rawParams(request(body)));
  return parsed.success ? { data: parsed.data } : { wrong: String(parsed.error.issues[0]?.path[0] ?? 'request') };
}

function byParams(
  parse: typeof oauthParams,
  shape: Record<string, z.ZodType>,
  body: unknown,
): { data: unknown } | { wrong: string } {
  try {
    return { data: { ...parse(request(body), shape) } };
  } catch (err) {
    assert.ok(err instanceof OAuthError, String(err));
    const named = /parameter (\S+) must|(\S+) is not valid/.exec(err.message);
    return { wrong: named?.[1] ?? named?.[2] ?? '?' };
  }
}

// Values near every edge the checks have: empty, NUL anywhere, 4096 and 4097 long, lists, non-strings.
const value = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', 'x'.repeat(4096), 'x'.repeat(4097), '\u0000'.repeat(4096)),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.constantFrom(null, 0, 1.5, true, {}, ['a', 'b']),
);
const names = Object.keys({ ...tokenShape, ...introspectShape, ...registerAppShape, other: one, 'scopes[]': one });
const body = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 8 });

for (const [label, shape] of Object.entries(SHAPES)) {
  test(`${label}: the same outcome as zod's for any body`, () => {
    fc.assert(
      fc.property(body, (b) => {
        assert.deepEqual(byParams(oauthParams, shape, b), byZod(shape, b));
        assert.deepEqual(byParams(apiParams, shape, b), byZod(shape, b));
      }),
      { numRuns: 2000, seed: 20261202 },
    );
  });
}

test('unknown names are dropped and absent ones left out; only a presented token may hold a NUL', () => {
  const params = oauthParams(request({ grant_type: 'client_credentials', scope: 'read', extra: 'x' }), tokenShape);
  assert.deepEqual({ ...params }, { grant_type: 'client_credentials', scope: 'read' });
  // a presented token may hold a NUL (it is only hashed); other parameters may not
  assert.equal(oauthParams(request({ token: 'a\u0000b' }), { token: presentedToken.optional() }).token, 'a\u0000b');
  assert.throws(() => oauthParams(request({ scope: 'a\u0000b' }), tokenShape), /parameter scope/);
});
