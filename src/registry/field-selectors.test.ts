import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { KubeObject } from '../api/types.ts';
import { builtinResources } from './catalog.ts';
import { fieldLabelError, fieldSelectorsFor, isFieldLabelSupported } from './field-selectors.ts';

/** Every supported key of a resource with its value for obj. */
function values(group: string, resource: string, obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const getters = fieldSelectorsFor(group, resource);
  for (const key of Object.keys(getters).sort()) out[key] = getters[key]!(obj);
  return out;
}

test('pods: keys and values as upstream selects them', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'shop' },
    spec: {
      nodeName: 'node-a',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'web',
      hostNetwork: true,
      containers: [{ name: 'c', image: 'nginx' }],
    },
    status: {
      phase: 'Running',
      podIP: '10.0.0.7',
      podIPs: [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }],
      nominatedNodeName: 'node-b',
    },
  };
  assert.deepEqual(values('', 'pods', pod), {
    'metadata.name': 'web-0',
    'metadata.namespace': 'shop',
    'spec.host': 'node-a',
    'spec.hostNetwork': 'true',
    'spec.nodeName': 'node-a',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'web',
    'status.nominatedNodeName': 'node-b',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.7',
    // Accepted, but not one of the pod's selectable fields upstream.
    'status.podIPs': '',
  });

  const bare: KubeObject = { metadata: { name: 'p', namespace: 'ns' }, spec: {} };
  const g = fieldSelectorsFor('', 'pods');
  assert.equal(g['spec.hostNetwork']!(bare), 'false');
  assert.equal(g['spec.nodeName']!(bare), '');
  assert.equal(g['status.phase']!(bare), '');
  assert.equal(g['status.podIP']!(bare), '');
  assert.equal(g['status.podIP']!({ metadata: {}, status: { podIP: '10.1.1.1' } }), '10.1.1.1');

  assert.equal(isFieldLabelSupported('', 'pods', 'status.hostIP'), false);
  assert.equal(fieldLabelError('', 'pods', 'status.hostIP'), 'field label not supported: status.hostIP');
});

test('nodes and namespaces accept no metadata.namespace', () => {
  const node: KubeObject = { metadata: { name: 'node-a' }, spec: { unschedulable: true } };
  assert.deepEqual(values('', 'nodes', node), { 'metadata.name': 'node-a', 'spec.unschedulable': 'true' });
  assert.equal(fieldSelectorsFor('', 'nodes')['spec.unschedulable']!({ metadata: { name: 'n' } }), 'false');
  assert.equal(isFieldLabelSupported('', 'nodes', 'metadata.namespace'), false);
  assert.equal(fieldLabelError('', 'nodes', 'metadata.namespace'), 'field label not supported: metadata.namespace');

  const ns: KubeObject = { metadata: { name: 'shop' }, status: { phase: 'Terminating' } };
  assert.deepEqual(values('', 'namespaces', ns), { 'metadata.name': 'shop', 'status.phase': 'Terminating' });
  assert.equal(isFieldLabelSupported('', 'namespaces', 'metadata.namespace'), false);
  assert.equal(isFieldLabelSupported('', 'namespaces', 'name'), false);
});

test('secrets, services, replication controllers', () => {
  assert.deepEqual(values('', 'secrets', { metadata: { name: 's', namespace: 'n' }, type: 'kubernetes.io/tls' }), {
    'metadata.name': 's', 'metadata.namespace': 'n', 'type': 'kubernetes.io/tls',
  });
  assert.deepEqual(values('', 'services', {
    metadata: { name: 'svc', namespace: 'n' }, spec: { type: 'NodePort', clusterIP: '10.96.0.10' },
  }), {
    'metadata.name': 'svc', 'metadata.namespace': 'n', 'spec.clusterIP': '10.96.0.10', 'spec.type': 'NodePort',
  });
  assert.deepEqual(values('', 'replicationcontrollers', { metadata: { name: 'rc', namespace: 'n' }, status: { replicas: 3 } }), {
    'metadata.name': 'rc', 'metadata.namespace': 'n', 'status.replicas': '3',
  });
  assert.equal(fieldSelectorsFor('', 'replicationcontrollers')['status.replicas']!({ metadata: {} }), '0');
});

test('replicasets accept only the metadata keys, as upstream apps/v1 does', () => {
  assert.deepEqual(Object.keys(fieldSelectorsFor('apps', 'replicasets')).sort(), ['metadata.name', 'metadata.namespace']);
  assert.equal(isFieldLabelSupported('apps', 'replicasets', 'status.replicas'), false);
  assert.equal(fieldLabelError('apps', 'replicasets', 'status.replicas'),
    '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('jobs select on status.successful (status.succeeded), with the batch error message', () => {
  assert.deepEqual(values('batch', 'jobs', { metadata: { name: 'j', namespace: 'n' }, status: { succeeded: 2 } }), {
    'metadata.name': 'j', 'metadata.namespace': 'n', 'status.successful': '2',
  });
  assert.equal(fieldSelectorsFor('batch', 'jobs')['status.successful']!({ metadata: {} }), '0');
  assert.equal(fieldLabelError('batch', 'jobs', 'status.active'), 'field label "status.active" not supported for batchv1.Job');
  assert.deepEqual(Object.keys(fieldSelectorsFor('batch', 'cronjobs')).sort(), ['metadata.name', 'metadata.namespace']);
});

test('certificate signing requests and resource slices', () => {
  assert.deepEqual(values('certificates.k8s.io', 'certificatesigningrequests', {
    metadata: { name: 'csr-1' }, spec: { signerName: 'kubernetes.io/kube-apiserver-client' },
  }), { 'metadata.name': 'csr-1', 'spec.signerName': 'kubernetes.io/kube-apiserver-client' });
  assert.equal(isFieldLabelSupported('certificates.k8s.io', 'certificatesigningrequests', 'metadata.namespace'), false);

  assert.deepEqual(values('resource.k8s.io', 'resourceslices', {
    metadata: { name: 'slice' }, spec: { nodeName: 'node-a', driver: 'gpu.example.com' },
  }), { 'metadata.name': 'slice', 'spec.driver': 'gpu.example.com', 'spec.nodeName': 'node-a' });
  assert.equal(fieldLabelError('resource.k8s.io', 'resourceslices', 'spec.pool'),
    'field label not supported for resource.k8s.io/v1, Kind=ResourceSlice: spec.pool');
});

const coreEvent: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-0.1', namespace: 'shop' },
  involvedObject: {
    kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42',
    fieldPath: 'spec.containers{c}',
  },
  reason: 'Pulled',
  source: { component: 'kubelet', host: 'node-a' },
  reportingComponent: 'kubelet',
  type: 'Normal',
};

const eventsV1Event: KubeObject = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web-0.1', namespace: 'shop' },
  regarding: {
    kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42',
    fieldPath: 'spec.containers{c}',
  },
  reason: 'Pulled',
  deprecatedSource: { component: 'kubelet', host: 'node-a' },
  reportingController: 'kubelet',
  type: 'Normal',
};

test('core events, from either schema of the shared storage', () => {
  const want = {
    'involvedObject.apiVersion': 'v1',
    'involvedObject.fieldPath': 'spec.containers{c}',
    'involvedObject.kind': 'Pod',
    'involvedObject.name': 'web-0',
    'involvedObject.namespace': 'shop',
    'involvedObject.resourceVersion': '42',
    'involvedObject.uid': 'u-1',
    'metadata.name': 'web-0.1',
    'metadata.namespace': 'shop',
    'reason': 'Pulled',
    'reportingComponent': 'kubelet',
    'source': 'kubelet',
    'type': 'Normal',
  };
  assert.deepEqual(values('', 'events', coreEvent), want);
  assert.deepEqual(values('', 'events', eventsV1Event), want);
  // source falls back to the reporting controller.
  const g = fieldSelectorsFor('', 'events');
  assert.equal(g['source']!({ metadata: {}, reportingComponent: 'my-controller' }), 'my-controller');
  assert.equal(isFieldLabelSupported('', 'events', 'regarding.name'), false);
});

test('events.k8s.io events use regarding.* and reportingController', () => {
  const want = {
    'metadata.name': 'web-0.1',
    'metadata.namespace': 'shop',
    'reason': 'Pulled',
    'regarding.apiVersion': 'v1',
    'regarding.fieldPath': 'spec.containers{c}',
    'regarding.kind': 'Pod',
    'regarding.name': 'web-0',
    'regarding.namespace': 'shop',
    'regarding.resourceVersion': '42',
    'regarding.uid': 'u-1',
    'reportingController': 'kubelet',
    'source': 'kubelet',
    'type': 'Normal',
  };
  assert.deepEqual(values('events.k8s.io', 'events', eventsV1Event), want);
  assert.deepEqual(values('events.k8s.io', 'events', coreEvent), want);
  assert.equal(isFieldLabelSupported('events.k8s.io', 'events', 'involvedObject.name'), false);
  assert.equal(fieldLabelError('events.k8s.io', 'events', 'involvedObject.name'), 'field label not supported: involvedObject.name');
});

test('every other resource: metadata.name and metadata.namespace, with the scheme default message', () => {
  const cm: KubeObject = { metadata: { name: 'cfg', namespace: 'shop' }, data: { a: 'b' } };
  assert.deepEqual(values('', 'configmaps', cm), { 'metadata.name': 'cfg', 'metadata.namespace': 'shop' });
  // Cluster-scoped kinds without a conversion accept metadata.namespace too; it is always "".
  assert.deepEqual(values('rbac.authorization.k8s.io', 'clusterroles', { metadata: { name: 'admin' } }),
    { 'metadata.name': 'admin', 'metadata.namespace': '' });
  for (const [group, resource] of [['', 'persistentvolumeclaims'], ['', 'persistentvolumes'], ['apps', 'deployments'],
    ['example.com', 'widgets']] as const) {
    assert.deepEqual(Object.keys(fieldSelectorsFor(group, resource)).sort(), ['metadata.name', 'metadata.namespace'], resource);
  }
  assert.equal(fieldLabelError('', 'configmaps', 'data.a'),
    '"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"');
  assert.equal(fieldLabelError('', 'configmaps', 'a"b\n'),
    '"a\\"b\\n" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('unsupported keys are detectable, including names of Object.prototype', () => {
  for (const r of builtinResources()) {
    const getters = fieldSelectorsFor(r.group, r.plural);
    assert.ok('metadata.name' in getters, `${r.group}/${r.plural}`);
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'spec.nope']) {
      assert.equal(key in getters, false, `${r.plural} ${key}`);
      assert.equal(isFieldLabelSupported(r.group, r.plural, key), false);
    }
    assert.ok(Object.isFrozen(getters));
  }
});
