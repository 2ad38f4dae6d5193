// SPEC §2: migrations are plain SQL files applied in order, each once, recorded in a table.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate.js';
import { emptyDatabase } from './support/database.js';

const FILES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+_.+\.sql$/.test(f))
  .sort();

test('migrations apply on an empty database, in order, and are a no-op the second time', async () => {
  const empty = await emptyDatabase();
  let db = await empty.open();
  try {
    const before = await db.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'users'`,
    );
    assert.equal(before.length, 0, 'the database starts empty');

    assert.deepEqual(await migrate(db), FILES);
    const tables = (
      await db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
    ).map((r) => r.name);
    for (const table of [
      'users',
      'applications',
      'authorization_codes',
      'access_tokens',
      'sessions',
      'audit_events',
      'schema_migrations',
    ]) {
      assert.ok(tables.includes(table), `${table} exists`);
    }
    const recorded = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY applied_at, name');
    assert.deepEqual(
      recorded.map((r) => r.name),
      FILES,
    );

    assert.deepEqual(await migrate(db), [], 'nothing left to apply');
    // and still nothing after the database is closed and opened again (the record is kept, not remembered)
    await db.close();
    db = await empty.open();
    assert.deepEqual(await migrate(db), []);
    assert.equal((await db.query('SELECT name FROM schema_migrations')).length, FILES.length);
  } finally {
    await db.close().catch(() => {});
    await empty.drop();
  }
});

test('every lookup the flows make has an index', async () => {
  const empty = await emptyDatabase();
  const db = await empty.open();
  try {
    await migrate(db);
    const indexes = (
      await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema()`)
    ).map((r) => r.def);
    // an index whose first column is the looked-up one (or lower() of it)
    const indexed = (table: string, column: string) =>
      indexes.some((d) => new RegExp(`ON (\\S+\\.)?${table} USING \\w+ \\((lower\\()?${column}\\b`).test(d));
    assert.ok(indexed('applications', 'client_id'), 'applications.client_id');
    assert.ok(indexed('authorization_codes', 'code_hash'), 'authorization_codes.code_hash');
    assert.ok(indexed('access_tokens', 'token_hash'), 'access_tokens.token_hash');
    assert.ok(indexed('access_tokens', 'refresh_token_hash'), 'access_tokens.refresh_token_hash');
    assert.ok(indexed('users', 'username'), 'users.username');
  } finally {
    await db.close();
    await empty.drop();
  }
});
