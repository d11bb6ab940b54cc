// /openapi/v2: the swagger 2.0 document of the served group/versions, as JSON
// or as the gnostic protobuf message. The whole document (./generated/v2.json)
// is parsed on first use; each served set's filtered and encoded forms are cached.

import { readFileSync } from 'node:fs';

import { filterSwagger } from './derive.ts';
import type { SwaggerDoc } from './derive.ts';
import { generatedDir } from './files.ts';
import { documentPathOf } from './paths.ts';
import { encodeSwaggerDocument } from './v2-proto.ts';
import { ALWAYS_LISTED, contentHash, groupDocumentOf } from './v3.ts';

export interface Encoded<T> {
  body: T;
  /** A quoted entity tag (uppercase hex SHA-512 of the body). */
  etag: string;
}

interface Entry {
  doc: SwaggerDoc;
  json?: Encoded<Buffer>;
  proto?: Encoded<Uint8Array>;
}

let swagger: SwaggerDoc | undefined;
const cache = new Map<string, Entry>();
const CACHE_LIMIT = 8;

function builtinSwagger(): SwaggerDoc {
  swagger ??= JSON.parse(readFileSync(new URL('v2.json', generatedDir), 'utf8')) as SwaggerDoc;
  return swagger;
}

/** The whole built-in swagger 2.0 document, every group/version (parsed once, shared: do not modify it). */
export function builtinSwaggerDocument(): SwaggerDoc {
  return builtinSwagger();
}

function entry(served: readonly string[]): Entry {
  const keep = new Set<string>(ALWAYS_LISTED);
  for (const gv of served) {
    const d = documentPathOf(gv);
    keep.add(d);
    keep.add(groupDocumentOf(d));
  }
  const key = [...keep].sort().join(',');
  let e = cache.get(key);
  if (e) {
    // Move it to the end: the map's order is the eviction order.
    cache.delete(key);
    cache.set(key, e);
    return e;
  }
  e = { doc: filterSwagger(builtinSwagger(), (d) => keep.has(d)) };
  cache.set(key, e);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return e;
}

/** The swagger 2.0 document of the served group/versions ("v1", "apps/v1", ...). Do not modify it. */
export function openapiV2Document(servedGroupVersions: readonly string[]): SwaggerDoc {
  return entry(servedGroupVersions).doc;
}

/** /openapi/v2 as JSON. */
export function openapiV2Json(servedGroupVersions: readonly string[]): Encoded<Buffer> {
  const e = entry(servedGroupVersions);
  if (!e.json) {
    const body = Buffer.from(JSON.stringify(e.doc));
    e.json = { body, etag: `"${contentHash(body)}"` };
  }
  return e.json;
}

/** /openapi/v2 as the gnostic `openapi.v2.Document` protobuf message. */
export function openapiV2Protobuf(servedGroupVersions: readonly string[]): Encoded<Uint8Array> {
  const e = entry(servedGroupVersions);
  if (!e.proto) {
    const body = encodeSwaggerDocument(e.doc);
    e.proto = { body, etag: `"${contentHash(body)}"` };
  }
  return e.proto;
}
