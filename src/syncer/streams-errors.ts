// Host refusals of a pod stream, re-worded for the virtual cluster: the tenant
// sees the virtual pod's name and namespace, never the host's, and never the
// host's RBAC or network details (those are the operator's business).

import { ApiError, errors, type StatusDetails, type StatusReason } from '../api/errors.ts';
import { HostError } from './host/errors.ts';

/** A virtual pod and the host pod it runs as. */
export interface PodPair {
  readonly namespace: string;
  readonly name: string;
  readonly hostNamespace: string;
  readonly hostName: string;
  /** The pods' uids, when known: the host's is replaced by the virtual one. */
  readonly uid?: string;
  readonly hostUid?: string;
}

const PODS = { group: '', resource: 'pods' };

const knownReasons: ReadonlySet<string> = new Set<StatusReason>([
  'BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'MethodNotAllowed', 'NotAcceptable', 'AlreadyExists', 'Conflict',
  'Gone', 'RequestEntityTooLarge', 'UnsupportedMediaType', 'Invalid', 'TooManyRequests', 'InternalError',
  'ServiceUnavailable', 'Timeout', 'Expired',
]);

/** The reason upstream gives a code when the host named none. */
function reasonFor(code: number): StatusReason {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `namespace NS` (or `namespace: NS`, `namespace=NS`) as a whole word, with what precedes NS as group 1. */
function namespaceWord(ns: string): RegExp {
  return new RegExp(`(\\bnamespace[ :=]+)${escaped(ns)}(?![a-z0-9.-])`, 'g');
}

/**
 * `text` with the host pod's name and namespace replaced by the virtual ones.
 * Besides `NS/NAME`, the kubelet's own forms: its pod full name `NAME_NS`
 * and the log directory `/var/log/pods/NS_NAME_UID/...`.
 */
export function reword(text: string, pod: PodPair): string {
  const out = text
    .replaceAll(`${pod.hostNamespace}/${pod.hostName}`, `${pod.namespace}/${pod.name}`)
    .replace(new RegExp(`(?<![a-z0-9.-])${escaped(pod.hostNamespace)}_${escaped(pod.hostName)}`, 'g'), () => `${pod.namespace}_${pod.name}`)
    .replace(new RegExp(`${escaped(pod.hostName)}_${escaped(pod.hostNamespace)}(?![a-z0-9.-])`, 'g'), () => `${pod.name}_${pod.namespace}`)
    .replaceAll(pod.hostName, pod.name)
    .replaceAll(`"${pod.hostNamespace}"`, `"${pod.namespace}"`)
    .replace(namespaceWord(pod.hostNamespace), (_m, lead: string) => lead + pod.namespace);
  return pod.hostUid && pod.uid ? out.replaceAll(pod.hostUid, pod.uid) : out;
}

/**
 * The Status a tenant gets for a host failure on a stream of `pod`:
 * - no answer from the host: 503, saying only that the pod cannot be reached now;
 * - 404: `pods "NAME" not found`, as for a pod the virtual cluster lacks;
 * - the host refusing the syncer's own credentials: 500 (the tenant was
 *   authorized; nothing they can do about it), without the host's message;
 * - anything else: the host's code and reason with the message re-worded.
 */
export function virtualPodError(e: unknown, pod: PodPair): ApiError {
  if (!(e instanceof HostError)) {
    return errors.internal(`the stream of pod ${pod.namespace}/${pod.name} failed: ${e instanceof Error ? reword(e.message, pod) : String(e)}`);
  }
  if (e.code === 0) {
    return errors.serviceUnavailable(`unable to reach pod ${pod.name} in namespace ${pod.namespace} now; try again later`);
  }
  if (e.code === 404) return errors.notFound(PODS, pod.name);
  if ((e.code === 401 || e.code === 403) && (e.reason === 'Unauthorized' || e.reason === 'Forbidden')) {
    return errors.internal(`the virtual cluster may not reach pod ${pod.namespace}/${pod.name} where it runs`);
  }
  const reason = knownReasons.has(e.reason) ? e.reason as StatusReason : reasonFor(e.code);
  const headers: Record<string, string> = e.retryAfterSeconds !== undefined ? { 'Retry-After': String(e.retryAfterSeconds) } : {};
  return new ApiError(e.code, reason, reword(e.message, pod), virtualDetails(e.status?.details, pod), headers);
}

/** The host's details with the names re-worded and the host uid left out. */
function virtualDetails(d: StatusDetails | undefined, pod: PodPair): StatusDetails | undefined {
  if (d === undefined) return undefined;
  const out: StatusDetails = {};
  if (d.name !== undefined) out.name = reword(d.name, pod);
  if (d.group !== undefined) out.group = d.group;
  if (d.kind !== undefined) out.kind = d.kind;
  if (d.causes !== undefined) out.causes = d.causes.map((c) => (c.message === undefined ? c : { ...c, message: reword(c.message, pod) }));
  if (d.retryAfterSeconds !== undefined) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}
