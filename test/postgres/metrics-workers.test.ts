// WORKERS=2 with METRICS_PORT: the primary serves the metrics, summed over both workers; the
// workers serve none, and the public port has no /metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { emptyDatabase } from '../support/database.js';
import { clientTokenAt, freePort, registerAppAt, startDoorman, type DoormanProcess } from '../support/process.js';

let database: Awaited<ReturnType<typeof emptyDatabase>>;
let doorman: DoormanProcess;
let metricsUrl: string;

before(async () => {
  database = await emptyDatabase();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  doorman = await startDoorman({ DATABASE_URL: database.url!, WORKERS: '2', METRICS_PORT: String(port) });
});

after(async () => {
  await doorman?.stop('SIGTERM');
  await database?.drop();
});

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

test('the primary serves metrics summed over its workers', async () => {
  const client = await registerAppAt(doorman.url);
  // many connections, so both workers answer some (each counts its own)
  const statuses = await Promise.all(
    Array.from({ length: 40 }, () => clientTokenAt(doorman.url, client).then((r) => r.status)),
  );
  assert.deepEqual(
    statuses,
    statuses.map(() => 200),
  );
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.equal(sample(text, 'doorman_tokens_issued_total{grant="client_credentials"}'), 40);
  assert.equal(sample(text, 'doorman_http_requests_total{method="POST",route="/oauth/token",status="200"}'), 40);
  assert.equal(sample(text, 'doorman_http_request_duration_seconds_count{method="POST",route="/oauth/token"}'), 40);
  // process metrics, and the pools
  assert.match(text, /^process_cpu_user_seconds_total /m);
  assert.ok(sample(text, 'doorman_db_pool_connections{state="total"}') >= 1, 'the pools have connections');
  assert.equal((await fetch(`${doorman.url}/metrics`)).status, 404);
});
