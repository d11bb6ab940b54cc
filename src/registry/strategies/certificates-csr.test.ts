import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { makeCsr } from '../../../test/support/csr.ts';
import { csrStrategy, validateSignerName } from './certificates-csr.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

const request = makeCsr({ commonName: 'jane', organizations: ['dev'] }).request;
const csr = { metadata: { name: 'jane' }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } };

function stored(extra: Record<string, unknown> = {}): KubeObject {
  const { obj, errors } = runCreate(csrStrategy, { ...clone(csr), ...extra });
  assert.deepEqual(messages(errors), []);
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: '5' } };
}

const approval = csrStrategy.subresourceWrites!.approval!;
const status = csrStrategy.subresourceWrites!.status!;
const cond = (type: string, extra: Record<string, unknown> = {}) => ({ type, status: 'True', reason: 'R', message: 'M', ...extra });

/** An approval write as the store makes it: prepare, then validate. */
function approve(old: KubeObject, conditions: unknown[]): { obj: KubeObject; errors: string[] } {
  const obj = approval.prepare({ ...clone(old), status: { conditions } } as KubeObject, old);
  return { obj, errors: messages(approval.validate(obj, old)) };
}

function writeStatus(old: KubeObject, st: Record<string, unknown>): { obj: KubeObject; errors: string[] } {
  const obj = status.prepare({ ...clone(old), status: st } as KubeObject, old);
  return { obj, errors: messages(status.validate(obj, old)) };
}

test('create clears the requestor fields and status; a valid request passes', () => {
  const { obj, errors } = runCreate(csrStrategy, {
    ...clone(csr), spec: { ...csr.spec, username: 'mallory', groups: ['system:masters'], uid: 'u', extra: { a: ['b'] } },
    status: { conditions: [cond('Approved')] },
  });
  assert.deepEqual(messages(errors), []);
  const spec = obj.spec as Record<string, unknown>;
  assert.equal(spec.username, undefined);
  assert.equal(spec.groups, undefined);
  assert.equal(spec.uid, undefined);
  assert.equal(spec.extra, undefined);
  assert.deepEqual(obj.status, {});
});

test('create validation: request, usages, signerName, expirationSeconds, with upstream\'s texts', () => {
  const bad = makeCsr({ commonName: 'x', badSignature: true }).request;
  const key = Buffer.from(makeCsr().keyPem).toString('base64');
  const run = (spec: Record<string, unknown>) => messages(runCreate(csrStrategy, { metadata: { name: 'x' }, spec }).errors);
  assert.deepEqual(run({ request: bad, signerName: 'example.com/s', usages: ['client auth'] }),
    [`spec.request: Invalid value: "${bad}": x509: ECDSA verification failure`]);
  assert.deepEqual(run({ request: key, signerName: 'example.com/s', usages: ['client auth'] }),
    [`spec.request: Invalid value: "${key}": PEM block type must be CERTIFICATE REQUEST`]);
  assert.deepEqual(run({ request, signerName: 'example.com/s', usages: [] }), ['spec.usages: Required value']);
  assert.deepEqual(run({ request, signerName: 'example.com/s', usages: ['client auth', 'nope', 'client auth'] }), [
    'spec.usages[1]: Unsupported value: "nope": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", ' +
    '"crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", ' +
    '"ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", ' +
    '"server auth", "signing", "timestamping"',
    'spec.usages[2]: Duplicate value: "client auth"',
  ]);
  assert.deepEqual(run({ request, usages: ['client auth'] }), ['spec.signerName: Required value']);
  assert.deepEqual(run({ request, signerName: 'kubernetes.io/legacy-unknown', usages: ['client auth'] }),
    ['spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version']);
  assert.deepEqual(run({ request, signerName: 'example.com/s', usages: ['client auth'], expirationSeconds: 599 }),
    ['spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)']);
  assert.deepEqual(run({ request, signerName: 'example.com/s', usages: ['client auth'], expirationSeconds: 600 }), []);
});

test('signer names: a qualified domain and a path', () => {
  assert.deepEqual(messages(validateSignerName('p', 'example.com/a.b-c')), []);
  assert.deepEqual(messages(validateSignerName('p', 'nodomain')),
    ["p: Invalid value: \"nodomain\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]);
  assert.deepEqual(messages(validateSignerName('p', 'a/b/c')),
    ["p: Invalid value: \"a/b/c\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]);
  assert.deepEqual(messages(validateSignerName('p', 'example/signer')),
    ['p: Invalid value: "example": should be a domain with at least two segments separated by dots']);
  assert.deepEqual(messages(validateSignerName('p', 'Example.com/s')), [
    'p: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', ' +
    'and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
  ]);
  assert.deepEqual(messages(validateSignerName('p', 'example.com/')).length, 1);
});

test('the approval subresource adds Approved or Denied, with timestamps, and changes nothing else', () => {
  const old = stored();
  const { obj, errors } = approve(old, [cond('Approved', { reason: 'KubectlApprove' })]);
  assert.deepEqual(errors, []);
  const c = (obj.status as any).conditions;
  assert.equal(c.length, 1);
  assert.equal(c[0].reason, 'KubectlApprove');
  assert.match(c[0].lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(c[0].lastTransitionTime, c[0].lastUpdateTime);
  // Spec and certificate stay the stored ones.
  const sneaky = approval.prepare({ ...clone(old), spec: { ...(old.spec as object), usages: ['server auth'] }, status: { certificate: 'eA==', conditions: [cond('Approved')] } } as KubeObject, old);
  assert.deepEqual(sneaky.spec, old.spec);
  assert.equal((sneaky.status as any).certificate, undefined);
});

test('approval validation: mutually exclusive, no removal, True only, no duplicates', () => {
  const old = stored();
  assert.deepEqual(approve(old, [cond('Approved'), cond('Denied')]).errors,
    ['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive']);
  assert.deepEqual(approve(old, [cond('Approved', { status: 'False' })]).errors,
    ['status.conditions[0].status: Unsupported value: "False": supported values: "True"']);
  assert.deepEqual(approve(old, [cond('Approved'), cond('Approved')]).errors, ['status.conditions[1].type: Duplicate value: "Approved"']);
  assert.deepEqual(approve(old, [{ type: 'Custom' }]).errors, ['status.conditions[0].status: Required value']);
  const approved = { ...old, status: { conditions: [approve(old, [cond('Approved')]).obj.status && (approve(old, [cond('Approved')]).obj.status as any).conditions[0]] } } as KubeObject;
  assert.deepEqual(approve(approved, []).errors, ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
  assert.deepEqual(approve(approved, [cond('Denied')]).errors, ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
  assert.deepEqual(approve(approved, [...(approved.status as any).conditions, cond('Denied')]).errors,
    ['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive']);
});

test('the status subresource sets the certificate once and keeps Approved/Denied as they were', () => {
  const old = stored();
  const approved = approve(old, [cond('Approved')]).obj;
  // Adding Approved through status is refused.
  assert.deepEqual(writeStatus(old, { conditions: [cond('Approved')] }).errors,
    ['status.conditions: Forbidden: updates may not add a condition of type "Approved"']);
  // A changed Approved condition is put back as it was, silently.
  const changed = writeStatus(approved, { conditions: [cond('Approved', { message: 'changed' })] });
  assert.deepEqual(changed.errors, []);
  assert.deepEqual((changed.obj.status as any).conditions, (approved.status as any).conditions);
  // A certificate that is not one.
  const notCert = Buffer.from('garbage').toString('base64');
  assert.deepEqual(writeStatus(approved, { ...(approved.status as object), certificate: notCert }).errors,
    ['status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block']);
  // Failed is added through status, with timestamps.
  const failed = writeStatus(approved, { conditions: [...(approved.status as any).conditions, cond('Failed', { reason: 'SignerValidationFailure' })] });
  assert.deepEqual(failed.errors, []);
  assert.ok((failed.obj.status as any).conditions[1].lastUpdateTime);
  // Failed cannot be removed.
  assert.deepEqual(writeStatus(failed.obj, { conditions: (approved.status as any).conditions }).errors,
    ['status.conditions: Forbidden: updates may not remove a condition of type "Failed"']);
});

test('the main resource changes neither spec nor status', () => {
  const old = stored();
  const { obj, errors } = runUpdate(csrStrategy, { ...clone(old), metadata: { ...old.metadata, labels: { a: 'b' } }, spec: { ...(old.spec as object), usages: ['server auth'] }, status: { conditions: [cond('Approved')] } }, old);
  assert.deepEqual(messages(errors), []);
  assert.deepEqual(obj.spec, old.spec);
  assert.deepEqual(obj.status, {});
  assert.deepEqual(obj.metadata.labels, { a: 'b' });
});
