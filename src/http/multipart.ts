import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { FastifyInstance } from 'fastify';
import { invalidRequest } from '../errors.js';
import { MAX_PARAMETERS, tooManyParameters } from './params.js';

/**
 * multipart/form-data bodies (`curl -F`): read whole under the same body limit as every other body
 * and handed on as a plain object of fields, a repeated name as a list, as forms are. Parsed here
 * with busboy rather than through @fastify/multipart: that plugin's three hooks run on every
 * request, multipart or not (≈ 20 µs a request, measured), and its parse errors carried no status.
 */
export function installMultipart(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    parseMultipart(request.headers as BusboyHeaders, body as Buffer).then(
      (fields) => done(null, fields),
      (err: Error) => done(err),
    );
  });
}

const malformed = () => invalidRequest('The multipart body is malformed.');

function parseMultipart(headers: BusboyHeaders, body: Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      // no boundary, or not multipart at all
      parser = new Busboy({
        headers,
        limits: { fields: MAX_PARAMETERS, parts: MAX_PARAMETERS, files: 0, fieldSize: body.length },
      });
    } catch {
      return reject(malformed());
    }
    const fields: Record<string, unknown> = Object.create(null);
    parser.on('field', (name, value) => {
      const seen = fields[name];
      fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    });
    parser.on('filesLimit', () => reject(invalidRequest('File parts are not accepted.')));
    parser.on('fieldsLimit', () => reject(tooManyParameters()));
    parser.on('partsLimit', () => reject(tooManyParameters()));
    parser.on('error', () => reject(malformed()));
    // a promise settles once: after a refusal above, this changes nothing
    parser.on('finish', () => resolve(fields));
    parser.end(body);
  });
}
