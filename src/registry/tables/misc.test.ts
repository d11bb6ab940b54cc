import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  mutatingAdmissionPolicyBindingTable, mutatingWebhookConfigurationTable, validatingAdmissionPolicyBindingTable,
  validatingAdmissionPolicyTable, validatingWebhookConfigurationTable,
} from './admission.ts';
import { deviceClassTable, resourceClaimTable, resourceSliceTable } from './dra.ts';
import {
  apiServiceTable, certificateSigningRequestTable, clusterTrustBundleTable, flowSchemaTable, leaseCandidateTable,
  leaseTable, podDisruptionBudgetTable, priorityClassTable, priorityLevelConfigurationTable, runtimeClassTable,
  storageVersionMigrationTable, storageVersionTable,
} from './misc.ts';
import { DAY, HOUR, MINUTE, NOW, ago, header, obj } from './testing.ts';

test('pod disruption budget', () => {
  assert.deepEqual(header(podDisruptionBudgetTable), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  assert.deepEqual(podDisruptionBudgetTable.cells(obj('web', DAY, { spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }), NOW), ['web', '2', 'N/A', 1, '24h']);
  assert.deepEqual(podDisruptionBudgetTable.cells(obj('db', DAY, { spec: { maxUnavailable: '25%' }, status: {} }), NOW), ['db', 'N/A', '25%', 0, '24h']);
});

test('lease and lease candidate', () => {
  assert.deepEqual(header(leaseTable), ['Name', 'Holder', 'Age']);
  const lease = obj('kube-scheduler', 5 * DAY, { spec: { holderIdentity: 'cp-1_4f2c', leaseDurationSeconds: 15, renewTime: ago(2000) } });
  assert.deepEqual(leaseTable.cells(lease, NOW), ['kube-scheduler', 'cp-1_4f2c', '5d']);
  assert.deepEqual(leaseTable.cells(obj('free', 5 * DAY, { spec: {} }), NOW), ['free', '', '5d']);
  assert.deepEqual(header(leaseCandidateTable), ['Name', 'LeaseName', 'BinaryVersion', 'EmulationVersion', 'Age']);
  const cand = obj('cp-1-kcm', HOUR, { spec: { leaseName: 'kube-controller-manager', binaryVersion: '1.33.0', emulationVersion: '1.33.0' } });
  assert.deepEqual(leaseCandidateTable.cells(cand, NOW), ['cp-1-kcm', 'kube-controller-manager', '1.33.0', '1.33.0', '60m']);
});

test('priority class and runtime class', () => {
  assert.deepEqual(header(priorityClassTable), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  const pc = obj('system-node-critical', 100 * DAY, { value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
  assert.deepEqual(priorityClassTable.cells(pc, NOW), ['system-node-critical', 2000001000, false, '100d', 'PreemptLowerPriority']);
  assert.deepEqual(priorityClassTable.cells(obj('batch', DAY, { value: -10, globalDefault: true }), NOW), ['batch', -10, true, '24h', '']);
  assert.deepEqual(header(runtimeClassTable), ['Name', 'Handler', 'Age']);
  assert.deepEqual(runtimeClassTable.cells(obj('gvisor', DAY, { handler: 'runsc' }), NOW), ['gvisor', 'runsc', '24h']);
});

test('certificate signing request', () => {
  assert.deepEqual(header(certificateSigningRequestTable), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  const csr = obj('csr-8kq2x', 3 * MINUTE, {
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:node-1', expirationSeconds: 86400, request: 'LS0t' },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0tLS1CRUdJTg==' },
  });
  assert.deepEqual(certificateSigningRequestTable.cells(csr, NOW), [
    'csr-8kq2x', '3m', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:node:node-1', '24h', 'Approved,Issued',
  ]);
  const pending = obj('p', MINUTE, { spec: { username: 'alice' }, status: {} });
  assert.deepEqual(certificateSigningRequestTable.cells(pending, NOW), ['p', '60s', '<none>', 'alice', '<none>', 'Pending']);
  const denied = obj('d', MINUTE, { spec: {}, status: { conditions: [{ type: 'Approved' }, { type: 'Denied' }, { type: 'Failed' }] } });
  assert.equal(certificateSigningRequestTable.cells(denied, NOW)[5], 'Denied,Failed');
  assert.deepEqual(header(clusterTrustBundleTable), ['Name', 'SignerName']);
  assert.deepEqual(clusterTrustBundleTable.cells(obj('ca', DAY, { spec: { trustBundle: '' } }), NOW), ['ca', '<none>']);
});

test('flow schema and priority level', () => {
  assert.deepEqual(header(flowSchemaTable), ['Name', 'PriorityLevel', 'MatchingPrecedence', 'DistinguisherMethod', 'Age', 'MissingPL']);
  const fs = obj('service-accounts', 30 * DAY, {
    spec: { priorityLevelConfiguration: { name: 'workload-low' }, matchingPrecedence: 9000, distinguisherMethod: { type: 'ByUser' } },
    status: { conditions: [{ type: 'Dangling', status: 'False' }] },
  });
  assert.deepEqual(flowSchemaTable.cells(fs, NOW), ['service-accounts', 'workload-low', 9000, 'ByUser', '30d', 'False']);
  const exempt = obj('exempt', 30 * DAY, { spec: { priorityLevelConfiguration: { name: 'exempt' }, matchingPrecedence: 1 } });
  assert.deepEqual(flowSchemaTable.cells(exempt, NOW), ['exempt', 'exempt', 1, '<none>', '30d', '?']);

  assert.deepEqual(header(priorityLevelConfigurationTable), ['Name', 'Type', 'NominalConcurrencyShares', 'Queues', 'HandSize', 'QueueLengthLimit', 'Age']);
  const limited = obj('workload-low', 30 * DAY, {
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 100, limitResponse: { type: 'Queue', queuing: { queues: 128, handSize: 6, queueLengthLimit: 50 } } } },
  });
  assert.deepEqual(priorityLevelConfigurationTable.cells(limited, NOW), ['workload-low', 'Limited', 100, 128, 6, 50, '30d']);
  const reject = obj('catch-all', 30 * DAY, { spec: { type: 'Limited', limited: { nominalConcurrencyShares: 5, limitResponse: { type: 'Reject' } } } });
  assert.deepEqual(priorityLevelConfigurationTable.cells(reject, NOW), ['catch-all', 'Limited', 5, '<none>', '<none>', '<none>', '30d']);
  const ex = obj('exempt', 30 * DAY, { spec: { type: 'Exempt', exempt: {} } });
  assert.deepEqual(priorityLevelConfigurationTable.cells(ex, NOW), ['exempt', 'Exempt', '<none>', '<none>', '<none>', '<none>', '30d']);
});

test('API service', () => {
  assert.deepEqual(header(apiServiceTable), ['Name', 'Service', 'Available', 'Age']);
  const local = obj('v1.apps', 10 * DAY, { spec: { group: 'apps', version: 'v1' }, status: { conditions: [{ type: 'Available', status: 'True', reason: 'Local' }] } });
  assert.deepEqual(apiServiceTable.cells(local, NOW), ['v1.apps', 'Local', 'True', '10d']);
  const broken = obj('v1beta1.metrics.k8s.io', HOUR, {
    spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'metrics-server' } },
    status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] },
  });
  assert.deepEqual(apiServiceTable.cells(broken, NOW), ['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'False (MissingEndpoints)', '60m']);
  assert.equal(apiServiceTable.cells(obj('v1.x', HOUR, { spec: {} }), NOW)[2], 'Unknown');
});

test('storage version and migration', () => {
  assert.deepEqual(header(storageVersionTable), ['Name', 'CommonEncodingVersion', 'StorageVersions', 'Age']);
  const sv = obj('apps.deployments', DAY, { status: { commonEncodingVersion: 'apps/v1', storageVersions: [{ apiServerID: 'kube-apiserver-1', encodingVersion: 'apps/v1' }] } });
  assert.deepEqual(storageVersionTable.cells(sv, NOW), ['apps.deployments', 'apps/v1', 'kube-apiserver-1=apps/v1', '24h']);
  assert.deepEqual(storageVersionTable.cells(obj('x', DAY, { status: {} }), NOW), ['x', '<unset>', '<unset>', '24h']);
  assert.deepEqual(header(storageVersionMigrationTable), ['Name', 'Resource']);
  const svm = obj('secrets', DAY, { spec: { resource: { group: '', version: 'v1', resource: 'secrets' } } });
  assert.deepEqual(storageVersionMigrationTable.cells(svm, NOW), ['secrets', 'secrets.v1.']);
});

test('webhook configurations and admission policies', () => {
  for (const table of [mutatingWebhookConfigurationTable, validatingWebhookConfigurationTable]) {
    assert.deepEqual(header(table), ['Name', 'Webhooks', 'Age']);
    assert.deepEqual(table.cells(obj('cert-manager-webhook', 2 * DAY, { webhooks: [{ name: 'a' }, { name: 'b' }] }), NOW), ['cert-manager-webhook', 2, '2d']);
  }
  assert.deepEqual(header(validatingAdmissionPolicyTable), ['Name', 'Validations', 'ParamKind', 'Age']);
  const vap = obj('replica-limit', HOUR, {
    spec: { paramKind: { apiVersion: 'rules.example.com/v1', kind: 'ReplicaLimit' }, validations: [{ expression: 'true' }] },
  });
  assert.deepEqual(validatingAdmissionPolicyTable.cells(vap, NOW), ['replica-limit', 1, 'rules.example.com/v1/ReplicaLimit', '60m']);
  assert.deepEqual(validatingAdmissionPolicyTable.cells(obj('p', HOUR, { spec: {} }), NOW), ['p', 0, '<unset>', '60m']);

  assert.deepEqual(header(validatingAdmissionPolicyBindingTable), ['Name', 'PolicyName', 'ParamRef', 'Age']);
  const binding = (paramRef?: Record<string, unknown>) =>
    validatingAdmissionPolicyBindingTable.cells(obj('b', HOUR, { spec: { policyName: 'replica-limit', paramRef } }), NOW);
  assert.deepEqual(binding({ name: 'limits', namespace: 'prod' }), ['b', 'replica-limit', 'prod/limits', '60m']);
  assert.equal(binding({ name: 'limits' })[2], '*/limits');
  assert.equal(binding()[2], '<unset>');
  assert.equal(binding({ selector: { matchLabels: { tier: 'gold' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] } })[2],
    '&LabelSelector{MatchLabels:map[string]string{tier: gold,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:env,Operator:In,Values:[a b],},},}');
  assert.deepEqual(header(mutatingAdmissionPolicyBindingTable), ['Name', 'PolicyName', 'ParamRef', 'Age']);
});

test('dynamic resource allocation', () => {
  assert.deepEqual(header(deviceClassTable), ['Name', 'Age']);
  assert.deepEqual(header(resourceClaimTable), ['Name', 'State', 'Age']);
  const claim = (status: Record<string, unknown>, meta = {}) => resourceClaimTable.cells(obj('gpu', 5 * MINUTE, { spec: {}, status }, meta), NOW)[1];
  assert.equal(claim({}), 'pending');
  assert.equal(claim({ allocation: { devices: {} } }), 'allocated');
  assert.equal(claim({ allocation: {}, reservedFor: [{ resource: 'pods', name: 'p', uid: 'u' }] }), 'allocated,reserved');
  assert.equal(claim({}, { deletionTimestamp: ago(1000) }), 'deleted');
  assert.equal(claim({ allocation: {} }, { deletionTimestamp: ago(1000) }), 'deleted,allocated');
  assert.deepEqual(header(resourceSliceTable), ['Name', 'Node', 'Driver', 'Pool', 'Age']);
  const slice = obj('node-1-gpu.example.com-x7', HOUR, { spec: { nodeName: 'node-1', driver: 'gpu.example.com', pool: { name: 'node-1', generation: 1, resourceSliceCount: 1 } } });
  assert.deepEqual(resourceSliceTable.cells(slice, NOW), ['node-1-gpu.example.com-x7', 'node-1', 'gpu.example.com', 'node-1', '60m']);
});
