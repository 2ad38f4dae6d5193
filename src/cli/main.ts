import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DatabaseUnavailableError, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { OAuthError } from '../errors.js';
import { ScopeCatalog } from '../oauth/scopes.js';
import { appsCreate, appsDelete, appsList } from './apps.js';
import { auditList } from './audit.js';
import { UsageError, type Command, type Options } from './command.js';
import { tokensPrune } from './tokens.js';
import { usersCreate, usersDelete, usersList } from './users.js';

/** The admin command line (SPEC section 6): `npm run --silent cli -- <command> [options]`. */
const COMMANDS: Record<string, Command> = {
  'users:create': usersCreate,
  'users:list': usersList,
  'users:delete': usersDelete,
  'apps:create': appsCreate,
  'apps:list': appsList,
  'apps:delete': appsDelete,
  'tokens:prune': tokensPrune,
  'audit:list': auditList,
};

const usage = () => `usage: npm run --silent cli -- <command>\n${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}\n`;

/** Parses `--name value` and `--name=value`; an option given twice that is not a list is an error, not "last one wins". */
function parseOptions(name: string, command: Command, args: string[]): Options {
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
    if (seen.has(token.name) && !command.options[token.name]?.multiple) throw new UsageError(`${name}: --${token.name} is given more than once`);
    seen.add(token.name);
  }
  for (const required of command.required ?? []) {
    if (parsed.values[required] === undefined) throw new UsageError(`${name}: missing --${required}; usage: ${command.usage}`);
  }
  return parsed.values as Options;
}

/** One line for stderr, whatever was thrown (with the reason a database did not answer, never a stack). */
function oneLine(err: unknown): string {
  let message: string;
  if (err instanceof OAuthError) message = err.message;
  else if (err instanceof AggregateError && !err.message) message = oneLine(err.errors[0] ?? 'unknown error');
  else if (err instanceof DatabaseUnavailableError && err.cause) message = `${err.message}: ${oneLine(err.cause)}`;
  else if (err instanceof Error) message = err.message || String((err as { code?: string }).code ?? err.name);
  else message = String(err);
  return message.replace(/\s*\n\s*/g, ' ');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (!name) throw new UsageError(`no command given; commands: ${Object.keys(COMMANDS).join(', ')} (help: --help)`);
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
  const options = parseOptions(name, command, args);

  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`bad setting ${err.message}`);
    throw err;
  }
  // With PGlite while a server runs, through the server (it offers its database on a socket in DATA_DIR).
  const db: Database = await openDatabase(config);
  try {
    await migrate(db);
    const result = await command.run({ db, config, clock: () => new Date(), scopes: new ScopeCatalog(config.extraScopes) }, options);
    process.stdout.write(`${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`doorman: ${oneLine(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
