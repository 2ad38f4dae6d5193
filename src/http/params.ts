import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidRequest, validationFailed } from '../errors.js';

/** The longest text any parameter may be. */
const MAX_TEXT = 4096;
const saneLength = z.string().max(MAX_TEXT);
/** Text of a sane length. No NUL: Postgres text cannot hold it, and a query with one fails. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a NUL is what this refuses
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
  if (typeof source !== 'object' || Array.isArray(source))
    throw invalidRequest('The request body must be a form or a JSON object.');
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

interface Parser {
  schema: z.ZodObject<Shape>;
  /** For a shape of optional `one`s and `presentedToken`s only: each name, and whether it refuses NUL. */
  texts: Array<[name: string, noNul: boolean]> | undefined;
}

// Building a zod object compiles its parser; do it once per shape (shapes are module constants), not per request.
const parsers = new WeakMap<Shape, Parser>();
function parserOf(shape: Shape): Parser {
  let parser = parsers.get(shape);
  if (!parser) {
    const texts = Object.entries(shape).map(([name, member]) => {
      const inner = member instanceof z.ZodOptional ? member.unwrap() : undefined;
      return inner === one || inner === presentedToken ? ([name, inner === one] as [string, boolean]) : undefined;
    });
    parser = { schema: z.object(shape), texts: texts.every((t) => t !== undefined) ? texts : undefined };
    parsers.set(shape, parser);
  }
  return parser;
}

/**
 * The shape's parameters when each is absent or a string that zod would pass through as it is;
 * undefined otherwise. Nearly every request is such, and zod ran each member's checks in turn
 * (10–24 µs of server CPU a request, measured side by side); it still decides, and words the
 * error, for the rest.
 */
function plainTexts(
  texts: Array<[string, boolean]>,
  source: Record<string, unknown>,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, noNul] of texts) {
    const value = source[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TEXT || (noNul && value.includes('\u0000'))) return undefined;
    out[name] = value;
  }
  return out;
}

/** The shape's parameters, or the first thing wrong with them. */
function parse<S extends Shape>(
  request: FastifyRequest,
  shape: S,
): { data: z.infer<z.ZodObject<S>> } | { wrong: string } {
  const { schema, texts } = parserOf(shape);
  const source = rawParams(request);
  const plain = texts && plainTexts(texts, source);
  if (plain) return { data: plain as z.infer<z.ZodObject<S>> };
  const parsed = schema.safeParse(source);
  if (parsed.success) return { data: parsed.data as z.infer<z.ZodObject<S>> };
  return { wrong: String(parsed.error.issues[0]?.path[0] ?? 'request') };
}

/** Parses OAuth parameters; a wrong-typed or repeated one is invalid_request (RFC 6749 §3.1). */
export function oauthParams<S extends Shape>(request: FastifyRequest, shape: S): z.infer<z.ZodObject<S>> {
  const parsed = parse(request, shape);
  if ('data' in parsed) return parsed.data;
  throw invalidRequest(`The parameter ${parsed.wrong} must be given once, as text of at most ${MAX_TEXT} characters.`);
}

/** Parses Mastodon API parameters; a bad one is 422 "Validation failed", naming it as sent. */
export function apiParams<S extends Shape>(request: FastifyRequest, shape: S): z.infer<z.ZodObject<S>> {
  const parsed = parse(request, shape);
  if ('data' in parsed) return parsed.data;
  throw validationFailed(`${parsed.wrong} is not valid`);
}

/** The values Rails reads as false; anything else given is true. */
const RAILS_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF']);

/**
 * A boolean parameter read as Rails (and so Mastodon) reads it: absent, empty or one of RAILS_FALSE
 * is false; anything else (`true`, `True`, `1`, `on`, `yes`) is true.
 */
export function booleanParam(value: string | undefined): boolean {
  return value !== undefined && value !== '' && !RAILS_FALSE.has(value);
}
