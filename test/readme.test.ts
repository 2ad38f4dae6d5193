// README.md's walk-through, run as written: every block fenced ```sh walkthrough is run line by line
// in one bash session against a fresh server (what a `$ ` line prints is compared with what the
// README shows under it: JSON by shape, text literally, `…` standing for what differs). The
// browser steps the README describes (sign in, press Authorize, copy the code) are done in Chromium.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { testDatabase, type TestDatabase } from './support/database.js';
import { startDoorman, type DoormanProcess } from './support/process.js';
// the README's commands run in the repository itself (npm start runs the TypeScript through tsx)
import { REPOSITORY } from './support/paths.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const README_URL = 'http://127.0.0.1:3000';

interface Step {
  command: string;
  shown: string;
}

/** The `$ ` lines of the walk-through blocks (a line ending in `\` goes on), each with what it shows. */
export function walkthrough(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const [, body] of markdown.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)) {
    const lines = body!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line.startsWith('$ ')) {
        if (line.trim() && !steps.length) throw new Error(`walk-through text before any command: ${line}`);
        if (line.trim()) steps.at(-1)!.shown += `${line}\n`;
        continue;
      }
      let command = line.slice(2);
      while (command.endsWith('\\')) command = `${command}\n${lines[++i]!}`;
      steps.push({ command, shown: '' });
    }
  }
  return steps;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Whether `actual` has the shape of `shown`: the same keys, types and array lengths; equal text where nothing is elided. */
function sameShape(shown: unknown, actual: unknown, path = '$'): void {
  if (Array.isArray(shown)) {
    assert.ok(Array.isArray(actual), `${path} is an array`);
    assert.equal(actual.length, shown.length, `${path} has ${shown.length} items`);
    for (const [i, item] of shown.entries()) sameShape(item, actual[i], `${path}[${i}]`);
  } else if (shown !== null && typeof shown === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path} is an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(shown).sort(), `${path} has the keys shown`);
    for (const [key, value] of Object.entries(shown))
      sameShape(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
  } else if (typeof shown === 'string' && !shown.includes('…') && !ISO_TIME.test(shown)) {
    assert.equal(actual, shown, `${path} is as shown`);
  } else if (typeof shown === 'number') {
    assert.equal(typeof actual, 'number', `${path} is a number`);
  } else if (typeof shown === 'string') {
    assert.equal(typeof actual, 'string', `${path} is a string`);
  } else {
    assert.equal(actual, shown, `${path} is as shown`);
  }
}

/** Compares one command's output with what the README shows under it. */
function matches(step: Step, output: string): void {
  const shown = step.shown.trim();
  if (!shown) return; // a line that shows nothing (sets a variable, writes a file) is held to its exit code
  const actual = output.trim();
  const status = /\s\((\d{3})\)$/;
  const [shownStatus, actualStatus] = [shown.match(status)?.[1], actual.match(status)?.[1]];
  assert.equal(actualStatus, shownStatus, `${step.command}: status`);
  const [shownBody, actualBody] = [shown.replace(status, ''), actual.replace(status, '')];
  if (/^[[{]/.test(shownBody)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(actualBody);
    } catch {
      assert.fail(`${step.command}: not JSON:\n${actual}`);
    }
    try {
      sameShape(JSON.parse(shownBody), parsed);
    } catch (err) {
      throw new Error(`${step.command}\nshown:  ${shown}\nactual: ${actual}\n${(err as Error).message}`);
    }
    return;
  }
  // text: a word ending in … stands for any word
  const pattern = shownBody
    .split(/[\w.-]*…/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\w.-]+');
  assert.match(actualBody, new RegExp(`^${pattern}$`), `${step.command}: shown\n${shown}\nactual\n${actual}`);
}

/** One bash session for the whole walk-through, as a person's terminal: variables set stay set. */
class Shell {
  private out = '';
  private waiting: (() => void) | undefined;
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (c: Buffer) => {
      this.out += c.toString();
      this.waiting?.();
    });
  }
  async run(command: string): Promise<{ output: string; code: number }> {
    const marker = `__step_done_${Math.random().toString(36).slice(2)}__`;
    this.out = '';
    this.child.stdin.write(`${command}\nprintf '\\n${marker}%s\\n' "$?"\n`);
    const done = new RegExp(`\\n${marker}(\\d+)\\n$`);
    while (!done.test(this.out)) await new Promise<void>((resolve) => (this.waiting = resolve));
    const code = Number(this.out.match(done)![1]);
    return { output: this.out.replace(done, ''), code };
  }
}

let database: TestDatabase;
let server: DoormanProcess;
let browser: Browser;
let work: string;
let bash: ChildProcessWithoutNullStreams;

before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No browser at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH. This test is not skipped.`,
    );
  database = await testDatabase();
  await database.db.close(); // the server owns it from here on
  const storage: Record<string, string> = database.url
    ? { DATABASE_URL: database.url }
    : { DATA_DIR: database.dataDir! };
  // the README's settings: rate limits on, ISSUER left to its default (http://127.0.0.1:PORT);
  // the server and the browser start side by side, each a process of its own
  const [started, launched] = await Promise.allSettled([
    startDoorman({ ...storage, RATE_LIMIT: '', ISSUER: '' }, 60_000),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    }),
  ]);
  // whichever started is kept for after() to stop, even when the other failed
  if (started.status === 'fulfilled') server = started.value;
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
  work = mkdtempSync(join(tmpdir(), 'doorman-readme-'));
  bash = spawn('bash', ['--noprofile', '--norc'], {
    cwd: work, // the files the walk-through writes (app.json, …) land here, not in the repository
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...storage },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  bash.stderr.on('data', (c: Buffer) => process.stderr.write(c));
  // `npm run cli` as from the repository's folder, where the README's reader runs it
  bash.stdin.write(`exec 2>&1\nnpm() { command npm --prefix ${JSON.stringify(REPOSITORY)} "$@"; }\n`);
});

after(async () => {
  bash?.stdin.end();
  bash?.kill();
  await browser?.close();
  await server?.stop('SIGTERM');
  await database?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What the README tells a person to do in the browser: sign in, press Authorize, copy the code. */
async function codeFromBrowser(authorizeUrl: string, username: string, password: string): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto(authorizeUrl);
    await page.getByLabel('User name or e-mail').fill(username);
    await page.getByLabel('Password').fill(password);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/oauth/authorize'),
      page.getByRole('button', { name: 'Log in' }).click(),
    ]);
    await page.getByRole('button', { name: 'Authorize' }).click();
    return (await page.locator('#authorization_code').textContent({ timeout: 15_000 }))!.trim();
  } finally {
    await page.close();
  }
}

test("README's walk-through runs as written, and each answer has the shape the README shows", {
  timeout: 240_000,
}, async () => {
  const readme = readFileSync(join(REPOSITORY, 'README.md'), 'utf8');
  const steps = walkthrough(readme);
  assert.ok(steps.length >= 18, `the walk-through has its steps (${steps.length})`);
  // the password the README's users:create sets, and the user it names: what a person types in the browser
  const [, password, username] = readme.match(
    /echo '([^']+)' \| npm run --silent cli -- users:create --username (\w+)/,
  )!;
  const shell = new Shell(bash);
  let lastOutput = '';
  for (const step of steps) {
    let command = step.command.replaceAll(README_URL, server.url);
    if (command === 'CODE=…') {
      const authorizeUrl = lastOutput.trim();
      assert.ok(
        authorizeUrl.startsWith(`${server.url}/oauth/authorize?`),
        `the step before prints the authorization URL: ${authorizeUrl}`,
      );
      command = `CODE=${await codeFromBrowser(authorizeUrl, username!, password!)}`;
    }
    const { output, code } = await shell.run(command);
    assert.equal(code, 0, `${step.command} exits 0:\n${output}`);
    matches({ ...step, shown: step.shown.replaceAll(README_URL, server.url) }, output);
    lastOutput = output;
  }
});
