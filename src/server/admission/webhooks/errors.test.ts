// The texts a client gets: denials, failed calls, dry runs, patches; the HTTP client's wording.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.ts';
import { builtinRegistry } from '../../../registry/builtin.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { AnswerError, decodeAnswer, goSeconds, requestPath, transportText } from './client.ts';
import { CallingError, callingFailure, cannotModify, denied, dryRunUnsupported } from './errors.ts';
import { applyWebhookPatch, decodePatch } from './patch.ts';

test('a denial keeps the webhook status, its message prefixed', () => {
  const e = denied('deny.example.com', { code: 403, reason: 'Forbidden', message: 'configmaps labelled deny=true are refused', details: { name: 'x', causes: [{ message: 'c' }] } });
  assert.deepEqual(e.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden',
    message: 'admission webhook "deny.example.com" denied the request: configmaps labelled deny=true are refused',
    details: { name: 'x', causes: [{ message: 'c' }] },
  });
  // No code (or one below 400): 400; no reason: none shown.
  const plain = denied('d', { message: 'nope' }).toStatus();
  assert.equal(plain.code, 400);
  assert.equal(plain.reason, undefined);
  assert.equal(plain.message, 'admission webhook "d" denied the request: nope');
  assert.equal(denied('d', { code: 200, reason: 'NotAllowed' }).toStatus().message, 'admission webhook "d" denied the request: NotAllowed');
  assert.equal(denied('d', { code: 200, reason: 'NotAllowed' }).code, 400);
  assert.equal(denied('d', undefined).message, 'admission webhook "d" denied the request without explanation');
  const retry = denied('d', { code: 429, message: 'later', details: { retryAfterSeconds: 5 } });
  assert.equal(retry.headers['Retry-After'], '5');
});

test('a failed call under Fail; a dry run; a patch of a delete', () => {
  const e = callingFailure(new CallingError('w.example.com', 'failed to call webhook: Post "https://127.0.0.1:1/v?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused'));
  assert.equal(e.code, 500);
  assert.equal(e.reason, 'InternalError');
  assert.equal(e.message, 'Internal error occurred: failed calling webhook "w.example.com": failed to call webhook: Post "https://127.0.0.1:1/v?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused');
  assert.deepEqual(e.details?.causes, [{ message: 'failed calling webhook "w.example.com": failed to call webhook: Post "https://127.0.0.1:1/v?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused' }]);
  const d = dryRunUnsupported('w.example.com');
  assert.equal(d.code, 400);
  assert.equal(d.reason, 'BadRequest');
  assert.equal(d.message, 'admission webhook "w.example.com" does not support dry run');
  assert.equal(cannotModify('m').message, 'Internal error occurred: admission webhook "m" attempted to modify the object, which is not supported for this operation');
});

test('the request path and timeout as client-go sends them', () => {
  assert.equal(requestPath(''), '/');
  assert.equal(requestPath('/validate/'), '/validate');
  assert.equal(requestPath('/a//b/../c'), '/a/c');
  assert.equal(goSeconds(10), '10s');
  assert.equal(goSeconds(30), '30s');
});

test('transport failures in Go words', () => {
  const ep = { host: '127.0.0.1', port: 9443, serverName: 'svc.ns.svc' };
  assert.equal(transportText(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ep), 'dial tcp 127.0.0.1:9443: connect: connection refused');
  assert.equal(transportText(Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), ep), 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
  assert.equal(transportText(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', cert: { subjectaltname: 'DNS:other.ns.svc, IP Address:10.0.0.1' } }), ep),
    'tls: failed to verify certificate: x509: certificate is valid for other.ns.svc, 10.0.0.1, not svc.ns.svc');
});

function answerError(status: number, body: string, contentType?: string): string {
  try {
    decodeAnswer({ status, headers: contentType ? { 'content-type': contentType } : {}, body: Buffer.from(body) });
  } catch (e) {
    assert.ok(e instanceof AnswerError);
    return e.message;
  }
  assert.fail('no error');
}

test('answers that are not 2xx, as client-go reports them', () => {
  assert.equal(answerError(404, '404 page not found', 'text/plain'), 'the server could not find the requested resource');
  assert.equal(answerError(500, 'boom\n', 'text/plain'), 'an error on the server ("boom") has prevented the request from succeeding');
  assert.equal(answerError(500, '\x00', 'application/octet-stream'), 'an error on the server ("unknown") has prevented the request from succeeding');
  assert.equal(answerError(403, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'forbidden: no' }), 'application/json'), 'forbidden: no');
  assert.deepEqual(decodeAnswer({ status: 200, headers: {}, body: Buffer.from('{"a":1}') }), { a: 1 });
});

test('a patch: applied, pruned to the kind, type errors refused; undecodable patches reported', () => {
  const reg = builtinRegistry();
  const pods = reg.find('', 'v1', 'pods') as ResourceDef;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } as KubeObject;
  const patch = decodePatch(Buffer.from(JSON.stringify([
    { op: 'add', path: '/metadata/labels/injected', value: 'yes' },
    { op: 'add', path: '/spec/unknownField', value: 1 },
  ])));
  assert.ok(Array.isArray(patch));
  const out = applyWebhookPatch(pods, pod, patch);
  assert.deepEqual(out.metadata.labels, { a: '1', injected: 'yes' });
  assert.equal((out.spec as Record<string, unknown>).unknownField, undefined, 'unknown fields dropped as a Go decode drops them');
  assert.deepEqual(pod.metadata.labels, { a: '1' }, 'the input is not changed');
  assert.throws(() => applyWebhookPatch(pods, pod, decodePatch(Buffer.from('[{"op":"remove","path":"/spec/nothing"}]')) as never),
    (e: { code: number; message: string }) => e.code === 500 && e.message.startsWith('Internal error occurred: '));
  assert.throws(() => applyWebhookPatch(pods, pod, decodePatch(Buffer.from('[{"op":"add","path":"/spec/containers","value":"x"}]')) as never),
    (e: { code: number }) => e.code === 500);
  assert.equal(decodePatch(Buffer.from('{"op":"add"}')), 'received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  assert.match(decodePatch(Buffer.from('not json')) as string, /^received undecodable patch in webhook response: /);
});
