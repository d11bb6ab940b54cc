// Content negotiation as kube-apiserver does it: the Accept header picks the
// encoding (JSON, YAML, protobuf) and the shape (object, Table, partial metadata).

import { errors } from '../../api/errors.ts';

export const mediaJSON = 'application/json';
export const mediaYAML = 'application/yaml';
export const mediaProtobuf = 'application/vnd.kubernetes.protobuf';

export type Encoding = 'json' | 'yaml' | 'protobuf';
export type Shape =
  | { kind: 'object' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean };

export interface Negotiated {
  encoding: Encoding;
  shape: Shape;
}

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseMediaRanges(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    for (const p of ps) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    if (params.q === '0') continue;
    out.push({ type: type.toLowerCase(), params });
  }
  return out;
}

const acceptable = [mediaJSON, mediaYAML, mediaProtobuf];

/**
 * Choose the response form. `allowTransform` is true for GET/LIST/WATCH of
 * resources (Table and partial metadata only make sense there).
 */
export function negotiate(accept: string | undefined, allowTransform: boolean): Negotiated {
  if (!accept || accept.trim() === '') return { encoding: 'json', shape: { kind: 'object' } };
  for (const r of parseMediaRanges(accept)) {
    const encoding = encodingOf(r.type);
    if (!encoding) continue;
    const as = r.params.as;
    if (as === undefined) return { encoding, shape: { kind: 'object' } };
    if (!allowTransform || r.params.g !== 'meta.k8s.io') continue;
    const version = r.params.v === 'v1beta1' ? 'v1beta1' : r.params.v === 'v1' ? 'v1' : undefined;
    if (!version) continue;
    if (as === 'Table' && encoding !== 'yaml') return { encoding, shape: { kind: 'table', version } };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      return { encoding, shape: { kind: 'partial', version, list: as === 'PartialObjectMetadataList' } };
    }
  }
  throw errors.notAcceptable(acceptable);
}

function encodingOf(type: string): Encoding | undefined {
  switch (type) {
    case mediaJSON: case 'application/*': case '*/*': return 'json';
    case mediaYAML: return 'yaml';
    case mediaProtobuf: return 'protobuf';
    default: return undefined;
  }
}

export type BodyFormat =
  | 'json' | 'yaml' | 'protobuf'
  | 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch';

const bodyTypes: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/vnd.kubernetes.protobuf': 'protobuf',
  'application/json-patch+json': 'json-patch',
  'application/merge-patch+json': 'merge-patch',
  'application/strategic-merge-patch+json': 'strategic-merge-patch',
  'application/apply-patch+yaml': 'apply-patch',
  'application/apply-patch+cbor': 'apply-patch',
};

/** The format of a request body from its Content-Type, or undefined when unknown. */
/**
 * The format of an object body (create, update, subresource writes): as
 * bodyFormat, except that a request without a Content-Type (`kubectl create
 * --raw` sends none) is JSON, the first type upstream decodes. Patches have no
 * such default: their type is their Content-Type.
 */
export function objectBodyFormat(contentType: string | undefined): BodyFormat | undefined {
  return contentType ? bodyFormat(contentType) : 'json';
}

export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  if (!contentType) return undefined;
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/apply-patch+cbor') return undefined;
  return bodyTypes[type];
}
