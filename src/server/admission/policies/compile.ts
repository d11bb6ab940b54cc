// A stored ValidatingAdmissionPolicy or ValidatingAdmissionPolicyBinding
// read into what evaluation needs, the policy's CEL compiled (once per
// generation: the index keeps it). What Mutating policies and bindings share
// with them (matching, params, matchConditions, variables) is read by
// compileBase and readBinding for both. Fields a stored object lacks take the
// API's defaults (failurePolicy Fail, matchPolicy Equivalent, selectors {},
// rule scope *), as upstream's defaulting gives every stored object.

import type { LabelSelector } from '../../../api/selectors/labels.ts';
import type { KubeObject } from '../../../api/types.ts';
import { parseSelector, type Rule } from '../matching.ts';
import { compileExpression, type CompileOptions, type Expression, type Variable } from './cel.ts';

/** A rule of resourceRules or excludeResourceRules. */
export interface NamedRule extends Rule {
  /** Empty: any name. */
  readonly resourceNames: readonly string[];
}

/** A policy's matchConstraints or a binding's matchResources. */
export interface MatchResources {
  readonly namespaceSelector: LabelSelector | Error;
  readonly objectSelector: LabelSelector | Error;
  readonly resourceRules: readonly NamedRule[];
  readonly excludeResourceRules: readonly NamedRule[];
  readonly matchPolicy: 'Equivalent' | 'Exact';
}

export interface ParamKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly group: string;
  readonly version: string;
}

export interface Validation {
  readonly expression: Expression;
  readonly message: string;
  readonly messageExpression: Expression | undefined;
  /** The Status reason of a failure; undefined: Invalid. */
  readonly reason: string | undefined;
}

export interface AuditAnnotation {
  readonly key: string;
  readonly valueExpression: Expression;
}

export interface MatchCondition {
  readonly name: string;
  readonly expression: Expression;
}

/** What validating and mutating policies share. */
export interface PolicyBase {
  readonly name: string;
  /** Fail, Ignore, or what else is stored (a configuration error says it is unrecognized). */
  readonly failurePolicy: string;
  /** Undefined when the policy has none (a configuration error). */
  readonly matchConstraints: MatchResources | undefined;
  readonly paramKind: ParamKind | undefined;
  /** The paramKind's apiVersion does not parse: upstream leaves the policy out. */
  readonly unusable: boolean;
  readonly matchConditions: readonly MatchCondition[];
  readonly variables: readonly Variable[];
}

export interface CompiledPolicy extends PolicyBase {
  readonly validations: readonly Validation[];
  readonly auditAnnotations: readonly AuditAnnotation[];
}

export interface ParamRef {
  readonly name: string;
  readonly namespace: string;
  readonly selector: LabelSelector | Error | undefined;
  /** Allow, Deny, or undefined when unset. */
  readonly parameterNotFoundAction: string | undefined;
}

export interface Binding {
  readonly name: string;
  readonly policyName: string;
  readonly paramRef: ParamRef | undefined;
  /** Undefined: everything the policy matches. */
  readonly matchResources: MatchResources | undefined;
  /** A ValidatingAdmissionPolicyBinding's (empty for a mutating one). */
  readonly validationActions: readonly string[];
}

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : [];
}

function rules(v: unknown): NamedRule[] {
  return list(v).map((r) => ({
    operations: strings(r.operations), apiGroups: strings(r.apiGroups), apiVersions: strings(r.apiVersions),
    resources: strings(r.resources), scope: str(r.scope) ?? '*', resourceNames: strings(r.resourceNames),
  }));
}

export function matchResources(v: unknown): MatchResources | undefined {
  const m = obj(v);
  if (!m) return undefined;
  return {
    namespaceSelector: parseSelector(m.namespaceSelector),
    objectSelector: parseSelector(m.objectSelector),
    resourceRules: rules(m.resourceRules),
    excludeResourceRules: rules(m.excludeResourceRules),
    matchPolicy: m.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
  };
}

/** A group/version string as upstream's paramKind parsing reads it; undefined when it does not parse. */
function groupVersion(gv: string): { group: string; version: string } | undefined {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: gv };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return undefined;
}

/** The variables each place of a policy may read (upstream's optional declarations). */
export function declared(hasParams: boolean, opts: { authorizer: boolean; variables: boolean }): string[] {
  const names = ['object', 'oldObject', 'request', 'namespaceObject'];
  if (hasParams) names.push('params');
  if (opts.authorizer) names.push('authorizer');
  if (opts.variables) names.push('variables');
  return names;
}

/**
 * The parts every policy has, compiled: variables see `object`, `oldObject`,
 * `request`, `namespaceObject`, `authorizer`, `variables` and (with a
 * paramKind) `params`; matchConditions the same without `variables`.
 * `opts.patchTypes`: variables may construct patch types (mutating policies).
 */
export function compileBase(policy: KubeObject, opts: CompileOptions = {}): PolicyBase & { readonly spec: Obj; readonly hasParams: boolean } {
  const spec = obj((policy as Obj).spec) ?? {};
  const pk = obj(spec.paramKind);
  let paramKind: ParamKind | undefined;
  let unusable = false;
  if (pk) {
    const apiVersion = str(pk.apiVersion) ?? '';
    const gv = groupVersion(apiVersion);
    if (gv) paramKind = { apiVersion, kind: str(pk.kind) ?? '', ...gv };
    else unusable = true;
  }
  const hasParams = pk !== undefined;
  const full = declared(hasParams, { authorizer: true, variables: true });
  const conditionVars = declared(hasParams, { authorizer: true, variables: false });
  return {
    spec,
    hasParams,
    name: policy.metadata.name ?? '',
    failurePolicy: str(spec.failurePolicy) ?? 'Fail',
    matchConstraints: matchResources(spec.matchConstraints),
    paramKind,
    unusable,
    matchConditions: list(spec.matchConditions).map((c) => ({
      name: str(c.name) ?? '', expression: compileExpression(str(c.expression) ?? '', conditionVars),
    })),
    variables: list(spec.variables).map((v) => ({
      name: str(v.name) ?? '', expression: compileExpression(str(v.expression) ?? '', full, opts),
    })),
  };
}

export function compilePolicy(policy: KubeObject): CompiledPolicy {
  const { spec, hasParams, ...base } = compileBase(policy);
  const full = declared(hasParams, { authorizer: true, variables: true });
  const messageVars = declared(hasParams, { authorizer: false, variables: true });
  return {
    ...base,
    validations: list(spec.validations).map((v) => {
      const me = str(v.messageExpression) ?? '';
      return {
        expression: compileExpression(str(v.expression) ?? '', full),
        message: str(v.message) ?? '',
        messageExpression: me.trim() === '' ? undefined : compileExpression(me, messageVars),
        reason: str(v.reason) || undefined,
      };
    }),
    auditAnnotations: list(spec.auditAnnotations).map((a) => ({
      key: str(a.key) ?? '', valueExpression: compileExpression(str(a.valueExpression) ?? '', full),
    })),
  };
}

export function readBinding(binding: KubeObject): Binding {
  const spec = obj((binding as Obj).spec) ?? {};
  const pr = obj(spec.paramRef);
  return {
    name: binding.metadata.name ?? '',
    policyName: str(spec.policyName) ?? '',
    paramRef: pr && {
      name: str(pr.name) ?? '',
      namespace: str(pr.namespace) ?? '',
      selector: pr.selector === undefined || pr.selector === null ? undefined : parseSelector(pr.selector),
      parameterNotFoundAction: str(pr.parameterNotFoundAction),
    },
    matchResources: matchResources(spec.matchResources),
    validationActions: strings(spec.validationActions),
  };
}
