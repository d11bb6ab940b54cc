// Evaluating a write against the cluster's ValidatingAdmissionPolicies, as
// upstream's validating policy dispatcher and validator do:
//
// For each policy with bindings whose matchConstraints match the write
// (namespace and object selectors, excludeResourceRules, resourceRules with
// resourceNames, matchPolicy Equivalent over the other versions of the
// resource), each binding whose matchResources match too is evaluated once
// per param object (params.ts): the matchConditions (one false skips the
// binding; a failure fails per failurePolicy), then every validation (false:
// a failure with the validation's message, messageExpression or `failed
// expression: EXPR`, and its reason; an evaluation error: a failure under
// failurePolicy Fail, nothing under Ignore), then the auditAnnotations (no
// audit log here: only their evaluation errors count, as refusals under
// Fail). A failure does what the binding's validationActions say: Deny
// refuses the write, Warn adds a warning, Audit does nothing here (upstream
// writes an audit annotation). A misconfiguration (a paramKind the cluster
// does not serve, params not found under parameterNotFoundAction Deny, a
// selector that does not parse) refuses the write under Fail whatever the
// validationActions. Every policy is evaluated (warnings of them all reach
// the client); the first refusal is the answer.

import { ApiError, errors } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import type { AdmissionRequest } from '../../../registry/generic/admission.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import type { VirtualCluster } from '../../cluster.ts';
import {
  attributesOf, convertObject, equivalentResources, namespaceLabels, namespaceSelectorMatches, objectSelectorMatches, ruleMatches,
  type Attributes, type NamespaceLabels,
} from '../matching.ts';
import { toCel } from '../webhooks/match-conditions.ts';
import { admissionRequest, celRequest, SERVER_USER } from '../webhooks/review.ts';
import { AuthorizerValue } from './authorizer.ts';
import { evaluate, EvaluationFailure, lazyVariables } from './cel.ts';
import type { Binding, CompiledPolicy, MatchResources, NamedRule } from './compile.ts';
import { policyDenied, policyWarning } from './errors.ts';
import { collectParams, paramResource, ParamsError } from './params.ts';
import type { PolicySource } from './source.ts';

export interface PolicyContext {
  readonly vc: VirtualCluster;
  readonly source: PolicySource;
}

/** How the write is seen while matching. */
export interface Matching {
  readonly a: Attributes;
  readonly labelsOf: NamespaceLabels;
  readonly equivalents: () => readonly ResourceDef[];
}

/** The resource matched by the first rule that matches (the request's, or under Equivalent another version); undefined: none. */
function matchesRules(rules: readonly NamedRule[], policy: MatchResources['matchPolicy'], m: Matching): ResourceDef | undefined {
  const named = (r: NamedRule) => r.resourceNames.length === 0 || r.resourceNames.includes(m.a.name);
  for (const r of rules) if (ruleMatches(r, m.a) && named(r)) return m.a.def;
  if (policy !== 'Equivalent') return undefined;
  for (const r of rules) {
    for (const eq of m.equivalents()) if (ruleMatches(r, m.a, eq) && named(r)) return eq;
  }
  return undefined;
}

/** A selector's failure as upstream's matcher reports it (an internal error). */
function selectorError(e: ApiError): string {
  return e.code === 404 ? `Internal error occurred: ${e.message}` : e.message;
}

/** Whether the write matches (and as which resource), or the text of the error matching gave. */
export function matches(mr: MatchResources, m: Matching): ResourceDef | false | string {
  const ns = namespaceSelectorMatches(mr, m.a, m.labelsOf);
  if (ns === false) return false;
  const obj = objectSelectorMatches(mr, m.a);
  if (obj === false) return false;
  if (matchesRules(mr.excludeResourceRules, mr.matchPolicy, m)) return false;
  const def = mr.resourceRules.length === 0 ? m.a.def : matchesRules(mr.resourceRules, mr.matchPolicy, m);
  if (!def) return false;
  if (ns !== true) return selectorError(ns);
  if (obj !== true) return selectorError(obj);
  return def;
}

/** The Namespace as `namespaceObject` shows it: its metadata without managedFields and owners, spec, status. */
function namespaceObject(ns: KubeObject): Record<string, unknown> {
  const m = ns.metadata;
  const meta: Record<string, unknown> = {};
  for (const k of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
    'deletionGracePeriodSeconds', 'labels', 'annotations', 'finalizers'] as const) {
    if (m[k] !== undefined) meta[k] = m[k];
  }
  const out: Record<string, unknown> = { metadata: meta };
  const o = ns as unknown as Record<string, unknown>;
  if (o.spec !== undefined) out.spec = o.spec;
  if (o.status !== undefined) out.status = o.status;
  return out;
}

export interface Decision {
  readonly deny: boolean;
  readonly message: string;
  /** The failed validation's reason (undefined for errors: Invalid). */
  readonly reason?: string;
}

/** What one evaluation of a policy for one binding and param gives. */
export interface Result {
  /** Validation failures and evaluation errors: the binding's validationActions apply. */
  readonly decisions: readonly Decision[];
  /** Refusals whatever the validationActions (auditAnnotations that fail under Fail). */
  readonly refusals: readonly string[];
}

/** The CEL inputs of one write for one matched version of its resource. */
export interface Inputs {
  readonly object: unknown;
  readonly oldObject: unknown;
  /** `request` of validations: kind and resource the matched version's. */
  readonly request: unknown;
  /** `request` of matchConditions: upstream gives them the request's own resource with the matched kind. */
  readonly conditionRequest: unknown;
  /** `authorizer`: the cluster's authorizer for the writer. */
  readonly authorizer: AuthorizerValue;
}

/** The longest message a messageExpression may give (upstream's MaxEvaluatedMessageExpressionSizeBytes). */
const MAX_MESSAGE_BYTES = 5 * 1024;

function messageOf(p: CompiledPolicy['validations'][number], ctx: Record<string, unknown>): string {
  if (p.messageExpression) {
    try {
      const m = evaluate(p.messageExpression, ctx);
      if (typeof m === 'string') {
        const t = m.trim();
        if (t !== '' && Buffer.byteLength(t) <= MAX_MESSAGE_BYTES && !t.includes('\n')) return t;
      }
    } catch {
      // A failing messageExpression falls back to message, as upstream (which only logs it).
    }
  }
  if (p.message !== '' && p.message.trim() !== '') return p.message.trim();
  return `failed expression: ${p.expression.text.trim()}`;
}

/** cel-go's name of a value's type. */
function celType(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  if (typeof v === 'object' && v !== null) return 'map';
  return typeof v;
}

/** One evaluation of the policy (upstream's validator.Validate). */
export function evaluatePolicy(p: CompiledPolicy, inputs: Inputs, params: unknown, nsObject: unknown): Result {
  const failAction = p.failurePolicy !== 'Ignore';
  const base = { object: inputs.object, oldObject: inputs.oldObject, request: inputs.request, namespaceObject: nsObject, params, authorizer: inputs.authorizer };
  if (p.matchConditions.length > 0) {
    const ctx = { ...base, request: inputs.conditionRequest, namespaceObject: null };
    const failures: string[] = [];
    for (const c of p.matchConditions) {
      let r: unknown;
      try {
        r = evaluate(c.expression, ctx);
      } catch (e) {
        if (!(e instanceof EvaluationFailure)) throw e;
        failures.push(e.message);
        continue;
      }
      if (r === false) return { decisions: [], refusals: [] };
    }
    if (failures.length > 0) {
      if (!failAction) return { decisions: [], refusals: [] };
      return { decisions: [{ deny: true, message: failures.length === 1 ? failures[0]! : `[${failures.join(', ')}]` }], refusals: [] };
    }
  }
  const ctx: Record<string, unknown> = { ...base };
  ctx.variables = lazyVariables(p.variables, base);
  const decisions: Decision[] = [];
  for (const v of p.validations) {
    let r: unknown;
    try {
      r = evaluate(v.expression, ctx);
    } catch (e) {
      if (!(e instanceof EvaluationFailure)) throw e;
      decisions.push({ deny: failAction, message: e.message });
      continue;
    }
    if (r === true) continue;
    decisions.push({ deny: true, message: messageOf(v, ctx), reason: v.reason ?? 'Invalid' });
  }
  const refusals: string[] = [];
  for (const an of p.auditAnnotations) {
    let r: unknown;
    try {
      r = evaluate(an.valueExpression, ctx);
    } catch (e) {
      if (!(e instanceof EvaluationFailure)) throw e;
      if (failAction) refusals.push(e.message);
      continue;
    }
    if (typeof r === 'string' || r === null) continue; // published to the audit log upstream: there is none here
    refusals.push(`valueExpression '${an.valueExpression.text}' resulted in unsupported return type: ${celType(r)}. Return type must be either string or null.`);
  }
  return { decisions, refusals };
}

interface Refusal {
  readonly policy: string;
  readonly binding: string | undefined;
  readonly message: string;
  readonly reason?: string;
}

export function validatePolicies(ctx: PolicyContext, req: AdmissionRequest): void {
  const hooks = ctx.source.hooks();
  if (hooks.length === 0) return;
  const a = attributesOf(req);
  let eqs: readonly ResourceDef[] | undefined;
  const m: Matching = { a, labelsOf: namespaceLabels(ctx.vc), equivalents: () => (eqs ??= equivalentResources(ctx.vc.registry, a.def)) };
  const refusals: Refusal[] = [];
  const configError = (p: CompiledPolicy, binding: string | undefined, why: string): void => {
    if (p.failurePolicy === 'Ignore') return;
    const message = p.failurePolicy === 'Fail'
      ? `failed to configure ${binding === undefined ? 'policy' : 'binding'}: ${why}`
      : `unrecognized failure policy: '${p.failurePolicy}'`;
    refusals.push({ policy: p.name, binding, message });
  };
  // The CEL inputs per matched version, made on first use.
  const inputs = new Map<ResourceDef, Inputs>();
  let authorizer: AuthorizerValue | undefined;
  const inputsFor = (def: ResourceDef): Inputs => {
    let i = inputs.get(def);
    if (!i) {
      const review = { attributes: a, def, object: undefined, oldObject: undefined, user: req.user, dryRun: req.dryRun, options: req.options };
      const { object: _o, oldObject: _p, ...shown } = admissionRequest('', review);
      const request = celRequest(shown);
      const conditionRequest = { ...request, resource: { group: a.def.group, version: a.def.version, resource: a.def.plural } };
      i = {
        // Another kind's object (a CONNECT's options, a Scale, a Binding ...) is shown as it is.
        object: a.object ? toCel(a.kind ? a.object : convertObject(a.def, def, a.object)) : null,
        oldObject: a.oldObject ? toCel(a.kind ? a.oldObject : convertObject(a.def, def, a.oldObject)) : null,
        request: toCel(request), conditionRequest: toCel(conditionRequest),
        authorizer: authorizer ??= new AuthorizerValue(ctx.vc.authorizer, req.user ?? SERVER_USER, {
          group: a.def.group, resource: a.def.plural, subresource: a.subresource, namespace: a.namespace, name: a.name,
        }),
      };
      inputs.set(def, i);
    }
    return i;
  };
  let nsObject: unknown;
  const namespaceObjectOf = (): unknown => {
    if (nsObject !== undefined) return nsObject;
    // A Namespace's own write has none (its request names it as its namespace).
    if (a.namespace === '' || (a.def.group === '' && a.def.version === 'v1' && a.def.kind === 'Namespace')) return (nsObject = null);
    const nsDef = ctx.vc.registry.find('', 'v1', 'namespaces');
    const ns = nsDef ? ctx.vc.store.peek(nsDef, undefined, a.namespace) : undefined;
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, a.namespace);
    return (nsObject = toCel(namespaceObject(ns)));
  };

  for (const hook of hooks) {
    const p = ctx.source.compile(hook.policy);
    if (p.unusable) continue;
    if (!p.matchConstraints) {
      configError(p, undefined, 'policy contained no match constraints, a required field');
      continue;
    }
    const matched = matches(p.matchConstraints, m);
    if (matched === false) continue;
    if (typeof matched === 'string') { configError(p, undefined, matched); continue; }
    const paramDef = p.paramKind ? paramResource(ctx.vc, p.paramKind) : undefined;
    if (paramDef instanceof ParamsError) { configError(p, undefined, paramDef.message); continue; }
    for (const b of hook.bindings) {
      if (b.matchResources) {
        const bm = matches(b.matchResources, m);
        if (bm === false) continue;
        if (typeof bm === 'string') { configError(p, b.name, bm); continue; }
      }
      let params: Array<KubeObject | null>;
      try {
        params = collectParams(ctx.vc, p.paramKind, paramDef, b.paramRef, a.namespace);
      } catch (e) {
        if (!(e instanceof ParamsError)) throw e;
        configError(p, b.name, e.message);
        continue;
      }
      if (params.length === 0) continue;
      const input = inputsFor(matched);
      const ns = namespaceObjectOf();
      for (const param of params) {
        const r = evaluatePolicy(p, input, param === null ? null : toCel(param), ns);
        applyResult(r, p, b, req, refusals);
      }
    }
  }
  const first = refusals[0];
  if (first) throw policyDenied(a, first.policy, first.binding, first.message, first.reason);
}

/** A binding's validationActions applied to what the evaluation found. */
function applyResult(r: Result, p: CompiledPolicy, b: Binding, req: AdmissionRequest, refusals: Refusal[]): void {
  for (const d of r.decisions) {
    if (!d.deny) continue;
    for (const action of b.validationActions) {
      if (action === 'Deny') refusals.push({ policy: p.name, binding: b.name, message: d.message, reason: d.reason });
      else if (action === 'Warn') req.warn(policyWarning(p.name, b.name, d.message));
      // Audit: upstream records the failure in the request's audit event; kubevisor keeps no audit log.
    }
  }
  for (const message of r.refusals) refusals.push({ policy: p.name, binding: b.name, message });
}
