import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openRuntime } from '../runtime.js';
import { UsageError } from './command.js';
import { exitCode, oneLine, parseCommandLine, printable, usage } from './commands.js';
import { readFirstLine } from './stdin.js';

/** The admin command line as a process: parse, open the database, run one command, print JSON or one line on stderr. */
async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const { command, options } = parseCommandLine(argv);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`bad setting ${err.message}`);
    throw err;
  }
  // With PGlite while a server runs, through the server (it offers its database on a socket in DATA_DIR).
  const runtime = await openRuntime(config);
  try {
    // stdout carries the answer; what a command records goes to the audit table, not to a log
    const result = await command.run({ ...runtime, log: pino({ level: 'silent' }) }, options, {
      readLine: readFirstLine,
    });
    process.stdout.write(printable(result));
    return 0;
  } finally {
    await runtime.db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`doorman: ${oneLine(err)}\n`);
    process.exit(exitCode(err));
  },
);
