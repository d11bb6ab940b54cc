// Mutating a write with the cluster's MutatingAdmissionPolicies, as
// upstream's mutating policy dispatcher does (creates, updates and connect
// requests; not deletes):
//
// Each policy, binding and param the write calls for (../invocations.ts:
// matching and params as for ValidatingAdmissionPolicies) is invoked in
// order: its matchConditions (one false skips it; failures fail per
// failurePolicy), then each of its mutations in order, each seeing the
// object as the ones before left it (in the version the policy matched;
// `object`, `oldObject`, `request`, `params`, `namespaceObject`,
// `authorizer`, `variables`). A mutated object is defaulted, and what a
// mutation may not change of the write (its identity) is put back.
//
// Reinvocation (reinvocationPolicy IfNeeded): a policy invoked before some
// later mutation changed the object (a later policy's, or in the store's
// reinvocation pass a webhook's) is invoked once more in the reinvocation
// pass, as upstream's reinvocation context decides it.
//
// Failures (evaluation errors, mutations that do not apply, matchCondition
// errors: reason Invalid; misconfigurations: Forbidden) are collected; those
// of policies whose failurePolicy is Ignore are dropped, and the first of the
// rest refuses the write (../errors.ts). A Namespace that is not there, or a
// patched object the kind cannot hold, refuses it at once.

import { schemaForKind } from '../../../../api/schema/index.ts';
import type { KubeObject } from '../../../../api/types.ts';
import type { AdmissionRequest } from '../../../../registry/generic/admission.ts';
import { jsonEqual } from '../../../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../../../registry/types.ts';
import type { VirtualCluster } from '../../../cluster.ts';
import { readConnectOptions } from '../../connect.ts';
import { convertObject } from '../../matching.ts';
import { keepIdentity, mutationView, replaceInPlace } from '../../mutation.ts';
import { toCel } from '../../webhooks/match-conditions.ts';
import { readPatched } from '../../webhooks/patch.ts';
import { evaluate, EvaluationFailure, lazyVariables } from '../cel.ts';
import { mutatingPolicyDenied, type PolicyFailure } from '../errors.ts';
import { conditionsMatch, invocations, PolicyWrite, type Invocation } from '../invocations.ts';
import type { PolicySource } from '../source.ts';
import type { Mutation, MutatingPolicy } from './compile.ts';
import { applyConfiguration, applyPatch, jsonPatchOf, MutationFailure } from './patch.ts';

export interface MutatingContext {
  readonly vc: VirtualCluster;
  readonly source: PolicySource<MutatingPolicy>;
}

/** What one write's policy invocations leave for its reinvocation pass (upstream's policy reinvocation context). */
interface ReinvocationState {
  /** IfNeeded invocations made since the last change. */
  readonly invokedReinvocable: Set<string>;
  /** Invocations to make again in the reinvocation pass. */
  readonly reinvoke: Set<string>;
  /** The object as the policies last left it. */
  lastOutput: KubeObject | undefined;
}

const states = new WeakMap<AdmissionRequest, ReinvocationState>();

function requireReinvoking(s: ReinvocationState): void {
  for (const k of s.invokedReinvocable) s.reinvoke.add(k);
  s.invokedReinvocable.clear();
}

function keyOf(inv: Invocation<MutatingPolicy>): string {
  const p = inv.param?.metadata;
  return JSON.stringify([inv.policy.name, inv.binding.name, p?.namespace ?? '', p?.name ?? '']);
}

function clone(o: KubeObject | undefined): KubeObject | undefined {
  return o === undefined ? undefined : structuredClone(o);
}

/** `GROUP/VERSION, Kind=KIND` of the object a mutation is shown. */
function gvkOf(req: AdmissionRequest, matched: ResourceDef): { group: string; version: string; kind: string } {
  return req.kind ?? { group: matched.group, version: matched.version, kind: matched.kind };
}

/** One mutation of `req.object` (the store's, changed in place); true when it changed it. */
function mutateOnce(req: AdmissionRequest, inv: Invocation<MutatingPolicy>, m: Mutation, ctx: Record<string, unknown>): boolean {
  const obj = req.object!;
  const other = req.kind !== undefined;
  const matched = inv.matched;
  const view = mutationView(req, obj);
  const shown = other ? view : convertObject(req.def, matched, view);
  ctx.object = toCel(shown);
  let value: unknown;
  try {
    value = evaluate(m.expression, ctx);
  } catch (e) {
    if (e instanceof EvaluationFailure) throw new MutationFailure(e.message);
    throw e;
  }
  const gvk = gvkOf(req, matched);
  let patched: KubeObject;
  if (m.patchType === 'ApplyConfiguration') {
    const schema = other ? schemaForKind(gvk.group, gvk.version, gvk.kind) : matched.schema?.();
    patched = applyConfiguration(shown, schema, `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`, value);
    if (!other) patched = readPatched(matched, patched as unknown as Parameters<typeof readPatched>[1]);
  } else {
    const out = applyPatch(shown, jsonPatchOf(value));
    if (!out) return false;
    if (req.operation === 'CONNECT') patched = readConnectOptions(gvk.kind, out);
    else if (other) patched = out as unknown as KubeObject;
    else patched = readPatched(matched, out);
  }
  if (req.operation === 'CONNECT') return replaceInPlace(obj, patched);
  if (typeof patched.metadata !== 'object' || patched.metadata === null) patched.metadata = {};
  if (!other) {
    patched = convertObject(matched, req.def, patched);
    keepIdentity(req, obj, patched);
    req.def.strategy.defaults?.(patched);
  } else {
    keepIdentity(req, obj, patched);
  }
  return replaceInPlace(obj, patched);
}

/**
 * Runs the policies for the write (`reinvocation`: the store's second pass);
 * true when they changed `req.object`. Throws the refusal.
 */
export function mutatePolicies(ctx: MutatingContext, req: AdmissionRequest, reinvocation: boolean): boolean {
  if (req.operation === 'DELETE' || !req.object) return false;
  let state = states.get(req);
  if (!state) {
    if (reinvocation) return false; // never invoked for this write
    state = { invokedReinvocable: new Set(), reinvoke: new Set(), lastOutput: undefined };
    states.set(req, state);
  }
  // Another plugin changed the object since the policies last left it: the IfNeeded ones run again.
  if (reinvocation && !jsonEqual(state.lastOutput, req.object)) requireReinvoking(state);
  const w = new PolicyWrite(ctx.vc, req);
  const failures: Array<PolicyFailure & { failurePolicy: string }> = [];
  const configError = (p: MutatingPolicy, binding: string | undefined, why: string): void => {
    failures.push({ policy: p.name, binding, failurePolicy: p.failurePolicy, message: `failed to configure ${binding === undefined ? 'policy' : 'binding'}: ${why}` });
  };
  let changed = false;
  for (const inv of invocations(w, ctx.source, configError)) {
    const p = inv.policy;
    const fail = (message: string) => failures.push({ policy: p.name, binding: inv.binding.name, failurePolicy: p.failurePolicy, message, reason: 'Invalid' });
    const inputs = w.inputsFor(inv.matched);
    const namespaceObject = w.namespaceObject();
    const params = inv.param === null ? null : toCel(inv.param);
    const view = mutationView(req, req.object!);
    const base: Record<string, unknown> = { object: toCel(req.kind ? view : convertObject(req.def, inv.matched, view)), oldObject: inputs.oldObject, params, authorizer: inputs.authorizer };
    const cond = conditionsMatch(p, base, inputs.conditionRequest);
    if (cond === false) continue;
    if (typeof cond === 'string') { fail(cond); continue; }
    const key = keyOf(inv);
    if (reinvocation && !state.reinvoke.has(key)) continue;
    const before = clone(req.object);
    // One activation per invocation: variables are read lazily, with the object of the mutation that reads them first.
    const activation: Record<string, unknown> = { ...base, request: inputs.request, namespaceObject };
    activation.variables = lazyVariables(p.variables, activation);
    for (const m of p.mutations) {
      if (!req.object) continue;
      try {
        mutateOnce(req, inv, m, activation);
      } catch (e) {
        if (e instanceof MutationFailure) { fail(e.message); continue; }
        throw e;
      }
    }
    if (!jsonEqual(before, req.object)) {
      changed = true;
      requireReinvoking(state);
    }
    if (p.reinvocationPolicy === 'IfNeeded') state.invokedReinvocable.add(key);
  }
  state.lastOutput = clone(req.object);
  const refusing = failures.filter((f) => f.failurePolicy !== 'Ignore');
  if (refusing.length > 0) throw mutatingPolicyDenied(w.a, refusing);
  return changed;
}
