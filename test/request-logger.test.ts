// Each request's logger is made only when the request writes a line, and its lines still carry
// the request id, at whatever level the process logs. The process logger flushes warnings at once.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { createLogger } from '../src/app.js';
import { requestLogger } from '../src/http/request-logger.js';

async function appLoggingAt(level: string, setup: (app: FastifyInstance) => void = () => {}) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level }, sink);
  let children = 0;
  const child = log.child.bind(log);
  log.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof log.child;
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    childLoggerFactory: requestLogger,
    genReqId: () => `req-${children}-${lines.length}`,
  });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/fails', async (request) => {
    request.log.error({ detail: 'x' }, 'something broke');
    return { ok: false };
  });
  setup(app);
  await app.ready();
  const atStart = children; // Fastify makes a few of its own at start
  return { app, lines, children: () => children - atStart };
}

test('at warn, a request that logs nothing makes no child logger; one that logs an error does, with its id', async () => {
  const { app, lines, children } = await appLoggingAt('warn');
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url: '/quiet' })).statusCode, 200);
  assert.equal(children(), 0);
  assert.equal(lines.length, 0);
  await app.inject({ url: '/fails' });
  assert.equal(children(), 1);
  const [line] = lines;
  assert.equal(line?.msg, 'something broke');
  assert.equal(typeof line?.reqId, 'string');
  assert.equal(line?.level, 50);
});

test('at info, every line of one request carries the same request id', async () => {
  const { app, lines } = await appLoggingAt('info');
  await app.inject({ url: '/quiet' });
  await app.inject({ url: '/quiet' });
  const incoming = lines.filter((l) => l.msg === 'incoming request');
  const completed = lines.filter((l) => l.msg === 'request completed');
  assert.equal(incoming.length, 2);
  assert.equal(completed.length, 2);
  assert.deepEqual(
    incoming.map((l) => l.reqId),
    completed.map((l) => l.reqId),
  );
  assert.notEqual(incoming[0]?.reqId, incoming[1]?.reqId);
});

test('a level set on a request logger applies to that request only', async () => {
  const { app, lines } = await appLoggingAt('warn', (app) =>
    app.addHook('onRequest', async (request) => {
      if (request.url === '/quiet?verbose') request.log.level = 'info';
    }),
  );
  await app.inject({ url: '/quiet?verbose' });
  const before = lines.length;
  assert.ok(before >= 1, 'the verbose request logged its lines');
  await app.inject({ url: '/quiet' });
  assert.equal(lines.length, before);
});

test('a buffering destination is flushed after each warning or error, and not after info lines', () => {
  const written: string[] = [];
  let flushes = 0;
  const destination = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
    }),
    { flush: () => void flushes++ },
  );
  const log = createLogger('info', destination);
  log.info('request completed');
  log.child({ reqId: 'r1' }).info('another');
  assert.equal(flushes, 0);
  log.warn('database slow');
  assert.equal(flushes, 1);
  log.child({ reqId: 'r2' }).error('failed');
  assert.equal(flushes, 2);
  assert.equal(written.length, 4);
});
