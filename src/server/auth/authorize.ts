// May this user do this? system:masters may do anything; RBAC (a later issue)
// plugs in behind the same interface.

import type { ResourceAttributes, UserInfo } from '../../registry/types.ts';

export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** The status of a SelfSubjectRulesReview. */
export interface RulesStatus {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: ResourceAttributes): Promise<Decision> | Decision;
  /** What the user may do in a namespace, for SelfSubjectRulesReview. */
  rulesFor?(user: UserInfo, namespace: string): Promise<RulesStatus> | RulesStatus;
}

/** Paths every client may read, as a real cluster grants system:public-info-viewer. */
const publicPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function isPublicPath(path: string): boolean {
  return publicPaths.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}

/** What every authenticated user may do on a real cluster (system:basic-user, system:discovery). */
const selfReviews = new Set(['selfsubjectreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);
const discoveryPaths = /^\/(api|apis|openapi|version|healthz|livez|readyz)(\/|$)/;

export class MastersAuthorizer implements Authorizer {
  authorize(user: UserInfo, attrs: ResourceAttributes): Decision {
    if (user.groups.includes('system:masters')) return { allowed: true };
    if (attrs.path !== undefined && attrs.verb === 'get' && isPublicPath(attrs.path)) return { allowed: true };
    if (user.groups.includes('system:authenticated')) {
      if (attrs.path !== undefined && attrs.verb === 'get' && discoveryPaths.test(attrs.path)) return { allowed: true };
      if (attrs.verb === 'create' && selfReviews.has(attrs.resource ?? '') && (attrs.group === 'authentication.k8s.io' || attrs.group === 'authorization.k8s.io')) {
        return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user"' };
      }
    }
    return { allowed: false, reason: '' };
  }

  rulesFor(user: UserInfo, _namespace: string): RulesStatus {
    if (user.groups.includes('system:masters')) {
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
    }
    return {
      resourceRules: [],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }],
      incomplete: false,
    };
  }
}
