// Which webhooks a write goes to, as upstream decides it (admission plugin
// webhook/predicates and generic.ShouldCallHook): the namespace selector, the
// object selector, then the rules (operation, API group, version, resource
// and subresource, scope); under matchPolicy Equivalent, a rule that names
// another version of the same stored resource matches too, and the webhook
// is sent the object in that version. The rule and selector matching is
// shared with admission policies (../matching.ts).

import type { ApiError } from '../../../api/errors.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type Attributes, type NamespaceLabels } from '../matching.ts';
import type { Webhook } from './config.ts';

export {
  convertObject, equivalentResources, isExempt, namespaceSelectorMatches, objectSelectorMatches, ruleMatches,
  type Attributes, type NamespaceLabels,
} from '../matching.ts';

/** A webhook to call, and the version of the resource it is sent. */
export interface Invocation {
  readonly webhook: Webhook;
  /** The resource in the version the webhook asked for (the request's own, or an equivalent one). */
  readonly def: ResourceDef;
}

/**
 * Whether to call `w` for the write (undefined: not), and in which version;
 * an ApiError when a selector cannot be evaluated for a webhook whose rules
 * match. `equivalents` lists the other versions of the resource (asked for
 * only when no rule matches the request's own).
 */
export function invocationFor(w: Webhook, a: Attributes, labelsOf: NamespaceLabels, equivalents: () => readonly ResourceDef[]): Invocation | ApiError | undefined {
  const nsMatch = namespaceSelectorMatches(w, a, labelsOf);
  if (nsMatch === false) return undefined;
  const objMatch = objectSelectorMatches(w, a);
  if (objMatch === false) return undefined;
  let inv: Invocation | undefined;
  if (w.rules.some((r) => ruleMatches(r, a))) inv = { webhook: w, def: a.def };
  if (!inv && w.matchPolicy === 'Equivalent') {
    // Earlier rules first, each against every equivalent version.
    outer: for (const r of w.rules) {
      for (const eq of equivalents()) {
        if (ruleMatches(r, a, eq)) { inv = { webhook: w, def: eq }; break outer; }
      }
    }
  }
  if (!inv) return undefined;
  if (nsMatch !== true) return nsMatch;
  if (objMatch !== true) return objMatch;
  return inv;
}
