// One policy's matching and evaluation without a server: match resources
// (selectors, exclusions, resourceNames, equivalent versions), decisions
// (validations, messages, failure policies, matchConditions, audit
// annotations), and the refusal's Status.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import { builtinRegistry } from '../../../registry/builtin.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { equivalentResources, type Attributes } from '../matching.ts';
import { compilePolicy, matchResources, readBinding } from './compile.ts';
import { MastersAuthorizer } from '../../auth/authorize.ts';
import { AuthorizerValue } from './authorizer.ts';
import { evaluatePolicy, matches, type Inputs, type Matching } from './dispatch.ts';
import { policyDenied, policyWarning } from './errors.ts';

const reg = builtinRegistry();
const def = (g: string, v: string, p: string) => reg.find(g, v, p) as ResourceDef;
const deployments = def('apps', 'v1', 'deployments');
const hpaV1 = def('autoscaling', 'v1', 'horizontalpodautoscalers');
const hpaV2 = def('autoscaling', 'v2', 'horizontalpodautoscalers');

function matching(d: ResourceDef, o: Partial<Attributes> = {}, nsLabels: Record<string, Record<string, string>> = { default: {} }): Matching {
  const a: Attributes = { operation: 'CREATE', def: d, subresource: '', namespace: 'default', name: 'web', object: undefined, oldObject: undefined, ...o };
  return { a, labelsOf: (n) => nsLabels[n], equivalents: () => equivalentResources(reg, d) };
}

const rule = (o: Record<string, unknown> = {}) => ({ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], ...o });

test('match resources: rules, resourceNames, exclusions, selectors', () => {
  const mr = (o: Record<string, unknown>) => matchResources(o)!;
  assert.equal(matches(mr({ resourceRules: [rule()] }), matching(deployments)), deployments);
  assert.equal(matches(mr({ resourceRules: [rule({ resourceNames: ['api'] })] }), matching(deployments)), false);
  assert.equal(matches(mr({ resourceRules: [rule({ resourceNames: ['api', 'web'] })] }), matching(deployments)), deployments);
  assert.equal(matches(mr({ resourceRules: [rule()], excludeResourceRules: [rule({ resourceNames: ['web'] })] }), matching(deployments)), false);
  // No resourceRules (a binding's matchResources): everything the policy matched.
  assert.equal(matches(mr({}), matching(deployments)), deployments);
  const prod = { default: { env: 'prod' } };
  assert.equal(matches(mr({ namespaceSelector: { matchLabels: { env: 'prod' } } }), matching(deployments, {}, prod)), deployments);
  assert.equal(matches(mr({ namespaceSelector: { matchLabels: { env: 'dev' } } }), matching(deployments, {}, prod)), false);
  const labelled = { metadata: { name: 'web', labels: { team: 'a' } } } as KubeObject;
  assert.equal(matches(mr({ objectSelector: { matchLabels: { team: 'a' } } }), matching(deployments, { object: labelled })), deployments);
  assert.equal(matches(mr({ objectSelector: { matchLabels: { team: 'b' } } }), matching(deployments, { object: labelled })), false);
  // A namespace that is not there, for a policy whose rules match: upstream's internal error.
  assert.equal(matches(mr({ namespaceSelector: { matchLabels: { env: 'prod' } } }), matching(deployments, { namespace: 'gone' })),
    'Internal error occurred: namespaces "gone" not found');
});

test('matchPolicy: Equivalent matches another version of the resource, Exact does not', () => {
  const v1Rule = { resourceRules: [{ apiGroups: ['autoscaling'], apiVersions: ['v1'], operations: ['*'], resources: ['horizontalpodautoscalers'] }] };
  assert.equal(matches(matchResources(v1Rule)!, matching(hpaV2)), hpaV1);
  assert.equal(matches(matchResources({ ...v1Rule, matchPolicy: 'Exact' })!, matching(hpaV2)), false);
});

function policy(spec: Record<string, unknown>) {
  return compilePolicy({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'p' }, spec } as unknown as KubeObject);
}

function inputs(replicas: number, old?: number): Inputs {
  const request = { operation: old === undefined ? 'CREATE' : 'UPDATE', userInfo: { username: 'u' } };
  return {
    object: { spec: { replicas: BigInt(replicas) } }, oldObject: old === undefined ? null : { spec: { replicas: BigInt(old) } },
    request, conditionRequest: request, authorizer: new AuthorizerValue(new MastersAuthorizer(), { username: 'u', groups: [] }, undefined),
  };
}

test('validations: true admits; false gives messageExpression, message or the expression, with the reason', () => {
  const p = policy({
    validations: [
      { expression: 'object.spec.replicas <= 5' },
      { expression: 'object.spec.replicas <= 6', message: '  at most 6  ' },
      { expression: 'object.spec.replicas <= 7', messageExpression: '"at most 7, not " + string(object.spec.replicas)', reason: 'Forbidden' },
      { expression: 'object.spec.replicas <= 8', message: 'fallback', messageExpression: '"two\\nlines"' },
    ],
  });
  assert.deepEqual(evaluatePolicy(p, inputs(3), null, null), { decisions: [], refusals: [] });
  assert.deepEqual(evaluatePolicy(p, inputs(9), null, null).decisions, [
    { deny: true, message: 'failed expression: object.spec.replicas <= 5', reason: 'Invalid' },
    { deny: true, message: 'at most 6', reason: 'Invalid' },
    { deny: true, message: 'at most 7, not 9', reason: 'Forbidden' },
    { deny: true, message: 'fallback', reason: 'Invalid' },
  ]);
  // A non-boolean result is no admission either.
  assert.equal(evaluatePolicy(policy({ validations: [{ expression: 'object.spec.replicas' }] }), inputs(1), null, null).decisions.length, 1);
});

test('evaluation errors: a failure under Fail (the default), nothing under Ignore', () => {
  const spec = { validations: [{ expression: 'oldObject.spec.replicas < object.spec.replicas' }] };
  const err = "expression 'oldObject.spec.replicas < object.spec.replicas' resulted in error: no such key: spec";
  assert.deepEqual(evaluatePolicy(policy({ ...spec, validations: [{ expression: 'object.spec.nope' }] }), inputs(1), null, null).decisions,
    [{ deny: true, message: "expression 'object.spec.nope' resulted in error: no such key: nope" }]);
  assert.deepEqual(evaluatePolicy(policy({ ...spec, failurePolicy: 'Ignore' }), { ...inputs(1), oldObject: {} }, null, null).decisions, [{ deny: false, message: err }]);
  assert.deepEqual(evaluatePolicy(policy(spec), inputs(2, 1), null, null).decisions, []);
});

test('matchConditions: one false skips the policy; errors fail it under Fail, skip it under Ignore', () => {
  const validations = [{ expression: 'false' }];
  const skip = policy({ matchConditions: [{ name: 'a', expression: 'true' }, { name: 'b', expression: 'request.operation == "UPDATE"' }], validations });
  assert.deepEqual(evaluatePolicy(skip, inputs(1), null, null).decisions, []);
  const broken = { matchConditions: [{ name: 'a', expression: 'object.x' }, { name: 'b', expression: 'object.y' }], validations };
  assert.deepEqual(evaluatePolicy(policy(broken), inputs(1), null, null).decisions, [{
    deny: true, message: "[expression 'object.x' resulted in error: no such key: x, expression 'object.y' resulted in error: no such key: y]",
  }]);
  assert.deepEqual(evaluatePolicy(policy({ ...broken, failurePolicy: 'Ignore' }), inputs(1), null, null).decisions, []);
  // A false one wins over the errors.
  assert.deepEqual(evaluatePolicy(policy({ ...broken, matchConditions: [...broken.matchConditions, { name: 'c', expression: 'false' }] }), inputs(1), null, null).decisions, []);
});

test('params and auditAnnotations: values unused (no audit log), errors refuse under Fail', () => {
  const p = policy({
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    validations: [{ expression: 'object.spec.replicas <= int(params.data.max)' }],
    auditAnnotations: [{ key: 'a', valueExpression: '"replicas: " + string(object.spec.replicas)' }, { key: 'b', valueExpression: 'object.spec.replicas' }],
  });
  const r = evaluatePolicy(p, inputs(3), { data: { max: '2' } }, null);
  assert.deepEqual(r.decisions, [{ deny: true, message: 'failed expression: object.spec.replicas <= int(params.data.max)', reason: 'Invalid' }]);
  assert.deepEqual(r.refusals, ["valueExpression 'object.spec.replicas' resulted in unsupported return type: int. Return type must be either string or null."]);
});

test('authorizer: checks for the writer, a service account, a path; requestResource', () => {
  const admin = { username: 'admin', groups: ['system:masters'] };
  const request = { group: 'apps', resource: 'deployments', subresource: '', namespace: 'default', name: 'web' };
  const asked: unknown[] = [];
  const authz = { authorize: (u: { username: string }, attrs: unknown) => { asked.push({ user: u.username, attrs }); return { allowed: u.username === 'admin', reason: 'because' }; } };
  const p = policy({
    validations: [
      { expression: 'authorizer.group("apps").resource("deployments").namespace("default").name("web").check("delete").allowed()' },
      { expression: 'authorizer.serviceAccount("default", "robot").group("").resource("pods").check("create").allowed()', message: 'robot may not' },
      { expression: 'authorizer.requestResource.check("update").reason() == "because"' },
      { expression: 'authorizer.path("/healthz").check("get").allowed() && !authorizer.path("/x").check("get").errored()' },
      { expression: 'authorizer.group("").resource("").check("get").allowed()' },
    ],
  });
  const r = evaluatePolicy(p, { ...inputs(1), authorizer: new AuthorizerValue(authz, admin, request) }, null, null);
  assert.deepEqual(r.decisions, [
    { deny: true, message: 'robot may not', reason: 'Invalid' },
    { deny: true, message: "expression 'authorizer.group(\"\").resource(\"\").check(\"get\").allowed()' resulted in error: resource must not be empty" },
  ]);
  assert.deepEqual(asked.slice(0, 3), [
    { user: 'admin', attrs: { verb: 'delete', group: 'apps', version: '*', resource: 'deployments', subresource: undefined, namespace: 'default', name: 'web' } },
    { user: 'system:serviceaccount:default:robot', attrs: { verb: 'create', group: '', version: '*', resource: 'pods', subresource: undefined, namespace: undefined, name: undefined } },
    { user: 'admin', attrs: { verb: 'update', group: 'apps', version: '*', resource: 'deployments', subresource: undefined, namespace: 'default', name: 'web' } },
  ]);
  // messageExpressions have no authorizer.
  const m = policy({ validations: [{ expression: 'false', messageExpression: 'string(authorizer.path("/").check("get").allowed())' }] });
  assert.deepEqual(evaluatePolicy(m, inputs(1), null, null).decisions, [{ deny: true, message: 'failed expression: false', reason: 'Invalid' }]);
});

test('bindings: paramRef, matchResources and validationActions as stored', () => {
  const b = readBinding({ metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Warn', 'Audit'], paramRef: { selector: {}, parameterNotFoundAction: 'Allow' } } } as unknown as KubeObject);
  assert.equal(b.policyName, 'p');
  assert.deepEqual(b.validationActions, ['Warn', 'Audit']);
  assert.equal(b.matchResources, undefined);
  assert.equal(b.paramRef?.name, '');
  assert.equal(b.paramRef?.parameterNotFoundAction, 'Allow');
  assert.ok(b.paramRef?.selector && !(b.paramRef.selector instanceof Error) && b.paramRef.selector.empty);
});

test('the refusal: Forbidden\'s message, the reason\'s code, the message as a cause; the warning text', () => {
  const a: Attributes = { operation: 'CREATE', def: deployments, subresource: '', namespace: 'default', name: '', object: { metadata: { generateName: 'web-' } } as KubeObject, oldObject: undefined };
  const e = policyDenied(a, 'p', 'b', 'too many', undefined);
  assert.ok(e instanceof ApiError);
  const message = "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: too many";
  assert.deepEqual(e.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid',
    message: `deployments.apps "web-" is forbidden: ${message}`,
    details: { name: 'web-', group: 'apps', kind: 'deployments', causes: [{ message }] },
  });
  assert.equal(policyDenied(a, 'p', 'b', 'x', 'Forbidden').code, 403);
  assert.equal(policyDenied(a, 'p', 'b', 'x', 'Unauthorized').code, 401);
  assert.equal(policyDenied(a, 'p', 'b', 'x', 'RequestEntityTooLarge').code, 413);
  assert.equal(policyDenied({ ...a, object: undefined }, 'p', undefined, 'x', undefined).message,
    "deployments.apps \"Unknown\" is forbidden: ValidatingAdmissionPolicy 'p' denied request: x");
  assert.equal(policyWarning('p', 'b', 'too many'), "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': too many");
});
