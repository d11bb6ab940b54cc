// Watch: a chunked stream of newline-delimited JSON events, served from the
// watch cache, with bookmarks, timeouts, initial events and Table rows.

import { ApiError, errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { apiVersionOf } from '../../registry/types.ts';
import type { Negotiated } from '../http/negotiate.ts';
import type { WatchEventType } from '../../registry/generic/store.ts';
import type { ResourceContext } from './resource.ts';
import { buildPredicate } from './selectors.ts';
import { toTable, type IncludeObject } from './table.ts';

/** Upstream's default watch length: a random time between 30 and 60 minutes. */
function defaultTimeoutSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

const bookmarkIntervalMs = 60_000;

/** Where a stored object's metadata begins: after at most its apiVersion and kind, as objects are written. */
const METADATA_START = /^\{(?:"(?:apiVersion|kind)":"[^"\\]*",){0,2}"metadata":\{/;

/**
 * The stored JSON of an object with its resourceVersion put in (first in metadata), or
 * undefined when the text is not laid out as expected: the caller encodes the object then.
 */
export function withResourceVersion(stored: string, rv: string | undefined): string | undefined {
  if (rv === undefined) return undefined;
  // Every watch of the kind gets the same event: the text is made once for all of them.
  if (last?.stored === stored && last.rv === rv) return last.text;
  const m = METADATA_START.exec(stored);
  // A text with a resourceVersion of its own somewhere (an event's involvedObject) is left to the encoder.
  const at = m && !stored.includes('"resourceVersion"') ? m[0].length : undefined;
  const text = at === undefined ? undefined
    : `${stored.slice(0, at)}"resourceVersion":${JSON.stringify(rv)}${stored[at] === '}' ? '' : ','}${stored.slice(at)}`;
  last = { stored, rv, text };
  return text;
}

let last: { readonly stored: string; readonly rv: string; readonly text: string | undefined } | undefined;

export async function serveWatch(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query, req, res } = ctx;
  const sendInitial = query.get('sendInitialEvents');
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  const rv = query.get('resourceVersion') ?? undefined;
  const match = query.get('resourceVersionMatch') ?? '';
  if (sendInitial !== null && sendInitial !== '') {
    if (sendInitial !== 'true' && sendInitial !== 'false') throw errors.badRequest(`sendInitialEvents: Invalid value: "${sendInitial}"`);
    if (match !== 'NotOlderThan') {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [{ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' }]);
    }
    if (sendInitial === 'true' && !allowBookmarks) {
      throw errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [{ type: 'FieldValueForbidden', field: 'allowWatchBookmarks', detail: 'allowWatchBookmarks must be set to true when sendInitialEvents is true' }]);
    }
  } else if (match !== '') {
    throw errors.invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [{ type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' }]);
  }
  const timeoutRaw = query.get('timeoutSeconds');
  const timeoutSeconds = timeoutRaw ? Number(timeoutRaw) : defaultTimeoutSeconds();
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) throw errors.badRequest(`timeoutSeconds: Invalid value: "${timeoutRaw}"`);
  const predicate = buildPredicate(def, query.get('labelSelector'), query.get('fieldSelector'));
  const include: IncludeObject = (query.get('includeObject') as IncludeObject | null) ?? 'Metadata';

  // Protobuf streams (client-go's informers ask for them) frame each event; the codec is already loaded for this request.
  const pb = neg.encoding === 'protobuf' && neg.shape.kind === 'object' ? await import('../../api/protobuf/codec.ts') : undefined;
  const protobuf = pb !== undefined && pb.hasProtobufSchema(apiVersionOf(def), def.kind);
  let first = true;
  let open = true;
  const encode = (type: WatchEventType, obj: KubeObject, stored: string | undefined): string | Uint8Array => {
    if (protobuf && pb) return pb.encodeProtobufWatchFrame(type, obj);
    if (stored !== undefined && neg.shape.kind === 'object') {
      const text = withResourceVersion(stored, obj.metadata.resourceVersion);
      if (text !== undefined) return `{"type":"${type}","object":${text}}\n`;
    }
    let out: unknown = obj;
    if (neg.shape.kind === 'table' && type !== 'BOOKMARK' && type !== 'ERROR') {
      out = toTable(def, [obj], neg.shape.version, include, { resourceVersion: obj.metadata.resourceVersion }, first);
      first = false;
    } else if (neg.shape.kind === 'partial' && type !== 'ERROR') {
      out = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${neg.shape.version}`, metadata: obj.metadata };
    }
    return JSON.stringify({ type, object: out }) + '\n';
  };
  let lastRV = rv && rv !== '0' ? rv : String(cluster.cache.revision);
  const sink = {
    send(type: WatchEventType, obj: KubeObject, stored?: string) {
      if (!open) return;
      if (type === 'BOOKMARK' && !allowBookmarks) return;
      if (obj.metadata.resourceVersion) lastRV = obj.metadata.resourceVersion;
      res.write(encode(type, obj, stored));
    },
  };

  res.writeHead(200, {
    'Content-Type': protobuf ? 'application/vnd.kubernetes.protobuf;stream=watch' : 'application/json',
    'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let stop: (() => void) | undefined;
  try {
    stop = await cluster.store.watch(def, info.namespace, {
      predicate, resourceVersion: rv, sendInitialEvents: sendInitial === 'true',
    }, sink);
  } catch (e) {
    // Failures after the headers went out travel as an ERROR event, as upstream sends them.
    const status = e instanceof ApiError ? e.toStatus() : errors.internal(String(e)).toStatus();
    res.end(protobuf && pb ? pb.encodeProtobufWatchFrame('ERROR', status as unknown as Record<string, unknown>) : JSON.stringify({ type: 'ERROR', object: status }) + '\n');
    return;
  }
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (!open) return;
      open = false;
      offClose();
      stop?.();
      clearTimeout(timer);
      clearInterval(bookmarks);
      res.end();
      resolve();
    };
    const offClose = cluster.whenClosed(finish);
    const timer = setTimeout(finish, timeoutSeconds * 1000);
    const bookmarks = setInterval(() => {
      if (allowBookmarks) sink.send('BOOKMARK', cluster.store.bookmark(def, Math.max(Number(lastRV), cluster.cache.revision)));
    }, bookmarkIntervalMs);
    bookmarks.unref();
    req.on('close', finish);
    res.on('close', finish);
    res.on('error', finish);
  });
}
