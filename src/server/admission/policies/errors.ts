// What a client is told when a ValidatingAdmissionPolicy refuses a write or
// warns about it (a MutatingAdmissionPolicy's failure: at the end), in
// upstream's words (admission/plugin/policy/validating
// dispatcher and policy_decision):
//
// - a refusal is admission's Forbidden error for the write (`RESOURCE "NAME"
//   is forbidden: MESSAGE`, details naming the object) whose reason is the
//   failed validation's `reason` (Invalid when unset, and for evaluation and
//   configuration errors) with that reason's code (Unauthorized 401,
//   Forbidden 403, RequestEntityTooLarge 413, anything else 422), and the
//   message repeated as a cause; MESSAGE is
//   `ValidatingAdmissionPolicy 'POLICY' with binding 'BINDING' denied request: WHY`
//   (`ValidatingAdmissionPolicy 'POLICY' denied request: WHY` for a policy's
//   own configuration error);
// - a warning (validationActions Warn) reads
//   `Validation failed for ValidatingAdmissionPolicy 'POLICY' with binding 'BINDING': WHY`.

import { ApiError, qualifiedResource, type StatusReason } from '../../../api/errors.ts';
import type { Attributes } from '../matching.ts';

function codeOf(reason: string): number {
  switch (reason) {
    case 'Forbidden': return 403;
    case 'Unauthorized': return 401;
    case 'RequestEntityTooLarge': return 413;
    default: return 422;
  }
}

/** The name admission errors give the object: the request's, else the object's name or generateName, else Unknown. */
function nameOf(a: Attributes): string {
  if (a.name !== '') return a.name;
  const m = a.object?.metadata;
  if (!m) return 'Unknown';
  return m.name || m.generateName || 'Unknown';
}

/** The denial of the write by `policy` (and `binding`, unless the policy itself is misconfigured). */
export function policyDenied(a: Attributes, policy: string, binding: string | undefined, why: string, reason: string | undefined): ApiError {
  const message = binding === undefined
    ? `ValidatingAdmissionPolicy '${policy}' denied request: ${why}`
    : `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${why}`;
  const gr = { group: a.def.group, resource: a.def.plural };
  const name = nameOf(a);
  const r = reason || 'Invalid';
  return new ApiError(codeOf(r), r as StatusReason, `${qualifiedResource(gr)} "${name}" is forbidden: ${message}`, {
    name, group: gr.group, kind: gr.resource, causes: [{ message }],
  });
}

export function policyWarning(policy: string, binding: string, why: string): string {
  return `Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${why}`;
}

/** A MutatingAdmissionPolicy's failure: of a binding's evaluation, or (binding undefined) of the policy's configuration. */
export interface PolicyFailure {
  readonly policy: string;
  readonly binding: string | undefined;
  readonly message: string;
  /** The Status reason (Invalid for evaluation errors); undefined: Forbidden. */
  readonly reason?: string;
}

/**
 * The refusal of a write by MutatingAdmissionPolicies (upstream's generic
 * policy dispatcher): admission's Forbidden error (403) whose message is the
 * first failure's (`policy 'POLICY' with binding 'BINDING' denied request:
 * WHY`, or `policy "POLICY" denied request: WHY`), its reason the first
 * failure's (Forbidden when it has none), every failure a cause.
 */
export function mutatingPolicyDenied(a: Attributes, failures: readonly PolicyFailure[]): ApiError {
  const text = (f: PolicyFailure) => (f.binding === undefined
    ? `policy ${JSON.stringify(f.policy)} denied request: ${f.message}`
    : `policy '${f.policy}' with binding '${f.binding}' denied request: ${f.message}`);
  const first = failures[0]!;
  const gr = { group: a.def.group, resource: a.def.plural };
  return new ApiError(403, (first.reason ?? 'Forbidden') as StatusReason, text(first), {
    name: nameOf(a), group: gr.group, kind: gr.resource, causes: failures.map((f) => ({ message: text(f) })),
  });
}
