// The AdmissionReview sent and the checks of the answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.ts';
import { builtinRegistry } from '../../../registry/builtin.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { admissionReview, InvalidResponse, reviewVersion, SERVER_USER, verifyResponse } from './review.ts';
import type { Attributes } from './rules.ts';

const reg = builtinRegistry();
const hpaV1 = reg.find('autoscaling', 'v1', 'horizontalpodautoscalers') as ResourceDef;
const hpaV2 = reg.find('autoscaling', 'v2', 'horizontalpodautoscalers') as ResourceDef;
const pods = reg.find('', 'v1', 'pods') as ResourceDef;

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } } as KubeObject;

test('the request: kinds and resources, subresource, user, objects, dry run, options', () => {
  const a: Attributes = { operation: 'UPDATE', def: pods, subresource: 'status', namespace: 'ns', name: 'p', object: pod, oldObject: pod };
  const { uid, review } = admissionReview('v1', {
    attributes: a, def: pods, object: pod, oldObject: pod, dryRun: true,
    user: { username: 'jane', uid: 'u1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a'] } },
    options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'], fieldManager: 'kubectl-edit' },
  });
  assert.match(uid, /^[0-9a-f-]{36}$/);
  assert.deepEqual(review, {
    kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'status',
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      requestSubResource: 'status',
      name: 'p', namespace: 'ns', operation: 'UPDATE',
      userInfo: { username: 'jane', uid: 'u1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a'] } },
      object: pod, oldObject: pod, dryRun: true,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'], fieldManager: 'kubectl-edit' },
    },
  });
});

test('a create with a generated name, by the server itself, to an equivalent version', () => {
  const a: Attributes = { operation: 'CREATE', def: hpaV2, subresource: '', namespace: 'ns', name: '', object: pod, oldObject: undefined };
  const { review } = admissionReview('v1beta1', { attributes: a, def: hpaV1, object: pod, oldObject: undefined, dryRun: false, user: undefined, options: {} });
  const r = review.request as Record<string, unknown>;
  assert.equal(review.apiVersion, 'admission.k8s.io/v1beta1');
  assert.deepEqual(r.kind, { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' });
  assert.deepEqual(r.requestKind, { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' });
  assert.deepEqual(r.requestResource, { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' });
  assert.equal('name' in r, false);
  assert.equal('subResource' in r, false);
  assert.equal(r.oldObject, null);
  assert.equal(r.dryRun, false);
  assert.deepEqual(r.userInfo, { username: SERVER_USER.username, groups: SERVER_USER.groups });
});

test('the version sent: the first known of admissionReviewVersions', () => {
  assert.equal(reviewVersion(['v2', 'v1beta1', 'v1']), 'v1beta1');
  assert.equal(reviewVersion(['v1', 'v1beta1']), 'v1');
  assert.equal(reviewVersion(['v2']), undefined);
});

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidResponse);
    return e.message;
  }
  assert.fail('no error');
}

test('a v1 answer: uid, kind, patch and patchType checked as upstream words it', () => {
  const ok = (response: Record<string, unknown>) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', ...response } });
  assert.equal(invalid(() => verifyResponse({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'v1', 'u', false)), 'webhook response was absent');
  assert.equal(invalid(() => verifyResponse(ok({ uid: 'other', allowed: true }), 'v1', 'u', false)), 'expected response.uid="u", got "other"');
  assert.equal(invalid(() => verifyResponse({ response: { uid: 'u', allowed: true } }, 'v1', 'u', false)),
    'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=');
  const patch = Buffer.from('[]').toString('base64');
  assert.equal(invalid(() => verifyResponse(ok({ allowed: true, patch }), 'v1', 'u', true)), 'webhook returned response.patch but not response.patchType');
  assert.equal(invalid(() => verifyResponse(ok({ allowed: true, patchType: 'JSONPatch' }), 'v1', 'u', true)), 'webhook returned response.patchType but not response.patch');
  assert.equal(invalid(() => verifyResponse(ok({ allowed: true, patch, patchType: 'JSONPatch' }), 'v1', 'u', false)), 'validating webhook may not return response.patch');
  const r = verifyResponse(ok({ allowed: false, status: { code: 403, message: 'no' }, warnings: ['w1', 2], auditAnnotations: { k: 'v' } }), 'v1', 'u', false);
  assert.deepEqual(r, { allowed: false, result: { code: 403, message: 'no' }, patch: undefined, patchType: '', warnings: ['w1'], auditAnnotations: { k: 'v' } });
  const m = verifyResponse(ok({ allowed: true, patch, patchType: 'JSONPatch' }), 'v1', 'u', true);
  assert.equal(m.patch?.toString(), '[]');
  assert.equal(m.patchType, 'JSONPatch');
});

test('a v1beta1 answer: no uid or kind check; a patch is a JSONPatch', () => {
  const patch = Buffer.from('[{"op":"add","path":"/x","value":1}]').toString('base64');
  const r = verifyResponse({ response: { allowed: true, patch } }, 'v1beta1', 'u', true);
  assert.equal(r.patchType, 'JSONPatch');
  assert.ok(r.patch);
});
