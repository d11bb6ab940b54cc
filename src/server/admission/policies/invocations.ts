// What validating and mutating admission policies share when a write comes
// (upstream's generic policy dispatcher and the CEL activation): which
// policy, binding and param evaluations the write calls for, and the CEL
// inputs they are evaluated with.
//
// For each policy with bindings whose matchConstraints match the write
// (namespace and object selectors, excludeResourceRules, resourceRules with
// resourceNames, matchPolicy Equivalent over the other versions of the
// resource), each binding whose matchResources match too is invoked once per
// param object (params.ts). A misconfiguration (no matchConstraints, a
// selector that does not parse, a paramKind the cluster does not serve,
// params not found under parameterNotFoundAction Deny) is reported to the
// caller, whose failurePolicy handling decides what it does.

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
import { evaluate, EvaluationFailure } from './cel.ts';
import type { Binding, MatchResources, NamedRule, PolicyBase } from './compile.ts';
import { collectParams, paramResource, ParamsError } from './params.ts';
import type { PolicySource } from './source.ts';

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

/** The CEL inputs of one write for one matched version of its resource. */
export interface Inputs {
  readonly object: unknown;
  readonly oldObject: unknown;
  /** `request` of validations and mutations: kind and resource the matched version's. */
  readonly request: unknown;
  /** `request` of matchConditions: upstream gives them the request's own resource with the matched kind. */
  readonly conditionRequest: unknown;
  /** `authorizer`: the cluster's authorizer for the writer. */
  readonly authorizer: AuthorizerValue;
}

/** `obj` (of the request's version) as CEL sees it in `def`'s version: another kind's object (a CONNECT's options, a Scale ...) as it is. */
export function celObject(a: Attributes, def: ResourceDef, obj: KubeObject | undefined): unknown {
  return obj ? toCel(a.kind ? obj : convertObject(a.def, def, obj)) : null;
}

/** One write as policies see it: matching, and its CEL inputs made on first use. */
export class PolicyWrite {
  readonly vc: VirtualCluster;
  readonly req: AdmissionRequest;
  readonly a: Attributes;
  readonly m: Matching;
  private readonly inputs = new Map<ResourceDef, Inputs>();
  private authorizer: AuthorizerValue | undefined;
  private nsObject: unknown;

  constructor(vc: VirtualCluster, req: AdmissionRequest) {
    this.vc = vc;
    this.req = req;
    const a = attributesOf(req);
    this.a = a;
    let eqs: readonly ResourceDef[] | undefined;
    this.m = { a, labelsOf: namespaceLabels(vc), equivalents: () => (eqs ??= equivalentResources(vc.registry, a.def)) };
  }

  /** The CEL inputs for the matched version `def`, `object` the write's as it came. */
  inputsFor(def: ResourceDef): Inputs {
    let i = this.inputs.get(def);
    if (!i) {
      const { a, req } = this;
      const review = { attributes: a, def, object: undefined, oldObject: undefined, user: req.user, dryRun: req.dryRun, options: req.options };
      const { object: _o, oldObject: _p, ...shown } = admissionRequest('', review);
      const request = celRequest(shown);
      const conditionRequest = { ...request, resource: { group: a.def.group, version: a.def.version, resource: a.def.plural } };
      i = {
        object: celObject(a, def, a.object),
        oldObject: celObject(a, def, a.oldObject),
        request: toCel(request), conditionRequest: toCel(conditionRequest),
        authorizer: this.authorizer ??= new AuthorizerValue(this.vc.authorizer, req.user ?? SERVER_USER, {
          group: a.def.group, resource: a.def.plural, subresource: a.subresource, namespace: a.namespace, name: a.name,
        }),
      };
      this.inputs.set(def, i);
    }
    return i;
  }

  /** `namespaceObject`: the write's Namespace (null for cluster-scoped writes and a Namespace's own); a 404 when it is not there. */
  namespaceObject(): unknown {
    if (this.nsObject !== undefined) return this.nsObject;
    const a = this.a;
    // A Namespace's own write has none (its request names it as its namespace).
    if (a.namespace === '' || (a.def.group === '' && a.def.version === 'v1' && a.def.kind === 'Namespace')) return (this.nsObject = null);
    const nsDef = this.vc.registry.find('', 'v1', 'namespaces');
    const ns = nsDef ? this.vc.store.peek(nsDef, undefined, a.namespace) : undefined;
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, a.namespace);
    return (this.nsObject = toCel(namespaceObject(ns)));
  }
}

/** One evaluation a write calls for: a policy, one of its bindings, one param. */
export interface Invocation<P> {
  readonly policy: P;
  readonly binding: Binding;
  /** The resource (version) the policy matched the write as. */
  readonly matched: ResourceDef;
  readonly param: KubeObject | null;
}

/** A misconfiguration found while matching: of the policy (binding undefined) or of a binding. */
export type ConfigError<P> = (policy: P, binding: string | undefined, why: string) => void;

/**
 * The evaluations the write calls for, in order (policies by name, bindings
 * by name, params as found), each as it is reached: misconfigurations are
 * reported between them, in the same order.
 */
export function* invocations<P extends PolicyBase>(w: PolicyWrite, source: PolicySource<P>, configError: ConfigError<P>): Generator<Invocation<P>> {
  for (const hook of source.hooks()) {
    const p = source.compile(hook.policy);
    if (p.unusable) continue;
    if (!p.matchConstraints) {
      configError(p, undefined, 'policy contained no match constraints, a required field');
      continue;
    }
    const matched = matches(p.matchConstraints, w.m);
    if (matched === false) continue;
    if (typeof matched === 'string') { configError(p, undefined, matched); continue; }
    const paramDef = p.paramKind ? paramResource(w.vc, p.paramKind) : undefined;
    if (paramDef instanceof ParamsError) { configError(p, undefined, paramDef.message); continue; }
    for (const b of hook.bindings) {
      if (b.matchResources) {
        const bm = matches(b.matchResources, w.m);
        if (bm === false) continue;
        if (typeof bm === 'string') { configError(p, b.name, bm); continue; }
      }
      let params: Array<KubeObject | null>;
      try {
        params = collectParams(w.vc, p.paramKind, paramDef, b.paramRef, w.a.namespace);
      } catch (e) {
        if (!(e instanceof ParamsError)) throw e;
        configError(p, b.name, e.message);
        continue;
      }
      for (const param of params) yield { policy: p, binding: b, matched, param };
    }
  }
}

/**
 * The policy's matchConditions (upstream's matcher): false when one is false;
 * otherwise the failures' text when some failed under failurePolicy Fail
 * (Ignore: false); true when all hold. `base` holds object, oldObject,
 * params and authorizer; the conditions see the request's own resource and
 * no namespaceObject.
 */
export function conditionsMatch(p: PolicyBase, base: Record<string, unknown>, conditionRequest: unknown): boolean | string {
  if (p.matchConditions.length === 0) return true;
  const ctx = { ...base, request: conditionRequest, namespaceObject: null };
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
    if (r === false) return false;
  }
  if (failures.length === 0) return true;
  if (p.failurePolicy === 'Ignore') return false;
  return failures.length === 1 ? failures[0]! : `[${failures.join(', ')}]`;
}
