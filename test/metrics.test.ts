// METRICS_PORT (SPEC §1): after a flow, a scrape of the metrics listener shows the flow counted.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startMetricsServer } from '../src/http/metrics-server.js';
import { Metrics } from '../src/metrics.js';
import { emptyDatabase } from './support/database.js';
import { freePort, startDoorman } from './support/process.js';
import { cookieHeader, cookiesOf, csrfOf, makeUser, registerApp, testApp, type TestContext } from './support/app.js';

let ctx: TestContext;
before(async () => {
  ctx = await testApp({ RATE_LIMIT: 'on', RATE_LIMIT_APPS: '1' });
});
after(async () => ctx?.close());

/** The value of one sample, e.g. `doorman_tokens_issued_total{grant="client_credentials"}`; 0 when absent. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

test('a scrape of the metrics listener counts requests, tokens, introspections, sign-in failures and refusals', async () => {
  const server = await startMetricsServer('127.0.0.1', 0, () => ctx.deps.metrics.scrape());
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const client = await registerApp(ctx.app);
    const refused = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/apps',
      payload: { client_name: 'Again', redirect_uris: 'https://client.example/cb' },
    });
    assert.equal(refused.statusCode, 429);
    const creds = { client_id: client.client_id, client_secret: client.client_secret };
    const issued = await ctx.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', ...creds },
    });
    assert.equal(issued.statusCode, 200);
    const token = issued.json().access_token as string;
    for (const t of [token, token, 'no-such-token']) {
      assert.equal(
        (await ctx.app.inject({ method: 'POST', url: '/oauth/introspect', payload: { token: t, ...creds } }))
          .statusCode,
        200,
      );
    }
    await ctx.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      payload: { token, client_id: client.client_id, client_secret: 'wrong' },
    });
    await makeUser(ctx.deps);
    const form = await ctx.app.inject({ url: '/auth/sign_in' });
    const jar = cookiesOf(form);
    const failed = await ctx.app.inject({
      method: 'POST',
      url: '/auth/sign_in',
      headers: { cookie: cookieHeader(jar) },
      payload: { username: 'alice', password: 'wrong', _csrf: csrfOf(form.body) },
    });
    assert.equal(failed.statusCode, 401);

    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.equal(sample(text, 'doorman_tokens_issued_total{grant="client_credentials"}'), 1);
    assert.equal(sample(text, 'doorman_introspections_total{result="active"}'), 2);
    assert.equal(sample(text, 'doorman_introspections_total{result="inactive"}'), 1);
    assert.equal(sample(text, 'doorman_introspections_total{result="refused"}'), 1);
    assert.equal(sample(text, 'doorman_sign_in_failures_total{reason="invalid"}'), 1);
    assert.equal(sample(text, 'doorman_rate_limit_refusals_total{route="/api/v1/apps"}'), 1);
    assert.equal(sample(text, 'doorman_http_requests_total{method="POST",route="/oauth/introspect",status="200"}'), 3);
    assert.equal(sample(text, 'doorman_http_requests_total{method="POST",route="/api/v1/apps",status="429"}'), 1);
    assert.equal(sample(text, 'doorman_http_request_duration_seconds_count{method="POST",route="/oauth/token"}'), 1);
    if (ctx.deps.db.stats) {
      assert.ok(sample(text, 'doorman_db_pool_connections{state="total"}') >= 1, 'the pool has connections');
      assert.match(text, /^doorman_db_errors_total \d+$/m);
    }
    assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
  } finally {
    server.close();
  }
});

test('with recording off (no METRICS_PORT) nothing is counted; with it on, the same calls count', async () => {
  const count = (metrics: Metrics) => {
    metrics.requests.inc({ method: 'GET', route: '/health', status: 200 });
    metrics.requestSeconds.observe({ method: 'GET', route: '/health' }, 0.001);
    metrics.tokensIssued.inc({ grant: 'client_credentials' });
  };
  const off = new Metrics({ processMetrics: false, recording: false });
  count(off);
  assert.doesNotMatch((await off.scrape()).body, /^doorman_/m);
  const on = new Metrics({ processMetrics: false });
  count(on);
  assert.equal(sample((await on.scrape()).body, 'doorman_tokens_issued_total{grant="client_credentials"}'), 1);
});

test('a running server answers /metrics on METRICS_PORT only, with process metrics, and logs one line per request', {
  timeout: 60_000,
}, async () => {
  const database = await emptyDatabase();
  const metricsPort = await freePort();
  const where: Record<string, string> = database.url ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir! };
  const doorman = await startDoorman({ ...where, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' }, 60_000);
  try {
    assert.equal((await fetch(`${doorman.url}/.well-known/oauth-authorization-server?x=1`)).status, 200);
    assert.equal((await fetch(`${doorman.url}/metrics`)).status, 404, 'not on the public port');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(
      sample(
        text,
        'doorman_http_requests_total{method="GET",route="/.well-known/oauth-authorization-server",status="200"}',
      ),
      1,
    );
    assert.match(text, /^process_cpu_seconds_total \d/m);
    await doorman.stop('SIGTERM');
    const lines = doorman
      .output()
      .split('\n')
      .filter((l) => l.includes('"path":"/.well-known/oauth-authorization-server"'));
    assert.equal(lines.length, 1, 'one access line for the one request');
  } finally {
    await doorman.stop('SIGKILL');
    await database.drop();
  }
});
