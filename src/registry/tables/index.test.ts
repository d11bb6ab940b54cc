import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KubeObject } from '../../api/types.ts';
import { customResourceDefaultTable, defaultTable, humanDuration, tableFor, translateTimestampSince } from './index.ts';
import { DAY, HOUR, NOW, ago, header, obj } from './testing.ts';

const KINDS: Array<[string, string, string, string]> = [
  // group, version, kind, first columns after Name
  ['', 'v1', 'Pod', 'Ready,Status,Restarts,Age'],
  ['', 'v1', 'PodTemplate', 'Containers,Images,Pod Labels'],
  ['', 'v1', 'ReplicationController', 'Desired,Current,Ready,Age'],
  ['', 'v1', 'Service', 'Type,Cluster-IP,External-IP,Port(s),Age'],
  ['', 'v1', 'Endpoints', 'Endpoints,Age'],
  ['', 'v1', 'Node', 'Status,Roles,Age,Version'],
  ['', 'v1', 'Namespace', 'Status,Age'],
  ['', 'v1', 'Event', ''],
  ['', 'v1', 'ConfigMap', 'Data,Age'],
  ['', 'v1', 'Secret', 'Type,Data,Age'],
  ['', 'v1', 'ServiceAccount', 'Secrets,Age'],
  ['', 'v1', 'PersistentVolume', 'Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,VolumeAttributesClass,Reason,Age'],
  ['', 'v1', 'PersistentVolumeClaim', 'Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age'],
  ['', 'v1', 'ResourceQuota', 'Request,Limit,Age'],
  ['', 'v1', 'LimitRange', 'Created At'],
  ['', 'v1', 'ComponentStatus', 'Status,Message,Error'],
  ['apps', 'v1', 'Deployment', 'Ready,Up-to-date,Available,Age'],
  ['apps', 'v1', 'ReplicaSet', 'Desired,Current,Ready,Age'],
  ['apps', 'v1', 'StatefulSet', 'Ready,Age'],
  ['apps', 'v1', 'DaemonSet', 'Desired,Current,Ready,Up-to-date,Available,Node Selector,Age'],
  ['apps', 'v1', 'ControllerRevision', 'Controller,Revision,Age'],
  ['batch', 'v1', 'Job', 'Status,Completions,Duration,Age'],
  ['batch', 'v1', 'CronJob', 'Schedule,Timezone,Suspend,Active,Last Schedule,Age'],
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler', 'Reference,Targets,MinPods,MaxPods,Replicas,Age'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'Reference,Targets,MinPods,MaxPods,Replicas,Age'],
  ['autoscaling', 'v1', 'Scale', 'Desired,Available,Age'],
  ['policy', 'v1', 'PodDisruptionBudget', 'Min Available,Max Unavailable,Allowed Disruptions,Age'],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'AddressType,Ports,Endpoints,Age'],
  ['events.k8s.io', 'v1', 'Event', ''],
  ['networking.k8s.io', 'v1', 'Ingress', 'Class,Hosts,Address,Ports,Age'],
  ['networking.k8s.io', 'v1', 'IngressClass', 'Controller,Parameters,Age'],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'Pod-Selector,Age'],
  ['networking.k8s.io', 'v1', 'ServiceCIDR', 'CIDRs,Age'],
  ['networking.k8s.io', 'v1', 'IPAddress', 'ParentRef'],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'Created At'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'Created At'],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'Role,Age'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'Role,Age'],
  ['storage.k8s.io', 'v1', 'StorageClass', 'Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age'],
  ['storage.k8s.io', 'v1', 'VolumeAttributesClass', 'DriverName,Age'],
  ['storage.k8s.io', 'v1', 'CSIDriver', 'AttachRequired,PodInfoOnMount,StorageCapacity,TokenRequests,RequiresRepublish,Modes,Age'],
  ['storage.k8s.io', 'v1', 'CSINode', 'Drivers,Age'],
  ['storage.k8s.io', 'v1', 'CSIStorageCapacity', 'StorageClassName,Capacity'],
  ['storage.k8s.io', 'v1', 'VolumeAttachment', 'Attacher,PV,Node,Attached,Age'],
  ['coordination.k8s.io', 'v1', 'Lease', 'Holder,Age'],
  ['coordination.k8s.io', 'v1beta1', 'LeaseCandidate', 'LeaseName,BinaryVersion,EmulationVersion,Age'],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'Value,Global-Default,Age,PreemptionPolicy'],
  ['node.k8s.io', 'v1', 'RuntimeClass', 'Handler,Age'],
  ['admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'Webhooks,Age'],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'Webhooks,Age'],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy', 'Validations,ParamKind,Age'],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicyBinding', 'PolicyName,ParamRef,Age'],
  ['admissionregistration.k8s.io', 'v1beta1', 'MutatingAdmissionPolicy', 'Mutations,ParamKind,Age'],
  ['admissionregistration.k8s.io', 'v1beta1', 'MutatingAdmissionPolicyBinding', 'PolicyName,ParamRef,Age'],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'Age,SignerName,Requestor,RequestedDuration,Condition'],
  ['certificates.k8s.io', 'v1beta1', 'ClusterTrustBundle', 'SignerName'],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'FlowSchema', 'PriorityLevel,MatchingPrecedence,DistinguisherMethod,Age,MissingPL'],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'PriorityLevelConfiguration', 'Type,NominalConcurrencyShares,Queues,HandSize,QueueLengthLimit,Age'],
  ['resource.k8s.io', 'v1', 'DeviceClass', 'Age'],
  ['resource.k8s.io', 'v1', 'ResourceClaim', 'State,Age'],
  ['resource.k8s.io', 'v1', 'ResourceClaimTemplate', 'Age'],
  ['resource.k8s.io', 'v1', 'ResourceSlice', 'Node,Driver,Pool,Age'],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'Created At'],
  ['apiregistration.k8s.io', 'v1', 'APIService', 'Service,Available,Age'],
  ['internal.apiserver.k8s.io', 'v1alpha1', 'StorageVersion', 'CommonEncodingVersion,StorageVersions,Age'],
  ['storagemigration.k8s.io', 'v1alpha1', 'StorageVersionMigration', 'Resource'],
];

test('every built-in kind has a table with the expected leading columns', () => {
  for (const [group, version, kind, after] of KINDS) {
    const table = tableFor(group, version, kind);
    assert.ok(table, `${group}/${version} ${kind}`);
    const names = table.columns.filter((c) => c.priority === 0).map((c) => c.name);
    if (kind === 'Event') {
      assert.deepEqual(names, ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    } else {
      assert.equal(names[0], 'Name', kind);
      assert.equal(names.slice(1).join(','), after, kind);
    }
  }
});

test('every table is well formed and survives a bare object', () => {
  const bare: KubeObject = { metadata: { name: 'x' } };
  for (const [group, version, kind] of KINDS) {
    const table = tableFor(group, version, kind)!;
    for (const c of table.columns) {
      assert.ok(c.description.length > 0, `${kind}.${c.name} description`);
      assert.ok(['string', 'integer', 'number', 'boolean', 'date'].includes(c.type));
      assert.ok(c.priority === 0 || c.priority === 1);
      assert.ok(c.format === '' || c.format === 'name', `${kind}.${c.name} format`);
    }
    const nameColumns = table.columns.filter((c) => c.format === 'name').map((c) => c.name);
    if (kind === 'Scale' || kind === 'StorageVersionMigration') assert.deepEqual(nameColumns, []);
    else if (kind === 'VolumeAttachment') assert.deepEqual(nameColumns, ['Name', 'Attacher']);
    else assert.deepEqual(nameColumns, ['Name'], kind);
    const cells = table.cells(bare, NOW);
    assert.equal(cells.length, table.columns.length, `${kind} cell count`);
    for (const cell of cells) assert.ok(cell === null || ['string', 'number', 'boolean'].includes(typeof cell), kind);
  }
});

test('versions share one printer; unknown kinds have none', () => {
  assert.equal(tableFor('apps', 'v1beta2', 'Deployment'), tableFor('apps', 'v1', 'Deployment'));
  assert.equal(tableFor('autoscaling', 'v1', 'HorizontalPodAutoscaler'), tableFor('autoscaling', 'v2', 'HorizontalPodAutoscaler'));
  assert.notEqual(tableFor('', 'v1', 'Event'), tableFor('events.k8s.io', 'v1', 'Event'));
  assert.equal(tableFor('stable.example.com', 'v1', 'CronTab'), undefined);
  assert.equal(tableFor('', 'v1', 'Deployment'), undefined);
});

test('default table for kinds without a printer', () => {
  assert.deepEqual(defaultTable.columns, [
    { name: 'Name', type: 'string', format: 'name', description: defaultTable.columns[0]!.description, priority: 0 },
    { name: 'Created At', type: 'date', format: '', description: defaultTable.columns[1]!.description, priority: 0 },
  ]);
  const lr = obj('limits', 3 * DAY, { spec: { limits: [] } }, { creationTimestamp: '2024-04-28T09:30:15Z' });
  assert.deepEqual(defaultTable.cells(lr, NOW), ['limits', '2024-04-28T09:30:15Z']);
  const crd = obj('crontabs.stable.example.com', DAY, {}, { creationTimestamp: '2024-04-30T14:00:00+02:00' });
  assert.deepEqual(tableFor('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')!.cells(crd, NOW), ['crontabs.stable.example.com', '2024-04-30T12:00:00Z']);
  assert.deepEqual(defaultTable.cells({ metadata: { name: 'new' } }, NOW), ['new', '0001-01-01T00:00:00Z']);
});

test('custom resources without printer columns: Name and a date-typed Age', () => {
  assert.deepEqual(header(customResourceDefaultTable), ['Name', 'Age']);
  assert.equal(customResourceDefaultTable.columns[1]!.type, 'date');
  assert.deepEqual(customResourceDefaultTable.cells(obj('my-tab', 2 * HOUR), NOW), ['my-tab', '120m']);
  assert.deepEqual(customResourceDefaultTable.cells({ metadata: { name: 'n' } }, NOW), ['n', null]);
  assert.deepEqual(customResourceDefaultTable.cells({ metadata: { name: 'n', creationTimestamp: 'yesterday' } }, NOW), ['n', '<invalid>']);
});

test('duration helpers are exported', () => {
  assert.equal(humanDuration(2 * DAY + 3 * HOUR), '2d3h');
  assert.equal(translateTimestampSince(ago(DAY), NOW), '24h');
  assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
});
