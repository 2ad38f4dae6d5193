// Where the tests run from. test/run.mjs runs the suite compiled to JavaScript, in a copy of the
// repository under .test-tmp/ (see there); a file run by hand with `node --import tsx --test` runs
// from the repository itself.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root the tests' own files are under: the repository, or the compiled copy. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The repository itself, with its TypeScript sources, README and npm scripts. */
export const REPOSITORY = process.env.DOORMAN_REPOSITORY || ROOT;

const compiled = import.meta.url.endsWith('.js');

/**
 * node's arguments to run one of the repository's entry points (e.g. `src/main.ts`): its compiled
 * JavaScript when the suite runs compiled, the TypeScript through tsx when not.
 */
export function nodeArgs(entry: string): string[] {
  return compiled ? [join(ROOT, entry.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', join(ROOT, entry)];
}
