// What a fresh cluster holds after its bootstrap (namespaces, the
// kubernetes service, the RBAC policy), captured once per process from the first
// fresh cluster and written directly into later fresh clusters' stores, with fresh
// uids and timestamps: no admission, validation, field ownership or reconciling.
import type { KubeObject } from '../api/types.ts';
import type { KVStore } from '../storage/types.ts';
import type { WatchCache } from '../registry/generic/watch-cache.ts';
import { newUid, nowTimestamp } from '../registry/generic/metadata.ts';

let image: { key: string; obj: KubeObject }[] | undefined;

export function hasImage(): boolean {
  return image !== undefined;
}

/** Keep what `kv` holds (a fresh cluster right after its bootstrap) for the next fresh clusters. */
export async function captureImage(kv: KVStore): Promise<void> {
  if (image) return;
  const page = await kv.range('/registry/', {});
  image = page.kvs.map((kv) => ({ key: kv.key, obj: JSON.parse(kv.value) as KubeObject }));
}

/** Write the image into an empty store (one group commit) and wait until `cache` has it. */
export async function writeImage(kv: KVStore, cache: WatchCache): Promise<void> {
  const img = image as { key: string; obj: KubeObject }[];
  const now = nowTimestamp();
  const writes = img.map(({ key, obj }) => {
    const mf = obj.metadata.managedFields as Record<string, unknown>[] | undefined;
    const o = { ...obj, metadata: { ...obj.metadata, uid: newUid(), creationTimestamp: now, ...(mf ? { managedFields: mf.map((e) => ({ ...e, time: now })) } : {}) } };
    return kv.create(key, JSON.stringify(o));
  });
  const res = await Promise.all(writes);
  let rev = 0;
  for (const r of res) if (r.revision > rev) rev = r.revision;
  await cache.waitForRevision(rev);
}
