import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidRequest, validationFailed } from '../errors.js';

const saneLength = z.string().max(4096);
/** Text of a sane length. No NUL: Postgres text cannot hold it, and a query with one fails. */
const text = saneLength.regex(/^[^\u0000]*$/);
/** One value, given once, of a sane length. */
export const one = text;
/**
 * A token presented to be revoked or introspected: it is only ever hashed, never put in a query, so
 * any text is accepted and junk is simply a token that matches nothing (RFC 7009 §2.2, RFC 7662 §2.2).
 */
export const presentedToken = saneLength;
/** One value or a list (repeated keys, `key[]=`, or a JSON array). */
export const oneOrMany = z.union([text, z.array(text).max(64)]);

/** More distinct parameters than any endpoint takes, with room to spare. */
export const MAX_PARAMETERS = 100;
export const tooManyParameters = () => invalidRequest(`A request may carry at most ${MAX_PARAMETERS} parameters.`);

/**
 * Parameters of a request as a plain object: the query string for GET, the body for other methods,
 * whatever content type carried them. `name[]` keys are folded into `name` (always a list).
 */
export function rawParams(request: FastifyRequest): Record<string, unknown> {
  const source = request.method === 'GET' || request.method === 'HEAD' ? request.query : request.body;
  if (source === undefined || source === null) return {};
  if (typeof source !== 'object' || Array.isArray(source)) throw invalidRequest('The request body must be a form or a JSON object.');
  if (Object.keys(source).length > MAX_PARAMETERS) throw tooManyParameters();
  // The usual request, each key once and none with `[]`, is already what callers get: no copy.
  if (isFlat(source as Record<string, unknown>)) return source as Record<string, unknown>;
  const params: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    if (key.endsWith('[]')) {
      const name = key.slice(0, -2);
      const values = Array.isArray(value) ? value : [value];
      params[name] = Array.isArray(params[name]) ? [...(params[name] as unknown[]), ...values] : values;
    } else if (key in params) {
      params[key] = [...(Array.isArray(params[key]) ? (params[key] as unknown[]) : [params[key]]), value];
    } else {
      params[key] = value;
    }
  }
  return params;
}

function isFlat(source: Record<string, unknown>): boolean {
  for (const key in source) if (key.endsWith('[]') || Array.isArray(source[key])) return false;
  return true;
}

type Shape = Record<string, z.ZodType>;

// Building a zod object compiles its parser; do it once per shape (shapes are module constants), not per request.
const schemas = new WeakMap<Shape, z.ZodObject<Shape>>();
function schemaOf<S extends Shape>(shape: S): z.ZodObject<S> {
  let schema = schemas.get(shape);
  if (!schema) schemas.set(shape, (schema = z.object(shape)));
  return schema as z.ZodObject<S>;
}

/** Parses OAuth parameters; a wrong-typed or repeated one is invalid_request (RFC 6749 §3.1). */
export function oauthParams<S extends Shape>(request: FastifyRequest, shape: S): z.infer<z.ZodObject<S>> {
  const parsed = schemaOf(shape).safeParse(rawParams(request));
  if (parsed.success) return parsed.data;
  const name = String(parsed.error.issues[0]?.path[0] ?? 'request');
  throw invalidRequest(`The parameter ${name} must be given once, as text of at most 4096 characters.`);
}

/** Parses Mastodon API parameters; a bad one is 422 "Validation failed", naming it as sent. */
export function apiParams<S extends Shape>(request: FastifyRequest, shape: S): z.infer<z.ZodObject<S>> {
  const parsed = schemaOf(shape).safeParse(rawParams(request));
  if (parsed.success) return parsed.data;
  const name = String(parsed.error.issues[0]?.path[0] ?? 'request');
  throw validationFailed(`${name} is not valid`);
}
