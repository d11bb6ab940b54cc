// Wires the API machinery libraries (protobuf, printers, strategies) into the
// server's plug points, once per process. The protobuf tables are large and
// many servers never see a protobuf request, so they load on the first one.

import { errors } from '../api/errors.ts';
import { setProtobufEncoder } from './http/respond.ts';
import { setBehaviour } from '../registry/builtin.ts';
import { mediaProtobuf } from './http/negotiate.ts';

let installed = false;

export function installCodecs(): void {
  if (installed) return;
  installed = true;
  setBehaviour({
    load: async () => {
      const [{ strategyFor: builtin }, { tableFor }, { crdStrategy }] = await Promise.all([
        import('../registry/strategies/index.ts'), import('../registry/tables/index.ts'), import('../registry/crd/index.ts')]);
      const strategyFor = (group: string, version: string, kind: string) =>
        group === 'apiextensions.k8s.io' && kind === 'CustomResourceDefinition' ? crdStrategy : builtin(group, version, kind);
      return { strategyFor, tableFor };
    },
  });
}

let protobuf: Promise<void> | undefined;

function loadProtobuf(): Promise<void> {
  protobuf ??= Promise.all([import('../api/protobuf/codec.ts'), import('./handlers/decode.ts')]).then(([
    { decodeProtobufObject, encodeProtobufObject, hasProtobufSchema, ProtobufDecodeError }, { setProtobufDecoder }]) => {
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
  });
  return protobuf;
}

/** Make sure the protobuf codec is loaded when a request sends or accepts protobuf. */
export function protobufFor(contentType: string | undefined, accept: string | undefined): Promise<void> | undefined {
  if (protobuf) return protobuf;
  if (contentType?.includes(mediaProtobuf) || accept?.includes(mediaProtobuf)) return loadProtobuf();
  return undefined;
}
