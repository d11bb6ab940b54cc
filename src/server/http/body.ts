// Reading request bodies with the upstream size limit, and decoding them.

import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { errors, ApiError } from '../../api/errors.ts';
import { isPlainObject } from '../../api/types.ts';

/** kube-apiserver refuses request bodies over 3 MiB. */
export const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBodyBytes) {
    req.resume();
    throw errors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) {
      req.resume();
      throw errors.tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parse a JSON body; malformed input is a 400 naming what is wrong. */
export function parseJsonBody(buf: Buffer, what = 'object'): unknown {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw errors.badRequest(`the body of the request was empty; expected a JSON ${what}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding JSON body: ${(e as Error).message}`);
  }
}

/** Parse a YAML body (one document). */
export function parseYamlBody(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.length > 1) throw new Error('the body holds more than one YAML document');
    for (const d of list) if ('errors' in d && d.errors.length > 0) throw d.errors[0];
    return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw errors.badRequest(`error decoding YAML body: ${(e as Error).message}`);
  }
}

/** A decoded body must be a JSON object with metadata an object (when present). */
export function requireObject(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw errors.badRequest('the body of the request must be a JSON object');
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) {
    throw errors.badRequest('metadata: the body\'s metadata must be an object');
  }
  return v;
}
