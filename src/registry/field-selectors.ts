// Field selector keys of the built-in resources, with the values a real Kubernetes
// 1.36 API server compares them against.
//
// Upstream decides in two places what a key means. The scheme's field label
// conversion for a kind decides which keys a request may use; a kind without one
// accepts exactly metadata.name and metadata.namespace (also when the kind is
// cluster-scoped). The registry's selectable fields then give each key its value;
// a key accepted but absent from them compares as the empty string. Both are
// reproduced here per group and resource, as are the upstream error messages for
// a key that is not accepted (they differ between kinds).
//
// Values are formatted as upstream formats them: booleans "true"/"false", integers
// as decimal strings, absent strings as "".

import type { KubeObject } from '../api/types.ts';
import { goQuote } from '../api/decode/go-text.ts';
import type { FieldGetter } from './types.ts';

type Getters = Record<string, FieldGetter>;

interface SelectorSpec {
  getters: Getters;
  /** The message of the 400 answer for a key the resource does not accept. */
  error: (key: string) => string;
}

// ---- reading values -------------------------------------------------------------

function field(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function bool(v: unknown): string {
  return v === true ? 'true' : 'false';
}

function int(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0';
}

const metadataName: FieldGetter = (o) => str(o.metadata?.name);
const metadataNamespace: FieldGetter = (o) => str(o.metadata?.namespace);

// ---- upstream error messages -------------------------------------------------------


/** The message of kinds without a field label conversion (the scheme's default). */
const defaultError = (key: string): string =>
  `${goQuote(key)} is not a known field selector: only "metadata.name", "metadata.namespace"`;

const notSupported = (key: string): string => `field label not supported: ${key}`;

// ---- per resource -------------------------------------------------------------------

const DEFAULT_GETTERS: Getters = {
  'metadata.name': metadataName,
  'metadata.namespace': metadataNamespace,
};

function podIP(o: KubeObject): string {
  const ips = field(o, 'status', 'podIPs');
  if (Array.isArray(ips) && ips.length > 0) return str(field(ips[0], 'ip'));
  return str(field(o, 'status', 'podIP'));
}

const podNodeName: FieldGetter = (o) => str(field(o, 'spec', 'nodeName'));

const POD: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    'spec.nodeName': podNodeName,
    // Old clients' name for spec.nodeName; upstream converts it.
    'spec.host': podNodeName,
    'spec.restartPolicy': (o) => str(field(o, 'spec', 'restartPolicy')),
    'spec.schedulerName': (o) => str(field(o, 'spec', 'schedulerName')),
    'spec.serviceAccountName': (o) => str(field(o, 'spec', 'serviceAccountName')),
    'spec.hostNetwork': (o) => bool(field(o, 'spec', 'hostNetwork')),
    'status.phase': (o) => str(field(o, 'status', 'phase')),
    'status.podIP': podIP,
    // Accepted upstream but not among the pod's selectable fields: always "".
    'status.podIPs': () => '',
    'status.nominatedNodeName': (o) => str(field(o, 'status', 'nominatedNodeName')),
  },
  error: notSupported,
};

const NODE: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'spec.unschedulable': (o) => bool(field(o, 'spec', 'unschedulable')),
  },
  error: notSupported,
};

const NAMESPACE: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'status.phase': (o) => str(field(o, 'status', 'phase')),
  },
  error: notSupported,
};

const REPLICATION_CONTROLLER: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    'status.replicas': (o) => int(field(o, 'status', 'replicas')),
  },
  error: notSupported,
};

const SECRET: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    'type': (o) => str(o['type']),
  },
  error: notSupported,
};

const SERVICE: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    'spec.clusterIP': (o) => str(field(o, 'spec', 'clusterIP')),
    'spec.type': (o) => str(field(o, 'spec', 'type')),
  },
  error: notSupported,
};

// Events: core/v1 and events.k8s.io/v1 are one stored resource seen through two
// schemas, so each getter reads either shape (core: involvedObject, source,
// reportingComponent; events.k8s.io: regarding, deprecatedSource, reportingController).

function eventRegarding(o: KubeObject, key: string): string {
  const ref = o['involvedObject'] ?? o['regarding'];
  return str(field(ref, key));
}

function eventReportingController(o: KubeObject): string {
  return str(o['reportingComponent'] ?? o['reportingController']);
}

function eventSource(o: KubeObject): string {
  const component = str(field(o['source'] ?? o['deprecatedSource'], 'component'));
  return component !== '' ? component : eventReportingController(o);
}

const OBJECT_REFERENCE_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

function referenceGetters(prefix: string): Getters {
  const out: Getters = {};
  for (const f of OBJECT_REFERENCE_FIELDS) out[`${prefix}.${f}`] = (o) => eventRegarding(o, f);
  return out;
}

const CORE_EVENT: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    ...referenceGetters('involvedObject'),
    'reason': (o) => str(o['reason']),
    'reportingComponent': eventReportingController,
    'source': eventSource,
    'type': (o) => str(o['type']),
  },
  error: notSupported,
};

const EVENTS_V1_EVENT: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    ...referenceGetters('regarding'),
    'reason': (o) => str(o['reason']),
    'reportingController': eventReportingController,
    'source': eventSource,
    'type': (o) => str(o['type']),
  },
  error: notSupported,
};

const JOB: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'metadata.namespace': metadataNamespace,
    'status.successful': (o) => int(field(o, 'status', 'succeeded')),
  },
  error: (key) => `field label ${goQuote(key)} not supported for batchv1.Job`,
};

const CERTIFICATE_SIGNING_REQUEST: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'spec.signerName': (o) => str(field(o, 'spec', 'signerName')),
  },
  error: notSupported,
};

const RESOURCE_SLICE: SelectorSpec = {
  getters: {
    'metadata.name': metadataName,
    'spec.nodeName': (o) => str(field(o, 'spec', 'nodeName')),
    'spec.driver': (o) => str(field(o, 'spec', 'driver')),
  },
  error: (key) => `field label not supported for resource.k8s.io/v1, Kind=ResourceSlice: ${key}`,
};

const DEFAULT: SelectorSpec = { getters: DEFAULT_GETTERS, error: defaultError };

/** Keyed `group/resource` ('' for the core group). Every other resource uses DEFAULT. */
const SPECS: Record<string, SelectorSpec> = {
  '/pods': POD,
  '/nodes': NODE,
  '/namespaces': NAMESPACE,
  '/replicationcontrollers': REPLICATION_CONTROLLER,
  '/secrets': SECRET,
  '/services': SERVICE,
  '/events': CORE_EVENT,
  'events.k8s.io/events': EVENTS_V1_EVENT,
  'batch/jobs': JOB,
  'certificates.k8s.io/certificatesigningrequests': CERTIFICATE_SIGNING_REQUEST,
  'resource.k8s.io/resourceslices': RESOURCE_SLICE,
};

function freezeGetters(g: Getters): Getters {
  return Object.freeze(Object.assign(Object.create(null) as Getters, g));
}

for (const spec of [...Object.values(SPECS), DEFAULT]) spec.getters = freezeGetters(spec.getters);

function specFor(group: string, resource: string): SelectorSpec {
  return SPECS[`${group}/${resource}`] ?? DEFAULT;
}

/**
 * The field selector keys `resource` of `group` ('' for core) supports, each with the
 * function giving an object's value for it. Any key not in the record (check with
 * `key in record` or Object.hasOwn; the record has no prototype) is not supported:
 * answer 400 with fieldLabelError(). Resources this module does not know (custom
 * resources included) get metadata.name and metadata.namespace. The record is
 * frozen and shared.
 */
export function fieldSelectorsFor(group: string, resource: string): Record<string, FieldGetter> {
  return specFor(group, resource).getters;
}

/** Whether `key` may be used in a field selector on `resource` of `group`. */
export function isFieldLabelSupported(group: string, resource: string, key: string): boolean {
  return Object.hasOwn(specFor(group, resource).getters, key);
}

/**
 * The message a real API server gives (in a 400 BadRequest Status) for a field
 * selector key `resource` does not support, e.g. `field label not supported: spec.foo`
 * for pods, or `"spec.foo" is not a known field selector: only "metadata.name",
 * "metadata.namespace"` for kinds that accept only the metadata keys.
 */
export function fieldLabelError(group: string, resource: string, key: string): string {
  return specFor(group, resource).error(key);
}
