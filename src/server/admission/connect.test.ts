import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { parseSelector, objectSelectorMatches, ruleMatches, type Attributes } from './matching.ts';
import type { ResourceDef } from '../../registry/types.ts';
import { connectKind, connectOptions, connectUrl, proxySubpath, readConnectOptions } from './connect.ts';

const core = (plural: string) => ({ group: '', version: 'v1', plural });

test('connectKind: the connecters of core/v1 and their options kinds; logs and other subresources are not connects', () => {
  assert.equal(connectKind(core('pods'), 'exec'), 'PodExecOptions');
  assert.equal(connectKind(core('pods'), 'attach'), 'PodAttachOptions');
  assert.equal(connectKind(core('pods'), 'portforward'), 'PodPortForwardOptions');
  assert.equal(connectKind(core('pods'), 'proxy'), 'PodProxyOptions');
  assert.equal(connectKind(core('services'), 'proxy'), 'ServiceProxyOptions');
  assert.equal(connectKind(core('nodes'), 'proxy'), 'NodeProxyOptions');
  assert.equal(connectKind(core('pods'), 'log'), undefined);
  assert.equal(connectKind(core('pods'), 'status'), undefined);
  assert.equal(connectKind(core('pods'), undefined), undefined);
  assert.equal(connectKind({ group: 'example.com', version: 'v1', plural: 'pods' }, 'exec'), undefined);
});

test('connectOptions: an exec as kubectl asks for it; zero values left out, command always there', () => {
  const q = new URLSearchParams('command=sh&command=-c&command=echo%20hi&container=c&stdin=true&stdout=true&tty=true');
  assert.deepEqual(connectOptions('PodExecOptions', q),
    { kind: 'PodExecOptions', apiVersion: 'v1', stdin: true, stdout: true, tty: true, container: 'c', command: ['sh', '-c', 'echo hi'] });
  assert.deepEqual(connectOptions('PodExecOptions', new URLSearchParams()), { kind: 'PodExecOptions', apiVersion: 'v1', command: null });
  // Bools as upstream reads them: only 0 and false (any case) are false; an empty value is true.
  const bools = new URLSearchParams('stdin=0&stdout=FALSE&stderr=&tty=1');
  assert.deepEqual(connectOptions('PodAttachOptions', bools), { kind: 'PodAttachOptions', apiVersion: 'v1', stderr: true, tty: true });
  // Only the first value counts.
  assert.deepEqual(connectOptions('PodAttachOptions', new URLSearchParams('stdin=false&stdin=true&container=a&container=b')),
    { kind: 'PodAttachOptions', apiVersion: 'v1', container: 'a' });
});

test('connectOptions: port-forward ports (repeated or comma-separated), upstream\'s 400 for what is not a port', () => {
  assert.deepEqual(connectOptions('PodPortForwardOptions', new URLSearchParams('ports=80,443&ports=8080')),
    { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: [80, 443, 8080] });
  assert.deepEqual(connectOptions('PodPortForwardOptions', new URLSearchParams()), { kind: 'PodPortForwardOptions', apiVersion: 'v1' });
  const refused = (query: string, message: string) => assert.throws(() => connectOptions('PodPortForwardOptions', new URLSearchParams(query)),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message === message);
  refused('ports=http', 'cannot convert to []int32: strconv.ParseUint: parsing "http": invalid syntax');
  refused('ports=', 'cannot convert to []int32: strconv.ParseUint: parsing "": invalid syntax');
  refused('ports=-1', 'cannot convert to []int32: strconv.ParseUint: parsing "-1": invalid syntax');
  refused('ports=80,70000', 'cannot convert to []int32: strconv.ParseUint: parsing "70000": value out of range');
});

test('proxy options: the path below proxy, a trailing slash kept, a path query parameter ignored', () => {
  assert.equal(proxySubpath(['some', 'path'], false), '/some/path');
  assert.equal(proxySubpath(['some', 'path'], true), '/some/path/');
  assert.equal(proxySubpath([], true), '/');
  assert.equal(proxySubpath([], false), '');
  assert.deepEqual(connectOptions('PodProxyOptions', new URLSearchParams('path=/elsewhere&x=1'), '/a/b'), { kind: 'PodProxyOptions', apiVersion: 'v1', path: '/a/b' });
  assert.deepEqual(connectOptions('ServiceProxyOptions', new URLSearchParams('path=/elsewhere')), { kind: 'ServiceProxyOptions', apiVersion: 'v1' });
});

test('readConnectOptions: a patched object read as its kind: unknown fields dropped, null as zero, wrong types a 500', () => {
  assert.deepEqual(readConnectOptions('PodExecOptions', {
    kind: 'Pod', apiVersion: 'v2', command: ['echo', null], stdin: false, tty: null, container: '', extra: 1, metadata: { name: 'x' },
  }), { kind: 'PodExecOptions', apiVersion: 'v1', command: ['echo', ''] });
  assert.deepEqual(readConnectOptions('PodPortForwardOptions', { ports: [80, null] }), { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: [80, 0] });
  const internal = (kind: string, json: Record<string, unknown>, message: string) => assert.throws(() => readConnectOptions(kind, json),
    (e: unknown) => e instanceof ApiError && e.code === 500 && e.message === `Internal error occurred: ${message}`);
  internal('PodExecOptions', { command: 'ls' }, 'json: cannot unmarshal string into Go struct field PodExecOptions.command of type []string');
  internal('PodExecOptions', { command: [1] }, 'json: cannot unmarshal number into Go struct field PodExecOptions.command of type string');
  internal('PodAttachOptions', { tty: 'yes' }, 'json: cannot unmarshal string into Go struct field PodAttachOptions.tty of type bool');
  internal('PodPortForwardOptions', { ports: [1.5] }, 'json: cannot unmarshal number 1.5 into Go struct field PodPortForwardOptions.ports of type int32');
  internal('PodProxyOptions', { path: {} }, 'json: cannot unmarshal object into Go struct field PodProxyOptions.path of type string');
});

test('connectUrl: mutated options become the query of an exec, the path of a proxy request', () => {
  const exec = { kind: 'PodExecOptions', apiVersion: 'v1', stdout: true, container: 'c', command: ['echo', 'a b'] } as never;
  assert.equal(connectUrl('/clusters/x/api/v1/namespaces/ns/pods/p/exec?command=ls&stdout=1&stdin=1', 'PodExecOptions', exec, 'pods', 'p'),
    '/clusters/x/api/v1/namespaces/ns/pods/p/exec?container=c&command=echo&command=a+b&stdout=true');
  const pf = { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: [8080] } as never;
  assert.equal(connectUrl('/api/v1/namespaces/ns/pods/p/portforward', 'PodPortForwardOptions', pf, 'pods', 'p'), '/api/v1/namespaces/ns/pods/p/portforward?ports=8080');
  const proxy = { kind: 'ServiceProxyOptions', apiVersion: 'v1', path: '/new path/x' } as never;
  assert.equal(connectUrl('/api/v1/namespaces/ns/services/web:80/proxy/old?q=1', 'ServiceProxyOptions', proxy, 'services', 'web:80'),
    '/api/v1/namespaces/ns/services/web:80/proxy/new%20path/x?q=1');
  const none = { kind: 'PodProxyOptions', apiVersion: 'v1' } as never;
  assert.equal(connectUrl('/api/v1/namespaces/ns/pods/p/proxy/old/', 'PodProxyOptions', none, 'pods', 'p'), '/api/v1/namespaces/ns/pods/p/proxy');
});

test('matching a CONNECT: rules name the subresource and the operation (or *); an objectSelector never selects the options', () => {
  const def = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', scope: 'Namespaced' } as ResourceDef;
  const a: Attributes = {
    operation: 'CONNECT', def, kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, subresource: 'exec', namespace: 'ns', name: 'p',
    object: connectOptions('PodExecOptions', new URLSearchParams('command=ls')), oldObject: undefined,
  };
  const rule = (operations: string[], resources: string[]) => ({ operations, apiGroups: [''], apiVersions: ['v1'], resources, scope: '*' });
  assert.equal(ruleMatches(rule(['CONNECT'], ['pods/exec']), a), true);
  assert.equal(ruleMatches(rule(['*'], ['pods/*']), a), true);
  assert.equal(ruleMatches(rule(['*'], ['*/exec']), a), true);
  assert.equal(ruleMatches(rule(['CONNECT'], ['pods']), a), false);
  assert.equal(ruleMatches(rule(['*'], ['*']), a), false);
  assert.equal(ruleMatches(rule(['CREATE', 'UPDATE'], ['pods/exec']), a), false);
  const selector = (s: unknown) => ({ objectSelector: parseSelector(s) as never });
  assert.equal(objectSelectorMatches(selector({}), a), true);
  assert.equal(objectSelectorMatches(selector({ matchLabels: { locked: 'true' } }), a), false);
  // Even a selector every labelless object satisfies.
  assert.equal(objectSelectorMatches(selector({ matchExpressions: [{ key: 'locked', operator: 'DoesNotExist' }] }), a), false);
});
