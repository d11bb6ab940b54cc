import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventTable, eventsV1Table } from './events.ts';
import { HOUR, MINUTE, NOW, SECOND, ago, header, narrow, obj } from './testing.ts';

test('event columns', () => {
  const want = ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'];
  assert.deepEqual(header(eventTable), want);
  assert.deepEqual(header(eventsV1Table), want);
  assert.equal(eventTable.columns[9]!.format, 'name');
  assert.equal(eventTable.columns[8]!.type, 'string');
});

test('core event repeated several times', () => {
  const e = obj('web-1.17c5a0f3b8d2e4a1', HOUR, {
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web-1\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(HOUR),
    lastTimestamp: ago(90 * SECOND),
    count: 14,
    type: 'Warning',
  });
  assert.deepEqual(eventTable.cells(e, NOW), [
    '90s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-1',
    'Back-off restarting failed container app in pod web-1', '60m', 14, 'web-1.17c5a0f3b8d2e4a1',
  ]);
  assert.deepEqual(narrow(eventTable, e), ['90s', 'Warning', 'BackOff', 'pod/web-1', 'Back-off restarting failed container app in pod web-1']);
});

test('core event written by the new API: event time, series, reporting controller', () => {
  const e = obj('web.17c5a', 10 * MINUTE, {
    involvedObject: { kind: 'Deployment', name: 'web' },
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-7d4b9c to 3',
    eventTime: ago(10 * MINUTE),
    series: { count: 4, lastObservedTime: ago(2 * MINUTE) },
    reportingComponent: 'deployment-controller',
    reportingInstance: '',
    source: {},
    type: 'Normal',
  });
  assert.deepEqual(eventTable.cells(e, NOW), [
    '2m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller',
    'Scaled up replica set web-7d4b9c to 3', '10m', 4, 'web.17c5a',
  ]);
});

test('singleton event without count or last timestamp', () => {
  const e = obj('n.1', 5 * MINUTE, {
    involvedObject: { kind: 'Node', name: 'node-1' },
    reason: 'Starting', message: '', type: 'Normal',
    firstTimestamp: ago(3 * MINUTE + 4 * SECOND), lastTimestamp: null,
  });
  assert.deepEqual(eventTable.cells(e, NOW), ['3m4s', 'Normal', 'Starting', 'node/node-1', '', '', '', '3m4s', 1, 'n.1']);
  const timeless = obj('c.1', 5 * MINUTE, { involvedObject: { kind: 'ClusterRole' }, reason: 'X', type: 'Normal' });
  assert.deepEqual(eventTable.cells(timeless, NOW).slice(0, 4).concat(eventTable.cells(timeless, NOW).slice(7, 9)), [
    '<unknown>', 'Normal', 'X', 'clusterrole', '<unknown>', 1,
  ]);
});

test('events.k8s.io event', () => {
  const e = obj('web-1.17c5a0f3b8d2e4a1', HOUR, {
    apiVersion: 'events.k8s.io/v1',
    regarding: { kind: 'Pod', namespace: 'default', name: 'web-1', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    note: 'Successfully pulled image "nginx:1.27"',
    type: 'Normal',
    eventTime: ago(HOUR),
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    action: 'Pulling',
    deprecatedCount: 3,
    deprecatedFirstTimestamp: ago(HOUR),
    deprecatedLastTimestamp: ago(5 * MINUTE),
    deprecatedSource: { component: 'kubelet', host: 'node-1' },
  });
  assert.deepEqual(eventsV1Table.cells(e, NOW), [
    '5m', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-1',
    'Successfully pulled image "nginx:1.27"', '60m', 3, 'web-1.17c5a0f3b8d2e4a1',
  ]);
  const series = obj('s', HOUR, {
    regarding: { kind: 'Pod', name: 'p' }, reason: 'Unhealthy', note: 'Readiness probe failed', type: 'Warning',
    eventTime: ago(HOUR), series: { count: 12, lastObservedTime: ago(20 * SECOND) },
    reportingController: 'kubelet', reportingInstance: 'node-2',
  });
  assert.deepEqual(eventsV1Table.cells(series, NOW), [
    '20s', 'Warning', 'Unhealthy', 'pod/p', '', 'kubelet, node-2', 'Readiness probe failed', '60m', 12, 's',
  ]);
});
