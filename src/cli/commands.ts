import { parseArgs } from 'node:util';
import { DatabaseUnavailableError } from '../database-unavailable.js';
import { OAuthError } from '../errors.js';
import { appsCreate, appsDelete, appsList } from './apps.js';
import { auditList } from './audit.js';
import { UsageError, type Command, type Options } from './command.js';
import { tokensPrune } from './tokens.js';
import { usersCreate, usersDelete, usersList } from './users.js';

/** The admin commands (SPEC section 6), by the name typed: `npm run --silent cli -- <command> [options]`. */
export const COMMANDS: Record<string, Command> = {
  'users:create': usersCreate,
  'users:list': usersList,
  'users:delete': usersDelete,
  'apps:create': appsCreate,
  'apps:list': appsList,
  'apps:delete': appsDelete,
  'tokens:prune': tokensPrune,
  'audit:list': auditList,
};

export const usage = () =>
  `usage: npm run --silent cli -- <command>\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage}`)
    .join('\n')}\n`;

/** The command named first in argv, and its parsed options; wrong use throws a UsageError. */
export function parseCommandLine(argv: string[]): { name: string; command: Command; options: Options } {
  const [name, ...args] = argv;
  if (!name) throw new UsageError(`no command given; commands: ${Object.keys(COMMANDS).join(', ')} (help: --help)`);
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
  return { name, command, options: parseOptions(name, command, args) };
}

/** Parses `--name value` and `--name=value`; an option given twice that is not a list is an error, not "last one wins". */
export function parseOptions(name: string, command: Command, args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({ args, options: command.options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    // node's messages go on with advice about positionals; the first sentence says what is wrong
    const message = (err instanceof Error ? err.message : String(err)).split(/\.\s/)[0]!;
    throw new UsageError(`${name}: ${message}; usage: ${command.usage}`);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && !command.options[token.name]?.multiple)
      throw new UsageError(`${name}: --${token.name} is given more than once`);
    seen.add(token.name);
  }
  for (const required of command.required ?? []) {
    if (parsed.values[required] === undefined)
      throw new UsageError(`${name}: missing --${required}; usage: ${command.usage}`);
  }
  return parsed.values as Options;
}

/** What a command printed on stdout: its result as indented JSON (64-bit counts as strings). */
export function printable(result: unknown): string {
  return `${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`;
}

/** One line for stderr, whatever was thrown (with the reason a database did not answer, never a stack). */
export function oneLine(err: unknown): string {
  let message: string;
  if (err instanceof OAuthError) message = err.message;
  else if (err instanceof AggregateError && !err.message) message = oneLine(err.errors[0] ?? 'unknown error');
  else if (err instanceof DatabaseUnavailableError && err.cause) message = `${err.message}: ${oneLine(err.cause)}`;
  else if (err instanceof Error) message = err.message || String((err as { code?: string }).code ?? err.name);
  else message = String(err);
  return message.replace(/\s*\n\s*/g, ' ');
}

/** The exit status of a failed command: 2 for wrong use, 1 for anything else. */
export const exitCode = (err: unknown): number => (err instanceof UsageError ? 2 : 1);
