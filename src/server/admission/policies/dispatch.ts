// Evaluating a write against the cluster's ValidatingAdmissionPolicies, as
// upstream's validating policy dispatcher and validator do:
//
// Each policy, binding and param the write calls for (invocations.ts:
// matching, params) is evaluated: the matchConditions (one false skips the
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

import type { AdmissionRequest } from '../../../registry/generic/admission.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { toCel } from '../webhooks/match-conditions.ts';
import { evaluate, EvaluationFailure, lazyVariables } from './cel.ts';
import type { Binding, CompiledPolicy } from './compile.ts';
import { policyDenied, policyWarning } from './errors.ts';
import { conditionsMatch, invocations, PolicyWrite, type Inputs } from './invocations.ts';
import type { PolicySource } from './source.ts';

export { matches, type Inputs, type Matching } from './invocations.ts';

export interface PolicyContext {
  readonly vc: VirtualCluster;
  readonly source: PolicySource<CompiledPolicy>;
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
  const cond = conditionsMatch(p, base, inputs.conditionRequest);
  if (cond === false) return { decisions: [], refusals: [] };
  if (typeof cond === 'string') return { decisions: [{ deny: true, message: cond }], refusals: [] };
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
  if (ctx.source.hooks().length === 0) return;
  const w = new PolicyWrite(ctx.vc, req);
  const refusals: Refusal[] = [];
  const configError = (p: CompiledPolicy, binding: string | undefined, why: string): void => {
    if (p.failurePolicy === 'Ignore') return;
    const message = p.failurePolicy === 'Fail'
      ? `failed to configure ${binding === undefined ? 'policy' : 'binding'}: ${why}`
      : `unrecognized failure policy: '${p.failurePolicy}'`;
    refusals.push({ policy: p.name, binding, message });
  };
  for (const inv of invocations(w, ctx.source, configError)) {
    const input = w.inputsFor(inv.matched);
    const ns = w.namespaceObject();
    const r = evaluatePolicy(inv.policy, input, inv.param === null ? null : toCel(inv.param), ns);
    applyResult(r, inv.policy, inv.binding, req, refusals);
  }
  const first = refusals[0];
  if (first) throw policyDenied(w.a, first.policy, first.binding, first.message, first.reason);
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
