import type { Deps } from '../deps.js';

/** The parsed options of one command: strings, lists of strings (repeatable options) or flags. */
export type Options = Record<string, string | string[] | boolean | undefined>;

/** What a command may use: the services' dependencies, over an open and migrated database. */
export type CommandDeps = Pick<Deps, 'db' | 'clock' | 'scopes' | 'config' | 'log'>;

/** Where a command reads what is never given as an option (a password): stdin, or a test's answer. */
export interface Terminal {
  readLine(prompt: string): Promise<string>;
}

export interface Command {
  /** One line: the command with its options, for the usage text and for errors. */
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  required?: string[];
  /** Returns what to print as JSON on stdout. */
  run(deps: CommandDeps, options: Options, terminal: Terminal): Promise<unknown>;
}

/** Wrong command-line use (unknown command or option, a missing value); exits 2. */
export class UsageError extends Error {}

/** The operation could not be done (nothing to delete, another process busy); exits 1. */
export class CommandError extends Error {}

export function text(options: Options, name: string): string {
  const value = options[name];
  return typeof value === 'string' ? value : '';
}
