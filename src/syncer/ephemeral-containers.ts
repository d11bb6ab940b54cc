// Ephemeral containers (`kubectl debug`) of synced pods. A pod create cannot
// carry them, so they reach the host pod through its `ephemeralcontainers`
// subresource, as kubectl adds them: a strategic merge patch that adds the
// ones the host pod lacks and leaves the others alone (they can be neither
// changed nor removed). The host's statuses of them come back with the rest
// of the pod's status (translate/pod-status.ts).
//
// A refusal of the host (Pod Security refusing a debug profile's
// capabilities, RBAC without pods/ephemeralcontainers, a static pod) becomes a
// SyncError event of the virtual pod and a waiting status of the container; as
// the container cannot be taken back, the refusal is remembered and asked
// again only after a backoff, not on each sync of the pod.

import type { KubeObject } from '../api/types.ts';
import { backoffDelay, type Backoff } from './host/backoff.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER, PODS } from './resources.ts';
import { raced, refusal } from './sync-errors.ts';
import type { PodContainer } from './translate/index.ts';

/** Between two requests for a container the host refused: 10 s at first, doubling up to 5 min. */
export const EPHEMERAL_REFUSAL_BACKOFF: Backoff = { initialMs: 10_000, maxMs: 5 * 60_000 };

/** The host's refusal of one ephemeral container. */
export interface EphemeralRefusal {
  readonly message: string;
  readonly failures: number;
  /** Not asked again before this time (ms since the epoch). */
  readonly retryAt: number;
}

/** The host's refusals of one virtual pod's ephemeral containers, by container name. */
export interface EphemeralRefusals {
  readonly uid: string | undefined;
  readonly byName: Map<string, EphemeralRefusal>;
}

type Named = { name: string };

function ephemeralOf(pod: KubeObject): Named[] {
  return ((pod.spec as { ephemeralContainers?: Named[] } | undefined)?.ephemeralContainers) ?? [];
}

/** The names of the virtual pod's ephemeral containers the host pod lacks, in the virtual pod's order. */
export function missingEphemeralContainers(v: KubeObject, h: KubeObject): string[] {
  const want = ephemeralOf(v);
  if (want.length === 0) return [];
  const have = new Set(ephemeralOf(h).map((c) => c.name));
  return want.filter((c) => !have.has(c.name)).map((c) => c.name);
}

/**
 * The strategic merge patch of pods/ephemeralcontainers that adds `add` after the
 * ephemeral containers the host pod `h` has, as kubectl debug words it.
 */
export function ephemeralContainersPatch(h: KubeObject, add: readonly PodContainer[]): Record<string, unknown> {
  return {
    spec: {
      '$setElementOrder/ephemeralContainers': [...ephemeralOf(h), ...add].map((c) => ({ name: c.name })),
      ephemeralContainers: add,
    },
  };
}

/** The ephemeral containers of the virtual pod `v` the host refused, with why (for its status). */
export function refusedEphemeral(s: SyncContext, v: KubeObject): ReadonlyMap<string, string> | undefined {
  const r = s.ephemeralRefused.get(`${v.metadata.namespace ?? ''}/${v.metadata.name ?? ''}`);
  if (!r || r.uid !== v.metadata.uid || r.byName.size === 0) return undefined;
  return new Map([...r.byName].map(([name, x]) => [name, x.message]));
}

export interface EphemeralSyncResult {
  /** The host pod as the last write left it (or `h`). */
  readonly hostPod: KubeObject;
  /** Ask again after this long: a refused container's backoff ends then, or a write raced another. */
  readonly requeueAfterMs?: number;
}

/**
 * Give the host pod `h` the ephemeral containers of the virtual pod `v` it lacks.
 * `translated` gives them as the host takes them (HostPod.ephemeralContainers); it is
 * called only when something is to be written.
 */
export async function syncEphemeralContainers(
  s: SyncContext, v: KubeObject, h: KubeObject, translated: () => readonly PodContainer[], now = Date.now(),
): Promise<EphemeralSyncResult> {
  const key = `${v.metadata.namespace ?? ''}/${v.metadata.name ?? ''}`;
  let memo = s.ephemeralRefused.get(key);
  if (memo && memo.uid !== v.metadata.uid) {
    s.ephemeralRefused.delete(key);
    memo = undefined;
  }
  const missing = missingEphemeralContainers(v, h);
  if (memo) {
    // What the host has now (or the virtual pod no longer names) is no refusal any more.
    for (const n of [...memo.byName.keys()]) if (!missing.includes(n)) memo.byName.delete(n);
    if (memo.byName.size === 0) {
      s.ephemeralRefused.delete(key);
      memo = undefined;
    }
  }
  if (missing.length === 0) return { hostPod: h };
  const due = missing.filter((n) => (memo?.byName.get(n)?.retryAt ?? 0) <= now);
  let hostPod = h;
  let requeueAfterMs: number | undefined;
  if (due.length > 0) {
    const byName = new Map(translated().map((c) => [c.name, c]));
    const add = async (names: readonly string[]): Promise<'ok' | 'raced' | { refused: Error }> => {
      const containers = names.map((n) => byName.get(n)).filter((c): c is PodContainer => c !== undefined);
      if (containers.length === 0) return 'ok';
      try {
        const out = await s.conn.patch(PODS, s.hostNamespace, hostPod.metadata.name as string, 'strategic',
          ephemeralContainersPatch(hostPod, containers), { fieldManager: FIELD_MANAGER, subresource: 'ephemeralcontainers' });
        s.hosts.pods.observe(out);
        hostPod = out;
        return 'ok';
      } catch (e) {
        if (raced(e)) return 'raced';
        // 404 too: the host serves no pods/ephemeralcontainers (before 1.23), or the pod is gone
        // (its informer brings that news, and the pod's own sync deals with it).
        if (refusal(e)) return { refused: e };
        throw e;
      }
    };
    const refuse = (name: string, e: Error) => {
      const prev = memo?.byName.get(name);
      const failures = (prev?.failures ?? 0) + 1;
      const message = `the host cluster refused ephemeral container ${JSON.stringify(name)}: ${e.message}`;
      if (!memo) s.ephemeralRefused.set(key, (memo = { uid: v.metadata.uid, byName: new Map() }));
      memo.byName.set(name, { message, failures, retryAt: now + backoffDelay(failures, EPHEMERAL_REFUSAL_BACKOFF) });
      void s.ctl.events.record(v, 'Warning', 'SyncError', message, FIELD_MANAGER, undefined, `spec.ephemeralContainers{${name}}`);
    };
    const all = await add(due);
    if (all === 'raced') requeueAfterMs = 200;
    else if (all !== 'ok') {
      // The host validates the pod as a whole: one refused container must not keep the others out.
      if (due.length === 1) refuse(due[0]!, all.refused);
      else {
        for (const n of due) {
          const one = await add([n]);
          if (one === 'raced') requeueAfterMs = 200;
          else if (one !== 'ok') refuse(n, one.refused);
        }
      }
    }
    if (memo) {
      const still = missingEphemeralContainers(v, hostPod);
      for (const n of due) if (!still.includes(n)) memo.byName.delete(n);
      if (memo.byName.size === 0) {
        s.ephemeralRefused.delete(key);
        memo = undefined;
      }
    }
  }
  // The earliest end of a refusal's backoff: the pod is synced again then.
  for (const r of memo?.byName.values() ?? []) {
    const wait = Math.max(0, r.retryAt - now);
    requeueAfterMs = requeueAfterMs === undefined ? wait : Math.min(requeueAfterMs, wait);
  }
  return { hostPod, requeueAfterMs };
}
