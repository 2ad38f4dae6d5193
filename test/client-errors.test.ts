// Requests refused before any route (a head over 16 KiB, a body over 64 KiB) over a real keep-alive
// socket: the refusal is in the SPEC's JSON format, and the client's next request on the same agent
// is served, not reset (a refused socket must say `Connection: close`).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { testApp, type TestContext } from './support/app.js';

let ctx: TestContext;
let base: string;
before(async () => {
  ctx = await testApp();
  base = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => ctx.close());

type Answer =
  | { status: number; connection: string | undefined; type: string | undefined; body: string }
  | { failed: string };

function send(agent: http.Agent, path: string, method = 'GET', body?: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = body
      ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length }
      : {};
    const req = http.request(`${base}${path}`, { agent, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          connection: res.headers.connection,
          type: res.headers['content-type'],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ failed: err.code ?? err.message }));
    req.end(body);
  });
}

test('a request head over 16 KiB is 431 in the SPEC format, and the next request on the agent is served', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 5; i++) {
    const refused = await send(agent, `/health?x=${'a'.repeat(20_000)}`);
    assert.ok(!('failed' in refused), JSON.stringify(refused));
    assert.equal(refused.status, 431);
    assert.equal(refused.connection, 'close');
    assert.match(refused.type ?? '', /^application\/json/);
    assert.equal(JSON.parse(refused.body).error, 'invalid_request');
    const next = await send(agent, '/health');
    assert.ok(!('failed' in next) && next.status === 200, `the request after a 431 failed: ${JSON.stringify(next)}`);
  }
  agent.destroy();
});

test('a body over 64 KiB is 413 in the SPEC format, and the next request on the agent is served', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let resets = 0;
  for (let i = 0; i < 5; i++) {
    const refused = await send(agent, '/oauth/token', 'POST', Buffer.alloc(70 * 1024, 0x61));
    // The server may answer before the client has sent the whole body and close: a reset is allowed here.
    if ('failed' in refused) resets++;
    else {
      assert.equal(refused.status, 413);
      assert.equal(JSON.parse(refused.body).error, 'invalid_request');
    }
    const next = await send(agent, '/health');
    assert.ok(!('failed' in next) && next.status === 200, `the request after a 413 failed: ${JSON.stringify(next)}`);
  }
  assert.ok(resets < 5, 'the 413 never arrived');
  agent.destroy();
});
