import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewFromLists } from './view-from-lists.ts';
import { endpointSlice, namespace, pod, service } from './dns.fixtures.ts';

test('services by kind, with their published endpoints', () => {
  const view = viewFromLists({
    services: [
      service('a', 'web', { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1', 'FD00:0::1'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81 }] }),
      service('a', 'hl', { clusterIP: 'None', ports: [] }),
      service('a', 'eager', { clusterIP: 'None', publishNotReadyAddresses: true }),
      service('a', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
      service('a', 'pending', { type: 'ClusterIP' }),
    ],
    endpointSlices: [
      endpointSlice('a', 'hl', [{ ip: '10.0.0.1', hostname: 'h0' }, { ip: '10.0.0.2', ready: false }], [{ name: 'p', port: 9 }]),
      endpointSlice('a', 'hl', [{ ip: '10.0.0.1', hostname: 'h0' }], [{ name: 'p', port: 9 }]), // the same endpoint in a second slice
      endpointSlice('a', 'hl', [{ ip: 'fd00::a' }], [{ name: 'p', port: 9 }], 'IPv6'),
      endpointSlice('a', 'hl', [{ ip: 'ignored.example' }], [], 'FQDN'),
      endpointSlice('a', 'eager', [{ ip: '10.0.1.1', ready: false }], []),
      endpointSlice('a', 'ext', [{ ip: '10.0.2.1' }], []),
      endpointSlice('b', 'hl', [{ ip: '10.0.3.1' }], []), // another namespace's service of that name
    ],
  });
  assert.deepEqual(view.service('a', 'web'), {
    kind: 'clusterIP', clusterIPs: ['10.96.0.1', 'fd00::1'], endpoints: [],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: '', port: 81, protocol: 'TCP' }],
  });
  const hl = view.service('a', 'hl');
  assert.equal(hl?.kind, 'headless');
  assert.deepEqual(hl.kind === 'headless' && hl.endpoints.map((e) => [e.ip, e.hostname]), [['10.0.0.1', 'h0'], ['fd00::a', undefined]]);
  const eager = view.service('a', 'eager');
  assert.deepEqual(eager?.kind === 'headless' && eager.endpoints.map((e) => e.ip), ['10.0.1.1'], 'publishNotReadyAddresses publishes not-ready endpoints');
  assert.deepEqual(view.service('a', 'ext'), { kind: 'externalName', externalName: 'example.com' });
  assert.deepEqual(view.service('a', 'pending'), { kind: 'clusterIP', clusterIPs: [], ports: [], endpoints: [] });
  assert.equal(view.service('b', 'hl'), undefined);
  // Without Namespace objects, a namespace exists when something lives in it.
  assert.equal(view.namespaceExists('a'), true);
  assert.equal(view.namespaceExists('b'), false);
  assert.equal(view.podExists, undefined, 'no pods given: pod names are not verified');
  assert.deepEqual(view.ipOwners('fd00::1'), [{ kind: 'service', namespace: 'a', name: 'web' }]);
  assert.deepEqual(view.ipOwners('10.0.0.1'), [{ kind: 'endpoint', namespace: 'a', service: 'hl', hostname: 'h0' }]);
  assert.deepEqual(view.ipOwners('10.0.0.2'), []);
});

test('namespaces and pods, when given', () => {
  const view = viewFromLists({
    services: [],
    endpointSlices: [],
    namespaces: [namespace('a'), namespace('quiet')],
    pods: [
      pod('a', 'p', '10.0.0.5'),
      pod('a', 'host', '192.168.1.1', { hostNetwork: true }),
      pod('a', 'done', '10.0.0.6', { phase: 'Succeeded' }),
      pod('gone', 'x', '10.0.0.7'),
    ],
  });
  assert.equal(view.namespaceExists('quiet'), true);
  assert.equal(view.namespaceExists('gone'), false, 'Namespace objects are the truth when given');
  assert.equal(view.podExists?.('a', '10.0.0.5'), true);
  assert.equal(view.podExists?.('b', '10.0.0.5'), false);
  assert.equal(view.podExists?.('a', '192.168.1.1'), false, 'host-network pods have no pod name');
  assert.equal(view.podExists?.('a', '10.0.0.6'), false, 'finished pods have no pod name');
  assert.deepEqual(view.ipOwners('10.0.0.5'), [{ kind: 'pod', namespace: 'a' }]);
});
