// Wires the API machinery libraries (patches, protobuf, strict field checks,
// printers, strategies) into the server's plug points, once per process.

import { decodeProtobufObject, encodeProtobufObject, hasProtobufSchema, ProtobufDecodeError } from '../api/protobuf/codec.ts';
import { errors } from '../api/errors.ts';
import { setProtobufDecoder } from './handlers/decode.ts';
import { setProtobufEncoder } from './http/respond.ts';
import { setBehaviour } from '../registry/builtin.ts';
import { tableFor } from '../registry/tables/index.ts';
import { strategyFor } from '../registry/strategies/index.ts';

let installed = false;

export function installCodecs(): void {
  if (installed) return;
  installed = true;
  setBehaviour({ tableFor, strategyFor });
  setProtobufDecoder((buf) => {
    try {
      return decodeProtobufObject(buf);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.badRequest(`error decoding protobuf body: ${e.message}`);
      throw e;
    }
  });
  // Kinds without a protobuf form (Tables, discovery) are answered in JSON, which clients accept.
  setProtobufEncoder((obj) => {
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !hasProtobufSchema(apiVersion, kind)) return undefined;
    try { return encodeProtobufObject(obj); } catch { return undefined; }
  });
}
