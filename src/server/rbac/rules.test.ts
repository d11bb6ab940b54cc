import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactRules, compactString, covers, ruleAllows, type PolicyRule } from './rules.ts';
import { escalationMessage } from './escalation.ts';

test('resource rules: verbs, groups, resource/subresource, */subresource and names', () => {
  const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments/scale', '*/status'], resourceNames: ['a'] };
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'pods', name: 'a' }, r), true);
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'pods', name: 'b' }, r), false);
  assert.equal(ruleAllows({ verb: 'list', group: '', resource: 'pods' }, r), false); // resourceNames need a name
  assert.equal(ruleAllows({ verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'a' }, r), true);
  assert.equal(ruleAllows({ verb: 'get', group: 'apps', resource: 'deployments', name: 'a' }, r), false);
  assert.equal(ruleAllows({ verb: 'get', group: 'batch', resource: 'jobs', subresource: 'status', name: 'a' }, { ...r, apiGroups: ['*'] }), true);
  assert.equal(ruleAllows({ verb: 'delete', group: '', resource: 'pods', name: 'a' }, r), false);
  assert.equal(ruleAllows({ verb: 'delete', group: 'x', resource: 'y' }, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), true);
  // a subresource request is not a request for the resource
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'pods', subresource: 'log' }, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }), false);
});

test('non-resource rules: exact paths and trailing *', () => {
  const r: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.equal(ruleAllows({ verb: 'get', path: '/healthz' }, r), true);
  assert.equal(ruleAllows({ verb: 'get', path: '/healthz/etcd' }, r), false);
  assert.equal(ruleAllows({ verb: 'get', path: '/apis/apps/v1' }, r), true);
  assert.equal(ruleAllows({ verb: 'get', path: '/apis' }, r), false);
  assert.equal(ruleAllows({ verb: 'post', path: '/healthz' }, r), false);
  // resource rules never allow paths, and the reverse
  assert.equal(ruleAllows({ verb: 'get', path: '/api' }, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), false);
  assert.equal(ruleAllows({ verb: 'get', group: '', resource: 'pods' }, { verbs: ['*'], nonResourceURLs: ['*'] }), false);
});

test('covers: broken down to single permissions; */sub and URL prefixes cover', () => {
  const owner: PolicyRule[] = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/status'] },
    { verbs: ['get'], nonResourceURLs: ['/logs/*'] },
  ];
  assert.equal(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['x'] }]).covered, true);
  assert.equal(covers(owner, [{ verbs: ['list'], apiGroups: [''], resources: ['services/status'] }]).covered, true);
  assert.equal(covers(owner, [{ verbs: ['get'], nonResourceURLs: ['/logs/a'] }]).covered, true);
  const { covered, missing } = covers(owner, [{ verbs: ['get', 'create'], apiGroups: ['', 'apps'], resources: ['pods'] }]);
  assert.equal(covered, false);
  assert.deepEqual(missing.map(compactString), [
    '{APIGroups:[""], Resources:["pods"], Verbs:["create"]}',
    '{APIGroups:["apps"], Resources:["pods"], Verbs:["get"]}',
    '{APIGroups:["apps"], Resources:["pods"], Verbs:["create"]}',
  ]);
  // an owner limited to names does not cover the whole resource
  assert.equal(covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered, false);
});

test('compactRules merges verbs of one group/resource; the message lists them sorted', () => {
  const missing = covers([], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'secrets'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }]).missing;
  assert.deepEqual(compactRules(missing).map(compactString), [
    '{NonResourceURLs:["/x"], Verbs:["get"]}',
    '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
  ]);
  assert.equal(escalationMessage({ username: 'bob', groups: ['dev', 'system:authenticated'] }, missing, []),
    'user "bob" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
    '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}\n' +
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}\n' +
    '{NonResourceURLs:["/x"], Verbs:["get"]}');
});
