// The RBAC authorizer: a request is allowed when a rule of a role bound to the
// user allows it; the reason names the binding, as upstream's does. Members of
// system:masters are allowed before RBAC is asked, with no reason, as
// kube-apiserver's privileged-group authorizer (first in its chain) allows
// them: deleting or breaking the cluster-admin binding cannot lock the
// administrators out. Discovery, public info and the self reviews are allowed
// by the bootstrap bindings like any other grant. What a master may do
// (rulesFor) still comes from RBAC alone, as upstream's.

import { ApiError, errors } from '../../api/errors.ts';
import type { ResourceAttributes, UserInfo } from '../../registry/types.ts';
import type { WatchCache } from '../../registry/generic/watch-cache.ts';
import type { Authorizer, Decision, RulesStatus } from '../auth/authorize.ts';
import { aggregateMessage, RuleResolver } from './resolver.ts';
import { goQuote, ruleAllows } from './rules.ts';

const PRIVILEGED_GROUP = 'system:masters';

export class RbacAuthorizer implements Authorizer {
  readonly resolver: RuleResolver;

  constructor(cacheOrResolver: WatchCache | RuleResolver) {
    this.resolver = cacheOrResolver instanceof RuleResolver ? cacheOrResolver : new RuleResolver(cacheOrResolver);
  }

  authorize(user: UserInfo, attrs: ResourceAttributes): Decision {
    if (user.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, reason: '' };
    let reason = '';
    const errs: Error[] = [];
    this.resolver.visitRulesFor(user, attrs.namespace ?? '', (source, rule, err) => {
      if (rule && source && ruleAllows(attrs, rule)) {
        reason = `RBAC: allowed by ${source.toString()}`;
        return false;
      }
      if (err) errs.push(err);
      return true;
    });
    if (reason) return { allowed: true, reason };
    return { allowed: false, reason: errs.length > 0 ? `RBAC: ${aggregateMessage(errs)}` : '' };
  }

  rulesFor(user: UserInfo, namespace: string): RulesStatus {
    const { rules, errors: errs } = this.resolver.rulesFor(user, namespace);
    const status: RulesStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
    for (const r of rules) {
      if (r.resources && r.resources.length > 0) {
        const rr: RulesStatus['resourceRules'][number] = { verbs: r.verbs };
        if (r.apiGroups?.length) rr.apiGroups = r.apiGroups;
        rr.resources = r.resources;
        if (r.resourceNames?.length) rr.resourceNames = r.resourceNames;
        status.resourceRules.push(rr);
      }
      if (r.nonResourceURLs && r.nonResourceURLs.length > 0) {
        status.nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
      }
    }
    if (errs.length > 0) status.evaluationError = aggregateMessage(errs);
    return status;
  }

  stop(): void {
    this.resolver.stop();
  }
}

/** Upstream's text for a denied request: `User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenText(user: UserInfo, attrs: ResourceAttributes): string {
  if (attrs.path !== undefined) return `User ${goQuote(user.username)} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  const res = attrs.subresource ? `${attrs.resource ?? ''}/${attrs.subresource}` : attrs.resource ?? '';
  const where = attrs.namespace ? ` in the namespace ${goQuote(attrs.namespace)}` : ' at the cluster scope';
  return `User ${goQuote(user.username)} cannot ${attrs.verb} resource ${goQuote(res)} in API group ${goQuote(attrs.group ?? '')}${where}`;
}

const sanitize = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The 403 upstream answers a denied request with: the denial text (HTML-escaped, as
 * upstream's response writer does) and the authorizer's reason when it gave one.
 */
export function forbiddenError(user: UserInfo, attrs: ResourceAttributes, reason = ''): ApiError {
  const text = sanitize(forbiddenText(user, attrs));
  const msg = reason ? `${text}: ${reason}` : text;
  if (attrs.path !== undefined) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  return errors.forbidden({ group: attrs.group ?? '', resource: attrs.resource ?? '' }, attrs.name ?? '', msg);
}
