// `npm run build` gives a dist/ that runs with plain node from any working directory: the compiled
// code finds migrations/, views/ and package.json beside itself (the Docker image runs it this way).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyDatabase } from './support/database.js';
import { freePort, sleep } from './support/process.js';
import { REPOSITORY } from './support/paths.js';

test('the built server starts from another folder, migrates, serves /health and the pages, and stops with 0', {
  timeout: 120_000,
}, async () => {
  const copy = mkdtempSync(join(tmpdir(), 'doorman-build-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'doorman-cwd-'));
  const empty = await emptyDatabase();
  try {
    for (const item of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'migrations', 'views'])
      cpSync(join(REPOSITORY, item), join(copy, item), { recursive: true });
    symlinkSync(join(REPOSITORY, 'node_modules'), join(copy, 'node_modules'));
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: copy, stdio: 'pipe' });

    const port = await freePort();
    const child = spawn(process.execPath, [join(copy, 'dist/src/main.js')], {
      cwd: elsewhere,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        ...(empty.url ? { DATABASE_URL: empty.url } : { DATA_DIR: empty.dataDir! }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      let health: Response | undefined;
      while (child.exitCode === null && !health) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (!health) await sleep(100);
      }
      assert.equal(health?.status, 200, output);
      const page = await fetch(`http://127.0.0.1:${port}/auth/sign_in`);
      assert.equal(page.status, 200, 'views are found');
      const openapi = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      assert.ok(openapi.status < 500, 'package.json is found');
      const avatar = await fetch(`http://127.0.0.1:${port}/avatars/original/missing.png`);
      assert.equal(avatar.status, 200, 'the default images are found');
      const instance = await fetch(`http://127.0.0.1:${port}/api/v2/instance`);
      assert.match(
        ((await instance.json()) as { version: string }).version,
        /Doorman \d/,
        'the version is read from package.json',
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    assert.deepEqual(await exited, { code: 0, signal: null }, output);
  } finally {
    await empty.drop();
    rmSync(copy, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
