// VirtualCluster objects as the CLI sees them (docs/admin-api.md): their API
// paths, the fields the commands read, the kubeconfig context name of a
// cluster, and waiting for a cluster to reach a phase.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type AdminClient } from './admin-client.ts';
import { compareUtf8 } from '../api/decode/go-text.ts';

export const GROUP = 'kubevisor.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'VirtualCluster';
export const RESOURCE = 'virtualclusters';
export const COLLECTION = `/apis/${API_VERSION}/${RESOURCE}`;

export type Phase = 'Pending' | 'Running' | 'Paused' | 'Sleeping' | 'Terminating' | 'Failed';

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface VirtualCluster {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
    managedFields?: unknown;
    [key: string]: unknown;
  };
  spec?: {
    kubernetesVersion?: string;
    storage?: string;
    nodes?: number;
    paused?: boolean;
    sleepAfter?: string;
    limits?: { maxObjects?: number; maxRequestsInFlight?: number; maxWatches?: number };
    host?: {
      kubeconfigSecret?: { name?: string; namespace?: string; key?: string };
      kubeconfigFile?: string;
      context?: string;
      namespace?: string;
    };
    [key: string]: unknown;
  };
  status?: {
    phase?: Phase | string;
    endpoint?: string;
    kubernetesVersion?: string;
    objects?: number;
    lastActivityTime?: string;
    observedGeneration?: number;
    conditions?: Condition[];
    [key: string]: unknown;
  };
}

export interface VirtualClusterList {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string };
  items: VirtualCluster[];
}

/** The kubeconfig context (and cluster and user) `kubevisor connect NAME` writes. */
export const CONTEXT_PREFIX = 'kubevisor_';
export function contextFor(name: string): string {
  return `${CONTEXT_PREFIX}${name}`;
}
/** The cluster a context written by connect stands for, or undefined. */
export function clusterOfContext(context: string | undefined): string | undefined {
  return context?.startsWith(CONTEXT_PREFIX) ? context.slice(CONTEXT_PREFIX.length) : undefined;
}

export function itemPath(name: string, subresource?: string): string {
  return `${COLLECTION}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** The phase to show: Terminating once deletion started, Pending before the server set one. */
export function phaseOf(vc: VirtualCluster): string {
  if (vc.metadata.deletionTimestamp) return 'Terminating';
  return vc.status?.phase || 'Pending';
}

export function versionOf(vc: VirtualCluster): string | undefined {
  return vc.status?.kubernetesVersion || vc.spec?.kubernetesVersion;
}

export async function getCluster(client: AdminClient, name: string): Promise<VirtualCluster> {
  return client.json<VirtualCluster>(itemPath(name));
}

export async function listClusters(client: AdminClient): Promise<VirtualClusterList> {
  const list = await client.json<VirtualClusterList>(COLLECTION);
  list.items = Array.isArray(list.items) ? list.items : [];
  list.items.sort((a, b) => compareUtf8(a.metadata.name, b.metadata.name));
  return list;
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;

export class WaitTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeout';
  }
}

function failedMessage(vc: VirtualCluster): string {
  const ready = vc.status?.conditions?.find((c) => c.type === 'Ready');
  const detail = ready?.message || ready?.reason;
  return `virtual cluster "${vc.metadata.name}" failed${detail ? `: ${detail}` : ''}`;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Called when the phase shown changes (progress lines). */
  readonly onPhase?: (phase: string, vc: VirtualCluster) => void;
  /** How often to poll when watching is not possible. */
  readonly pollMs?: number;
}

/**
 * Wait until the cluster is in one of `phases` (watching, falling back to
 * polling). Throws when it fails, disappears or the time runs out.
 */
export async function waitForPhase(client: AdminClient, name: string, phases: readonly string[], o: WaitOptions): Promise<VirtualCluster> {
  const deadline = Date.now() + o.timeoutMs;
  let lastPhase: string | undefined;
  let outcome: VirtualCluster | Error | undefined;
  const check = (vc: VirtualCluster): boolean => {
    const phase = phaseOf(vc);
    if (phase !== lastPhase) {
      lastPhase = phase;
      o.onPhase?.(phase, vc);
    }
    if (phases.includes(phase)) outcome = vc;
    else if (phase === 'Failed' && !phases.includes('Failed')) outcome = new Error(failedMessage(vc));
    return outcome !== undefined;
  };
  let watchable = true;
  while (outcome === undefined) {
    const vc = await getCluster(client, name);
    if (check(vc)) break;
    const left = deadline - Date.now();
    if (left <= 0) break;
    const abort = new AbortController();
    // Look again now and then, whatever the watch says (or misses).
    const timer = setTimeout(() => abort.abort(), Math.min(left, 10_000));
    try {
      if (watchable) {
        const started = Date.now();
        await client.watch(
          `/apis/${API_VERSION}/${RESOURCE}`,
          { fieldSelector: `metadata.name=${name}`, resourceVersion: vc.metadata.resourceVersion ?? '' },
          (type, object) => {
            if (type === 'DELETED') {
              outcome = new Error(`virtual cluster "${name}" was deleted`);
              return true;
            }
            if (type !== 'ADDED' && type !== 'MODIFIED') return false;
            return check(object as unknown as VirtualCluster);
          },
          abort.signal,
        );
        // A watch the server ended at once: do not spin.
        if (outcome === undefined && Date.now() - started < 200) await sleep(200, undefined, { signal: abort.signal });
      } else {
        await sleep(Math.min(o.pollMs ?? 500, left), undefined, { signal: abort.signal });
      }
    } catch (err) {
      if (abort.signal.aborted) continue;
      // A watch the server refuses, or one that broke: poll instead.
      if (err instanceof ApiError && err.code !== 410) watchable = false;
      else if (!(err instanceof ApiError)) watchable = false;
    } finally {
      clearTimeout(timer);
    }
  }
  if (outcome instanceof Error) throw outcome;
  if (outcome === undefined) {
    throw new WaitTimeout(`timed out after ${Math.round(o.timeoutMs / 1000)}s waiting for virtual cluster "${name}" to be ${phases.join(' or ')} (it is ${lastPhase ?? 'unknown'})`);
  }
  return outcome;
}

/** Wait until GET answers 404. */
export async function waitForDeletion(client: AdminClient, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    try {
      await getCluster(client, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() + delay > deadline) {
      throw new WaitTimeout(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for virtual cluster "${name}" to be deleted`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}
