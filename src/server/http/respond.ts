// Writing responses: objects in the negotiated encoding, and Status errors.

import type { ServerResponse } from 'node:http';
import { yamlLib } from '../../api/decode/yaml-lib.ts';
import { ApiError, errors } from '../../api/errors.ts';
import type { Encoding } from './negotiate.ts';
import { mediaJSON, mediaProtobuf, mediaYAML } from './negotiate.ts';

/** Encodes an object to protobuf, or returns undefined when the kind has no protobuf form. */
export type ProtobufEncoder = (obj: Record<string, unknown>) => Uint8Array | undefined;

let protobufEncoder: ProtobufEncoder = () => undefined;

/** Install the protobuf encoder (the codec lives in api/protobuf). */
export function setProtobufEncoder(enc: ProtobufEncoder): void {
  protobufEncoder = enc;
}

export function writeObject(res: ServerResponse, code: number, body: unknown, encoding: Encoding = 'json',
  headers: Record<string, string> = {}): void {
  let payload: string | Uint8Array;
  let type: string;
  if (encoding === 'protobuf' && typeof body === 'object' && body !== null) {
    const pb = protobufEncoder(body as Record<string, unknown>);
    if (pb) { payload = pb; type = mediaProtobuf; } else { payload = JSON.stringify(body); type = mediaJSON; }
  } else if (encoding === 'yaml') {
    payload = yamlLib().stringify(body, { lineWidth: 0 });
    type = mediaYAML;
  } else {
    payload = JSON.stringify(body);
    type = mediaJSON;
  }
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-cache, private', ...headers });
  res.end(payload);
}

/** Turn any failure into a Status response; unexpected errors become 500s and are logged. */
export function writeError(res: ServerResponse, err: unknown, encoding: Encoding = 'json'): void {
  let apiErr: ApiError;
  if (err instanceof ApiError) {
    apiErr = err;
  } else {
    console.error('kubevisor: internal error:', err);
    apiErr = errors.internal(err instanceof Error ? err.message : String(err));
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeObject(res, apiErr.code, apiErr.toStatus(), encoding === 'yaml' ? 'json' : encoding, apiErr.headers);
}
