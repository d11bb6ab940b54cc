// The Metrics API's OpenAPI v3 document (apis/metrics.k8s.io/v1beta1), listed
// in /openapi/v3 beside the cluster's own so `kubectl explain nodemetrics` and
// `podmetrics` work as against a cluster running metrics-server: the kinds
// with their GroupVersionKind, and the list and get operations kubectl finds
// them by. Made once per process.

import { makeV3Document, type V3Document } from '../../api/openapi/v3.ts';
import { metricsApiVersion, metricsGroup, metricsVersion } from './resources.ts';

export const METRICS_OPENAPI_PATH = `apis/${metricsGroup}/${metricsVersion}`;

const gvk = (kind: string) => ({ group: metricsGroup, version: metricsVersion, kind });
const SCHEMA = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';

const usage = {
  type: 'object', description: 'Resources used, by resource name (cpu in cores, memory in bytes), as quantities.',
  additionalProperties: { type: 'string', description: 'A quantity, e.g. 250m or 64Mi.' },
};

function kindSchema(kind: string, description: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object', description,
    properties: {
      apiVersion: { type: 'string', description: `${metricsApiVersion}.` },
      kind: { type: 'string', description: `${kind}.` },
      metadata: { type: 'object', description: 'The name (and namespace) of the object measured, and when the sample was read.' },
      timestamp: { type: 'string', format: 'date-time', description: 'When the usage was sampled: the end of the window.' },
      window: { type: 'string', description: 'How long the sample covers, as a duration (e.g. 30s).' },
      ...fields,
    },
    required: ['timestamp', 'window'],
    'x-kubernetes-group-version-kind': [gvk(kind)],
  };
}

function listSchema(kind: string, item: string): Record<string, unknown> {
  return {
    type: 'object', description: `A list of ${item}.`,
    properties: {
      apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
      items: { type: 'array', items: { $ref: `#/components/schemas/${SCHEMA}.${item}` } },
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [gvk(kind)],
  };
}

/** A GET operation; its GroupVersionKind is the resource's kind, lists included, as upstream's. */
function operation(kind: string, action: 'list' | 'get'): Record<string, unknown> {
  return { get: { operationId: `${action}MetricsV1beta1${kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk(kind) } };
}

let doc: V3Document | undefined;

export function metricsOpenAPIV3(): V3Document {
  doc ??= makeV3Document({
    openapi: '3.0.0', info: { title: 'Kubernetes Metrics API', version: metricsVersion },
    paths: {
      [`/apis/${metricsApiVersion}/nodes`]: operation('NodeMetrics', 'list'),
      [`/apis/${metricsApiVersion}/nodes/{name}`]: operation('NodeMetrics', 'get'),
      [`/apis/${metricsApiVersion}/pods`]: operation('PodMetrics', 'list'),
      [`/apis/${metricsApiVersion}/namespaces/{namespace}/pods`]: operation('PodMetrics', 'list'),
      [`/apis/${metricsApiVersion}/namespaces/{namespace}/pods/{name}`]: operation('PodMetrics', 'get'),
    },
    components: { schemas: {
      [`${SCHEMA}.NodeMetrics`]: kindSchema('NodeMetrics', 'The resource usage of a node over a short window.', { usage }),
      [`${SCHEMA}.NodeMetricsList`]: listSchema('NodeMetricsList', 'NodeMetrics'),
      [`${SCHEMA}.PodMetrics`]: kindSchema('PodMetrics', 'The resource usage of a pod\'s containers over a short window.', {
        containers: { type: 'array', description: 'One entry per running container.', items: { $ref: `#/components/schemas/${SCHEMA}.ContainerMetrics` } },
      }),
      [`${SCHEMA}.PodMetricsList`]: listSchema('PodMetricsList', 'PodMetrics'),
      [`${SCHEMA}.ContainerMetrics`]: {
        type: 'object', description: 'The resource usage of one container.',
        properties: { name: { type: 'string', description: 'The container\'s name in the pod.' }, usage },
        required: ['name', 'usage'],
      },
    } },
  });
  return doc;
}
