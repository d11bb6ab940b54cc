import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  componentStatusTable, configMapTable, namespaceTable, nodeTable, resourceQuotaTable, secretTable,
  serviceAccountTable,
} from './core.ts';
import { DAY, HOUR, MINUTE, NOW, header, narrow, obj } from './testing.ts';

test('namespace', () => {
  assert.deepEqual(header(namespaceTable), ['Name', 'Status', 'Age']);
  assert.deepEqual(namespaceTable.cells(obj('kube-system', 90 * DAY, { status: { phase: 'Active' } }), NOW), ['kube-system', 'Active', '90d']);
  assert.deepEqual(namespaceTable.cells(obj('old', HOUR, { status: { phase: 'Terminating' } }), NOW), ['old', 'Terminating', '60m']);
});

const nodeInfo = {
  kubeletVersion: 'v1.33.1', osImage: 'Ubuntu 24.04 LTS', kernelVersion: '6.8.0-31-generic', containerRuntimeVersion: 'containerd://1.7.27',
};
const addresses = [
  { type: 'InternalIP', address: '172.18.0.2' },
  { type: 'Hostname', address: 'cp-1' },
  { type: 'ExternalIP', address: '203.0.113.4' },
];

function node(name: string, ready: string | undefined, extra: { unschedulable?: boolean; labels?: Record<string, string> } = {}) {
  return obj(name, 12 * DAY, {
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        ...(ready ? [{ type: 'Ready', status: ready, reason: 'KubeletReady' }] : []),
      ],
      addresses, nodeInfo,
    },
  }, { namespace: undefined, labels: extra.labels ?? {} });
}

test('node columns', () => {
  assert.deepEqual(header(nodeTable), [
    'Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*',
  ]);
});

test('ready control-plane node, all cells', () => {
  const n = node('cp-1', 'True', { labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'cp-1' } });
  assert.deepEqual(nodeTable.cells(n, NOW), [
    'cp-1', 'Ready', 'control-plane', '12d', 'v1.33.1', '172.18.0.2', '203.0.113.4', 'Ubuntu 24.04 LTS', '6.8.0-31-generic', 'containerd://1.7.27',
  ]);
});

test('node status: not ready, cordoned, unknown', () => {
  assert.equal(narrow(nodeTable, node('w1', 'False'))[1], 'NotReady');
  assert.equal(narrow(nodeTable, node('w2', 'Unknown'))[1], 'NotReady');
  assert.equal(narrow(nodeTable, node('w3', 'True', { unschedulable: true }))[1], 'Ready,SchedulingDisabled');
  assert.equal(narrow(nodeTable, node('w4', 'False', { unschedulable: true }))[1], 'NotReady,SchedulingDisabled');
  assert.equal(narrow(nodeTable, node('w5', undefined))[1], 'Unknown');
  assert.equal(narrow(nodeTable, node('w6', undefined, { unschedulable: true }))[1], 'Unknown,SchedulingDisabled');
});

test('node roles', () => {
  const roles = (labels: Record<string, string>) => narrow(nodeTable, node('n', 'True', { labels }))[2];
  assert.equal(roles({}), '<none>');
  assert.equal(roles({ 'node-role.kubernetes.io/worker': 'true', 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/': '' }), 'control-plane,worker');
  assert.equal(roles({ 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/master': '' }), 'master');
  assert.equal(roles({ 'kubernetes.io/role': '' }), '<none>');
});

test('node without addresses or system info', () => {
  const n = obj('bare', 5 * MINUTE, { status: {} });
  assert.deepEqual(nodeTable.cells(n, NOW), ['bare', 'Unknown', '<none>', '5m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
});

test('config map counts text and binary keys', () => {
  assert.deepEqual(header(configMapTable), ['Name', 'Data', 'Age']);
  const cm = obj('settings', 3 * HOUR, { data: { 'a.yaml': 'x', 'b.yaml': 'y' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' } });
  assert.deepEqual(configMapTable.cells(cm, NOW), ['settings', 3, '3h']);
  assert.deepEqual(configMapTable.cells(obj('empty', 3 * HOUR), NOW), ['empty', 0, '3h']);
});

test('secret', () => {
  assert.deepEqual(header(secretTable), ['Name', 'Type', 'Data', 'Age']);
  const s = obj('tls', 40 * DAY, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } });
  assert.deepEqual(secretTable.cells(s, NOW), ['tls', 'kubernetes.io/tls', 2, '40d']);
  assert.deepEqual(secretTable.cells(obj('opaque', MINUTE, { type: 'Opaque' }), NOW), ['opaque', 'Opaque', 0, '60s']);
});

test('service account', () => {
  assert.deepEqual(header(serviceAccountTable), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(serviceAccountTable.cells(obj('default', 2 * DAY), NOW), ['default', 0, '2d']);
  assert.deepEqual(serviceAccountTable.cells(obj('builder', 2 * DAY, { secrets: [{ name: 'builder-token' }] }), NOW), ['builder', 1, '2d']);
});

test('resource quota', () => {
  assert.deepEqual(header(resourceQuotaTable), ['Name', 'Request', 'Limit', 'Age']);
  const q = obj('compute', 8 * HOUR, {
    spec: { hard: { pods: '10', 'requests.cpu': '4', 'limits.memory': '8Gi', 'limits.cpu': '8' } },
    status: {
      hard: { pods: '10', 'requests.cpu': '4', 'requests.memory': '4096Mi', 'limits.memory': '8Gi', 'limits.cpu': '8' },
      used: { pods: '3', 'requests.cpu': '1500m', 'requests.memory': '1Gi', 'limits.memory': '2Gi', 'limits.cpu': '3' },
    },
  });
  assert.deepEqual(resourceQuotaTable.cells(q, NOW), [
    'compute', 'pods: 3/10, requests.cpu: 1500m/4, requests.memory: 1Gi/4Gi', 'limits.cpu: 3/8, limits.memory: 2Gi/8Gi', '8h',
  ]);
  const fresh = obj('objects', MINUTE, { spec: { hard: { configmaps: '5' } } });
  assert.deepEqual(resourceQuotaTable.cells(fresh, NOW), ['objects', '', '', '60s']);
  const noUsage = obj('objects', MINUTE, { status: { hard: { configmaps: '5' } } });
  assert.equal(resourceQuotaTable.cells(noUsage, NOW)[1], 'configmaps: 0/5');
});

test('component status', () => {
  assert.deepEqual(header(componentStatusTable), ['Name', 'Status', 'Message', 'Error']);
  const etcd = obj('etcd-0', DAY, { conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] });
  assert.deepEqual(componentStatusTable.cells(etcd, NOW), ['etcd-0', 'Healthy', 'ok', '']);
  const sched = obj('scheduler', DAY, { conditions: [{ type: 'Healthy', status: 'False', error: 'connection refused' }] });
  assert.deepEqual(componentStatusTable.cells(sched, NOW), ['scheduler', 'Unhealthy', '', 'connection refused']);
  assert.deepEqual(componentStatusTable.cells(obj('x', DAY), NOW), ['x', 'Unknown', '', '']);
});
