// Reading request bodies with the upstream size limit, and decoding them.

import type { IncomingMessage } from 'node:http';
import { errors } from '../../api/errors.ts';
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

/** A decoded body must be a JSON object with metadata an object (when present). */
export function requireObject(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw errors.badRequest('the body of the request must be a JSON object');
  if (v.metadata !== undefined && !isPlainObject(v.metadata)) {
    throw errors.badRequest('metadata: the body\'s metadata must be an object');
  }
  return v;
}
