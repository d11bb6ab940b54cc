// /openapi/v3: the root (one serverRelativeURL with a content hash per
// document) and the documents of the built-in API groups, read lazily from
// ./generated/ (written by scripts/gen-openapi.ts) and cached as served bytes.
// Deliberately light: nothing here parses a document.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { documentFileNames, generatedDir } from './files.ts';
import { documentPathOf } from './paths.ts';

/** One OpenAPI v3 document ready to serve. */
export interface V3Document {
  body: Buffer;
  /** Uppercase hex SHA-512 of `body`: the `hash` of its serverRelativeURL and (quoted) its ETag. */
  hash: string;
}

export interface OpenAPIV3Root {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** Documents listed in the root whatever the server serves. */
export const ALWAYS_LISTED: readonly string[] = ['apis', 'version'];

/** Uppercase hex SHA-512, as kube-apiserver hashes its OpenAPI documents. */
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

const cache = new Map<string, V3Document | null>();

/** Document paths ("api/v1", "apis/apps/v1", "apis/apps", "version", ...) that are built in. */
export function builtinDocumentPaths(): string[] {
  return Object.keys(documentFileNames().documents);
}

/** The group/version document paths that are built in ("api/v1", "apis/apps/v1", ...). */
export function builtinGroupVersionPaths(): string[] {
  return [...documentFileNames().groupVersions];
}

function normalize(path: string): string {
  return path.replace(/^\/?(openapi\/v3\/)?/, '').replace(/\/+$/, '');
}

/**
 * The v3 document at `path` ("api/v1", "apis/apps/v1", with or without a
 * leading "/openapi/v3/"), from `extra` first, then the built-in documents.
 */
export function openapiV3Document(path: string, extra?: ReadonlyMap<string, V3Document>): V3Document | undefined {
  const p = normalize(path);
  const fromExtra = extra?.get(p);
  if (fromExtra) return fromExtra;
  const cached = cache.get(p);
  if (cached !== undefined) return cached ?? undefined;
  const file = documentFileNames().documents[p];
  let doc: V3Document | null = null;
  if (file !== undefined) {
    const url = new URL(`v3/${file}`, generatedDir);
    if (existsSync(url)) doc = makeV3Document(readFileSync(url));
  }
  cache.set(p, doc);
  return doc ?? undefined;
}

/** The document of the group of a group/version document: "apis/apps/v1" → "apis/apps", "api/v1" → "api". */
export function groupDocumentOf(documentPath: string): string {
  const segs = documentPath.split('/');
  return segs[0] === 'api' ? 'api' : `apis/${segs[1]}`;
}

/** The documents a server serving `served` lists, sorted (upstream's root is a JSON map with sorted keys). */
function listedDocuments(served: readonly string[], extra?: ReadonlyMap<string, V3Document>): string[] {
  const builtin = documentFileNames().documents;
  const exists = (d: string): boolean => builtin[d] !== undefined || extra?.has(d) === true;
  const docs = new Set<string>();
  for (const gv of served) {
    const d = documentPathOf(gv);
    if (!exists(d)) continue;
    docs.add(d);
    const g = groupDocumentOf(d);
    if (exists(g)) docs.add(g);
  }
  for (const d of ALWAYS_LISTED) if (exists(d)) docs.add(d);
  return [...docs].sort();
}

export function serverRelativeURL(documentPath: string, hash: string): string {
  return `/openapi/v3/${documentPath}?hash=${hash}`;
}

/**
 * The /openapi/v3 root for a server serving `servedGroupVersions` ("v1",
 * "apps/v1", ...): each served group/version that has a document, its group's
 * document, and the apis and version documents.
 */
export function openapiV3Root(servedGroupVersions: readonly string[], extra?: ReadonlyMap<string, V3Document>): OpenAPIV3Root {
  const paths: OpenAPIV3Root['paths'] = {};
  for (const d of listedDocuments(servedGroupVersions, extra)) {
    const doc = openapiV3Document(d, extra);
    if (doc) paths[d] = { serverRelativeURL: serverRelativeURL(d, doc.hash) };
  }
  return { paths };
}
