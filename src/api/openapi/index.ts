// The OpenAPI documents of the built-in API groups, as kube-apiserver serves them:
//   /openapi/v3                      root: one serverRelativeURL (with a content hash) per document
//   /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>   one OpenAPI v3 document each
//   /openapi/v2                      one swagger 2.0 document, JSON or gnostic protobuf
//
// Everything is derived ahead of time by scripts/gen-openapi.ts into ./generated/
// and read lazily, on the first request that needs it; encoded documents are cached.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { documentOfPath, documentPathOf, filterSwagger } from './derive.ts';
import type { SwaggerDoc } from './derive.ts';
import { documentFileName, generatedDir } from './files.ts';
import { encodeSwaggerDocument } from './v2-proto.ts';

/** One OpenAPI v3 document ready to serve. */
export interface V3Document {
  body: Buffer;
  /** Uppercase hex SHA-512 of `body`: the `hash` of its serverRelativeURL and (quoted) its ETag. */
  hash: string;
}

export interface OpenAPIV3Root {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface Encoded<T> {
  body: T;
  /** A quoted entity tag. */
  etag: string;
}

interface GeneratedIndex {
  version: string;
  groupVersions: string[];
  documents: Record<string, string>;
}

/** Documents listed in the root for every server, whatever it serves. */
const ALWAYS_LISTED = ['apis', 'version'];

export function contentHash(body: Uint8Array): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

/** A servable v3 document for a document that is not built in (e.g. a custom resource group/version). */
export function makeV3Document(doc: object | string | Uint8Array): V3Document {
  const body = Buffer.isBuffer(doc) ? doc
    : doc instanceof Uint8Array ? Buffer.from(doc)
      : Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  return { body, hash: contentHash(body) };
}

// ---------------------------------------------------------------------------
// v3

let index: GeneratedIndex | undefined;
const v3Cache = new Map<string, V3Document | null>();

function generatedIndex(): GeneratedIndex {
  index ??= JSON.parse(readFileSync(new URL('index.json', generatedDir), 'utf8')) as GeneratedIndex;
  return index;
}

/** Document paths ("api/v1", "apis/apps/v1", "apis/apps", "version", ...) that are built in. */
export function builtinDocumentPaths(): string[] {
  return Object.keys(generatedIndex().documents);
}

/** The group/version document paths that are built in ("api/v1", "apis/apps/v1", ...). */
export function builtinGroupVersionPaths(): string[] {
  return [...generatedIndex().groupVersions];
}

/**
 * The v3 document at `path` ("api/v1", "apis/apps/v1", with or without
 * leading "/openapi/v3/"), from `extra` first, then the built-in documents.
 */
export function openapiV3Document(path: string, extra?: ReadonlyMap<string, V3Document>): V3Document | undefined {
  const p = path.replace(/^\/?(openapi\/v3\/)?/, '').replace(/\/+$/, '');
  const fromExtra = extra?.get(p);
  if (fromExtra) return fromExtra;
  const cached = v3Cache.get(p);
  if (cached !== undefined) return cached ?? undefined;
  const file = generatedIndex().documents[p];
  let doc: V3Document | null = null;
  if (file !== undefined) {
    const url = new URL(`v3/${file}`, generatedDir);
    if (existsSync(url)) doc = makeV3Document(readFileSync(url));
  }
  v3Cache.set(p, doc);
  return doc ?? undefined;
}

/** The document paths a server serving `served` lists, in root order (sorted, as upstream's JSON map). */
function listedDocuments(served: readonly string[], extra?: ReadonlyMap<string, V3Document>): string[] {
  const docs = new Set<string>();
  const builtin = generatedIndex().documents;
  for (const gv of served) {
    const d = documentPathOf(gv);
    if (!extra?.has(d) && builtin[d] === undefined) continue;
    docs.add(d);
    const segs = d.split('/');
    const groupDoc = segs[0] === 'api' ? 'api' : `apis/${segs[1]}`;
    if (builtin[groupDoc] !== undefined || extra?.has(groupDoc)) docs.add(groupDoc);
  }
  for (const d of ALWAYS_LISTED) if (builtin[d] !== undefined || extra?.has(d)) docs.add(d);
  return [...docs].sort();
}

export function serverRelativeURL(documentPath: string, hash: string): string {
  return `/openapi/v3/${documentPath}?hash=${hash}`;
}

/**
 * The /openapi/v3 root for a server serving `servedGroupVersions` ("v1",
 * "apps/v1", ...): each served group/version with a document, its group's
 * document, and the api, apis and version documents.
 */
export function openapiV3Root(servedGroupVersions: readonly string[], extra?: ReadonlyMap<string, V3Document>): OpenAPIV3Root {
  const paths: OpenAPIV3Root['paths'] = {};
  for (const d of listedDocuments(servedGroupVersions, extra)) {
    const doc = openapiV3Document(d, extra);
    if (doc) paths[d] = { serverRelativeURL: serverRelativeURL(d, doc.hash) };
  }
  return { paths };
}

// ---------------------------------------------------------------------------
// v2

interface V2Entry {
  doc: SwaggerDoc;
  json?: Encoded<Buffer>;
  proto?: Encoded<Uint8Array>;
}

let swagger: SwaggerDoc | undefined;
const v2Cache = new Map<string, V2Entry>();
const V2_CACHE_LIMIT = 8;

function builtinSwagger(): SwaggerDoc {
  swagger ??= JSON.parse(readFileSync(new URL('v2.json', generatedDir), 'utf8')) as SwaggerDoc;
  return swagger;
}

function v2Entry(served: readonly string[]): V2Entry {
  const keep = new Set<string>();
  for (const gv of served) {
    const d = documentPathOf(gv);
    keep.add(d);
    const segs = d.split('/');
    keep.add(segs[0] === 'api' ? 'api' : `apis/${segs[1]}`);
  }
  for (const d of ALWAYS_LISTED) keep.add(d);
  const key = [...keep].sort().join(',');
  let entry = v2Cache.get(key);
  if (entry) {
    // Refresh its position: the map's order is the eviction order.
    v2Cache.delete(key);
    v2Cache.set(key, entry);
    return entry;
  }
  entry = { doc: filterSwagger(builtinSwagger(), (d) => keep.has(d)) };
  v2Cache.set(key, entry);
  if (v2Cache.size > V2_CACHE_LIMIT) v2Cache.delete(v2Cache.keys().next().value!);
  return entry;
}

/** The swagger 2.0 document of the served group/versions. */
export function openapiV2Document(servedGroupVersions: readonly string[]): SwaggerDoc {
  return v2Entry(servedGroupVersions).doc;
}

/** /openapi/v2 as JSON. */
export function openapiV2Json(servedGroupVersions: readonly string[]): Encoded<Buffer> {
  const e = v2Entry(servedGroupVersions);
  if (!e.json) {
    const body = Buffer.from(JSON.stringify(e.doc));
    e.json = { body, etag: `"${contentHash(body)}"` };
  }
  return e.json;
}

/** /openapi/v2 as the gnostic `openapi.v2.Document` protobuf message. */
export function openapiV2Protobuf(servedGroupVersions: readonly string[]): Encoded<Uint8Array> {
  const e = v2Entry(servedGroupVersions);
  if (!e.proto) {
    const body = encodeSwaggerDocument(e.doc);
    e.proto = { body, etag: `"${contentHash(body)}"` };
  }
  return e.proto;
}

export { documentOfPath, documentPathOf };
