// A stored MutatingAdmissionPolicy read into what evaluation needs, its CEL
// compiled (once per generation: the policy source keeps it): what every
// policy has (../compile.ts: matching, paramKind, matchConditions, variables
// with patch types), reinvocationPolicy (Never unless IfNeeded), and each
// mutation's expression with patch types (`Object{...}`, `JSONPatch{...}`,
// jsonpatch.escapeKey). A mutation of another patchType, or without its
// body, is left out (the API's validation refuses both).

import type { KubeObject } from '../../../../api/types.ts';
import { compileExpression, type Expression } from '../cel.ts';
import { compileBase, declared, list, obj, str, type PolicyBase } from '../compile.ts';

export type PatchType = 'ApplyConfiguration' | 'JSONPatch';

export interface Mutation {
  readonly patchType: PatchType;
  readonly expression: Expression;
}

export interface MutatingPolicy extends PolicyBase {
  /** Never or IfNeeded. */
  readonly reinvocationPolicy: string;
  readonly mutations: readonly Mutation[];
}

export function compileMutatingPolicy(policy: KubeObject): MutatingPolicy {
  const { spec, hasParams, ...base } = compileBase(policy, { patchTypes: true });
  const full = declared(hasParams, { authorizer: true, variables: true });
  const mutations: Mutation[] = [];
  for (const m of list(spec.mutations)) {
    const patchType = str(m.patchType);
    const body = patchType === 'JSONPatch' ? obj(m.jsonPatch) : patchType === 'ApplyConfiguration' ? obj(m.applyConfiguration) : undefined;
    if (!body) continue;
    mutations.push({ patchType: patchType as PatchType, expression: compileExpression(str(body.expression) ?? '', full, { patchTypes: true }) });
  }
  return { ...base, reinvocationPolicy: str(spec.reinvocationPolicy) ?? 'Never', mutations };
}
