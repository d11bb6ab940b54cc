// What a fresh cluster holds after its bootstrap (namespaces, the kubernetes
// service, the RBAC policy), captured once per process from the first fresh
// cluster (the admin API's, at a server's first start) and written directly into
// later fresh clusters' stores, with fresh uids and timestamps: no admission,
// validation, field ownership or reconciling.
//
// Each object is kept twice: decoded, its nested parts frozen and shared by every
// cluster written from the image (as the watch cache treats its objects as
// immutable), and serialized, split where the uid and the timestamps go. Writing
// a cluster builds each object's metadata afresh, joins the pieces of its JSON
// around the new uid and time, and hands the decoded object to the watch cache,
// which then need not parse what it is told. On SQLite the image goes into the
// new store as rows at revisions 1..n in one transaction (`restoreRows`, as a
// snapshot restore does: all or nothing, so a crash leaves an empty store, which
// the next open fills again); elsewhere as creates in one group commit.
//
// A manager may add what its controllers write right after a fresh cluster opens
// (the default ServiceAccounts, the kube-root-ca.crt ConfigMaps): `extraImage`
// takes those objects from a cluster that has them, as its controllers wrote them.
import type { KubeObject } from '../api/types.ts';
import type { KVStore } from '../storage/types.ts';
import type { WatchCache } from '../registry/generic/watch-cache.ts';
import { newUid, nowTimestamp } from '../registry/generic/metadata.ts';

const UID_MARK = '\u0001kubevisor-image-uid\u0001';
const TIME_MARK = '\u0001kubevisor-image-time\u0001';
const HOLE = /"\\u0001kubevisor-image-(uid|time)\\u0001"/;

/** One object of the image. */
export interface ImageEntry {
  readonly key: string;
  /** The stored object without uid and timestamps; its parts are frozen and shared. */
  readonly obj: KubeObject;
  /** Its JSON, in pieces around `holes`. */
  readonly pieces: readonly string[];
  readonly holes: readonly ('uid' | 'time')[];
}

export type Image = readonly ImageEntry[];

/** What a store written from the image holds, for its watch cache to start from. */
export type { StoreContents } from '../registry/generic/watch-cache.ts';
import type { StoreContents } from '../registry/generic/watch-cache.ts';

/** The objects at revisions 1..n, as they were written. */
function contents(objs: readonly { key: string; obj: KubeObject }[]): StoreContents {
  return { revision: objs.length, objects: new Map(objs.map((o, i) => [o.key, { obj: o.obj, modRevision: i + 1 }])) };
}

let image: Image | undefined;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** The object as a cluster gets it: metadata of its own, with `uid` and `time`. */
function instance(obj: KubeObject, uid: string, time: string): KubeObject {
  const mf = obj.metadata.managedFields as Record<string, unknown>[] | undefined;
  return {
    ...obj,
    metadata: { ...obj.metadata, uid, creationTimestamp: time, ...(mf ? { managedFields: mf.map((e) => ({ ...e, time })) } : {}) },
  };
}

/** An image entry of a stored object (a value read from a store). */
export function imageEntry(key: string, stored: KubeObject): ImageEntry {
  const { resourceVersion: _rv, ...metadata } = stored.metadata;
  const obj = deepFreeze({ ...stored, metadata });
  const parts = JSON.stringify(instance(obj, UID_MARK, TIME_MARK)).split(HOLE);
  const pieces: string[] = [];
  const holes: ('uid' | 'time')[] = [];
  for (let i = 0; i < parts.length; i++) (i % 2 === 0 ? pieces : holes).push(parts[i] as never);
  return { key, obj, pieces, holes };
}

export function hasImage(): boolean {
  return image !== undefined;
}

/** The image, when there is one. */
export function currentImage(): Image | undefined {
  return image;
}

/** Keep what `kv` holds (a fresh cluster right after its bootstrap) for the next fresh clusters. */
export async function captureImage(kv: KVStore): Promise<void> {
  if (image) return;
  const page = await kv.range('/registry/', {});
  if (image) return;
  image = page.kvs.map((kv) => imageEntry(kv.key, JSON.parse(kv.value) as KubeObject));
}

/** The image (then `extra`) for one cluster: each object's stored JSON and decoded form, with a new uid and time. */
function instances(extra: Image, uids?: readonly string[], now = nowTimestamp()): { key: string; value: string; obj: KubeObject }[] {
  const out: { key: string; value: string; obj: KubeObject }[] = [];
  const quotedNow = `"${now}"`;
  for (const list of [image as Image, extra]) {
    for (const e of list) {
      const uid = uids?.[out.length] ?? newUid();
      const quotedUid = `"${uid}"`;
      let value = e.pieces[0];
      for (let i = 0; i < e.holes.length; i++) value += (e.holes[i] === 'uid' ? quotedUid : quotedNow) + e.pieces[i + 1];
      // The cache takes this object as it is: nothing else holds its own parts (metadata,
      // managedFields entries), and the shared ones are frozen.
      out.push({ key: e.key, value, obj: instance(e.obj, uid, now) });
    }
  }
  return out;
}

/**
 * Write the image (then `extra`) into a store never written to, all or nothing, as rows
 * at revisions 1..n (a backend that chooses revisions: `restoreRows`); returns what
 * the store then holds, for the watch cache to start from (WatchCache.start).
 */
export async function restoreImage(kv: KVStore, extra: Image = []): Promise<StoreContents> {
  const objs = instances(extra);
  const rows = objs.map((o, i) => ({ key: o.key, value: o.value, createRevision: i + 1, modRevision: i + 1 }));
  await (kv.restoreRows as NonNullable<KVStore['restoreRows']>)(rows, rows.length);
  return contents(objs);
}

/**
 * Write the image (then `extra`) into an empty store (one group commit) and wait until
 * `cache` has it.
 */
export async function writeImage(kv: KVStore, cache: WatchCache, extra: Image = []): Promise<void> {
  const writes: Promise<{ revision: number }>[] = [];
  for (const o of instances(extra)) {
    cache.adopt(o.key, o.value, o.obj);
    writes.push(kv.create(o.key, o.value));
  }
  const res = await Promise.all(writes);
  let rev = 0;
  for (const r of res) if (r.revision > rev) rev = r.revision;
  await cache.waitForRevision(rev);
}

// A SQLite store written from the image is the same file but for the uids and the time:
// made once per image (and extra) with marks in their places, copied for each cluster.
const templateModule = (() => {
  let m: Promise<typeof import('../storage/sqlite-template.ts')> | undefined;
  return () => (m ??= import('../storage/sqlite-template.ts'));
})();
/** As long as the uids (newUid) and times (nowTimestamp) they stand for. */
const uidMark = (i: number) => `kubevisor-image-uid-${String(i).padStart(16, '0')}`;
const TIME_MARK_TEXT = 'kubevisor-image-time';
const NO_EXTRA: Image = [];
const templates = new WeakMap<Image, Promise<SqliteTemplate | undefined>>();

export type SqliteTemplate = import('../storage/sqlite-template.ts').SqliteTemplate;

function templateOf(extra: Image): Promise<SqliteTemplate | undefined> {
  let t = templates.get(extra);
  if (!t) {
    const uidMarks = (image as Image).concat(extra).map((_, i) => uidMark(i));
    const objs = instances(extra, uidMarks, TIME_MARK_TEXT);
    const rows = objs.map((o, i) => ({ key: o.key, value: o.value, createRevision: i + 1, modRevision: i + 1 }));
    t = templateModule().then((m) => m.makeSqliteTemplate(rows, rows.length, templateValues(uidMarks, TIME_MARK_TEXT)));
    templates.set(extra, t);
  }
  return t;
}

/** The SQLite template of the image (then `extra`); undefined when there is no image or no template of it. */
export async function imageTemplate(extra: Image = NO_EXTRA): Promise<SqliteTemplate | undefined> {
  if (!image) return undefined;
  return templateOf(extra.length === 0 ? NO_EXTRA : extra);
}

/** The values of a template's marks for one store: the objects' uids (in image order, then `extra`'s), then the time. */
export function templateValues(uids: readonly string[], time: string): string[] {
  return [...uids, time];
}

/** What a store filled from the image's template with `uids` and `time` holds. */
export function imageContents(extra: Image, uids: readonly string[], time: string): StoreContents {
  const entries = (image as Image).concat(extra);
  if (uids.length !== entries.length) throw new Error(`image of ${entries.length} objects, ${uids.length} uids`);
  return contents(entries.map((e, i) => ({ key: e.key, obj: instance(e.obj, uids[i], time) })));
}

/**
 * A new SQLite store holding the image (then `extra`): the bytes of its database file,
 * and what it holds for the watch cache to start from; undefined when there is no image
 * (or no template of it could be made: restoreImage then).
 */
export async function imageDatabase(extra: Image = NO_EXTRA): Promise<{ file: Buffer; contents: StoreContents } | undefined> {
  const template = await imageTemplate(extra);
  if (!template) return undefined;
  const uids = Array.from({ length: template.marks.length - 1 }, () => newUid());
  const now = nowTimestamp();
  const file = (await templateModule()).fillSqliteTemplate(template, templateValues(uids, now));
  return { file, contents: imageContents(extra, uids, now) };
}

/** The metadata of an object as a controller creates it (no labels, owners, finalizers, deletion). */
const PRISTINE_METADATA = new Set(['name', 'namespace', 'uid', 'creationTimestamp', 'resourceVersion', 'managedFields', 'annotations']);

/** The namespaces of the image. */
function imageNamespaces(nsPrefix: string): string[] {
  return (image ?? []).filter((e) => e.key.startsWith(nsPrefix)).map((e) => e.key.slice(nsPrefix.length));
}

/**
 * Objects a cluster's controllers wrote into a fresh cluster (`cache`, opened from the
 * image or captured as it) and nobody changed since, to write with the image into the
 * next fresh clusters: for every namespace of the image, the object at `keyOf(ns)`,
 * created by `manager` (one field-ownership entry, from its creation). Undefined
 * unless each of them is there and so: try again with another cluster.
 */
export function extraImage(cache: WatchCache, nsPrefix: string, keysOf: (ns: string) => string[], manager: string): Image | undefined {
  if (!image) return undefined;
  const out: ImageEntry[] = [];
  for (const ns of imageNamespaces(nsPrefix)) {
    for (const key of keysOf(ns)) {
      const obj = cache.getCached(key)?.obj;
      if (!obj) return undefined;
      const m = obj.metadata;
      if (m.namespace !== ns || Object.keys(m).some((k) => !PRISTINE_METADATA.has(k))) return undefined;
      const mf = m.managedFields as { manager?: string; operation?: string; time?: string }[] | undefined;
      if (mf === undefined) {
        // A write that set no fields but the name (a default ServiceAccount) has no
        // field-ownership entry; any other write would have left one.
        if (m.annotations || Object.keys(obj).some((k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata')) return undefined;
      } else if (mf.length !== 1 || mf[0].manager !== manager || mf[0].operation !== 'Update' || mf[0].time !== m.creationTimestamp) {
        return undefined;
      }
      // Parsed afresh: the cache's copy is that cluster's.
      out.push(imageEntry(key, JSON.parse(JSON.stringify(obj)) as KubeObject));
    }
  }
  return out;
}
