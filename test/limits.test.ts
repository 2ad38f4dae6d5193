// Limits on what a client can send, against a real listening server (raw sockets where a
// well-behaved HTTP client would refuse to send the request): each one is a clear 4xx or a
// closed connection, and the server keeps serving.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { REQUEST_TIMEOUT_MS, TIMEOUT_CHECK_INTERVAL_MS } from '../src/app.js';
import { registerApp, testApp, type RegisteredApp, type TestContext } from './support/app.js';

let ctx: TestContext;
let port: number;
let client: RegisteredApp;

before(async () => {
  ctx = await testApp();
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  port = (ctx.app.server.address() as { port: number }).port;
  client = await registerApp(ctx.app);
});
after(() => ctx.close());

/** Sends raw bytes; resolves with what came back once the server closes (or after waitMs). */
function raw(chunks: (string | Buffer)[], waitMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => done(true));
    socket.on('error', () => {});
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

async function stillServes(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(res.status, 200);
}

const tokenForm = (extra: Record<string, string> = {}) =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.client_id,
    client_secret: client.client_secret,
    ...extra,
  }).toString();

async function postToken(body: string, type = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/oauth/token`, { method: 'POST', headers: { 'content-type': type }, body });
}

test('a body over 64 KiB is 413 with a JSON error, also when sent chunked without a length', async () => {
  const big = tokenForm({ scope: 'read', padding: 'x'.repeat(70 * 1024) });
  const res = await postToken(big);
  assert.equal(res.status, 413);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');

  const chunked = await raw([
    'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n',
    ...Array.from({ length: 20 }, () => `1000\r\n${'a'.repeat(0x1000)}\r\n`),
    '0\r\n\r\n',
  ]);
  assert.equal(statusOf(chunked.text), 413);
  assert.equal(JSON.parse(bodyOf(chunked.text)).error, 'invalid_request');
  await stillServes();
});

test('too many parameters are refused with a 4xx JSON error, in a form, a query string and a JSON body', async () => {
  const many = Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&');
  const form = await postToken(`${tokenForm()}&${many}`);
  assert.equal(form.status, 400);
  assert.equal(((await form.json()) as { error: string }).error, 'invalid_request');

  const query = await fetch(`http://127.0.0.1:${port}/oauth/authorize?${many}`);
  assert.ok(query.status >= 400 && query.status < 500, `query string: ${query.status}`);

  const json = await postToken(
    JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, '1']))),
    'application/json',
  );
  assert.equal(json.status, 400);
  assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
  await stillServes();
});

test('a parameter longer than 4096 characters is 400 invalid_request', async () => {
  const res = await postToken(tokenForm({ scope: 'r'.repeat(4097) }));
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: string; error_description: string };
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /4096/);
  await stillServes();
});

test('a huge header is answered 431 (or the connection closed), never served', async () => {
  const { text, closed } = await raw([`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`]);
  const status = statusOf(text);
  assert.ok(status === 431 || (status === 0 && closed), `got ${status}`);
  await stillServes();
});

/** Opens a connection, sends `first`, then one byte every 200 ms; resolves with when it was closed. */
async function slowClient(first: string): Promise<{ closedAfter: number | undefined; answer: string }> {
  const bound = REQUEST_TIMEOUT_MS + TIMEOUT_CHECK_INTERVAL_MS + 2000;
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  if (first) socket.write(first);
  // never idle long enough for an idle timeout to fire (unless nothing is sent at all)
  const trickle = first ? setInterval(() => socket.writable && socket.write('X'), 200) : undefined;
  const closedAfter = await new Promise<number | undefined>((resolve) => {
    const giveUp = setTimeout(() => resolve(undefined), bound + 5000);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(Date.now() - started);
    });
  });
  clearInterval(trickle);
  socket.destroy();
  return { closedAfter, answer: received.split('\r\n')[0] ?? '' };
}

test('slow clients (slowloris) are cut off within the request timeout: trickled headers, trickled body, silence', {
  timeout: 60_000,
}, async () => {
  const bound = REQUEST_TIMEOUT_MS + TIMEOUT_CHECK_INTERVAL_MS + 2000;
  const [headers, body, silent] = await Promise.all([
    slowClient('POST /oauth/token HTTP/1.1\r\nHost: x\r\n'),
    slowClient(
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n',
    ),
    slowClient(''),
  ]);
  console.log(`slowloris (bound ${bound} ms): ${JSON.stringify({ headers, body, silent })}`);
  for (const [what, r] of Object.entries({ headers, body, silent })) {
    assert.ok(
      r.closedAfter !== undefined && r.closedAfter <= bound,
      `${what}: closed within ${bound} ms (after ${r.closedAfter} ms)`,
    );
  }
  await stillServes();
});
