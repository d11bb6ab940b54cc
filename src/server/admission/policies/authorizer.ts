// The `authorizer` of policy expressions: Kubernetes' CEL authz library
// (apiserver cel/library authz) over the cluster's own authorizer, for the
// user who made the write (the server's own writes: the controller manager's
// user):
//
//   authorizer.group(G).resource(R)[.subresource(S)][.namespace(N)][.name(X)].check(VERB)
//   authorizer.path(P).check(HTTP_VERB)
//   authorizer.serviceAccount(NS, NAME)...      (the checks for that service account instead)
//   authorizer.requestResource.check(VERB)      (the write's own group, resource, subresource, namespace, name)
//   DECISION.allowed(), .reason(), .errored(), .error()
//
// A check asks with apiVersion '*', as upstream does. The library's field
// and label selector checks (a feature-gated addition) are not provided.

import type { Environment } from '@marcbachmann/cel-js';
import type { ResourceAttributes, UserInfo } from '../../../registry/types.ts';
import type { Authorizer } from '../../auth/authorize.ts';

const T = 'kubernetes.authorization.';

class Decision {
  readonly allowed: boolean;
  readonly reason: string;
  readonly error: string | undefined;
  constructor(allowed: boolean, reason: string, error: string | undefined) {
    this.allowed = allowed;
    this.reason = reason;
    this.error = error;
  }
}

function decide(authz: Authorizer, user: UserInfo, attrs: ResourceAttributes): Decision {
  try {
    const d = authz.authorize(user, attrs);
    // Expressions run synchronously: an authorizer that only answers later errs, and denies.
    if (typeof (d as { then?: unknown }).then === 'function') return new Decision(false, '', 'the authorizer did not answer synchronously');
    const r = d as { allowed: boolean; reason?: string };
    return new Decision(r.allowed, r.reason ?? '', undefined);
  } catch (e) {
    return new Decision(false, '', (e as Error).message);
  }
}

/** What the write names, for authorizer.requestResource. */
export interface RequestResource {
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

export class AuthorizerValue {
  readonly authz: Authorizer;
  readonly user: UserInfo;
  private readonly request: RequestResource | undefined;
  constructor(authz: Authorizer, user: UserInfo, request: RequestResource | undefined) {
    this.authz = authz;
    this.user = user;
    this.request = request;
  }

  get requestResource(): ResourceCheck {
    const r = this.request ?? { group: '', resource: '', subresource: '', namespace: '', name: '' };
    return new ResourceCheck(this, r.group, r.resource, r.subresource, r.namespace, r.name);
  }
}

class PathCheck {
  readonly a: AuthorizerValue;
  readonly path: string;
  constructor(a: AuthorizerValue, path: string) {
    this.a = a;
    this.path = path;
  }
}

class GroupCheck {
  readonly a: AuthorizerValue;
  readonly group: string;
  constructor(a: AuthorizerValue, group: string) {
    this.a = a;
    this.group = group;
  }
}

class ResourceCheck {
  readonly a: AuthorizerValue;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  constructor(a: AuthorizerValue, group: string, resource: string, subresource: string, namespace: string, name: string) {
    this.a = a;
    this.group = group;
    this.resource = resource;
    this.subresource = subresource;
    this.namespace = namespace;
    this.name = name;
  }

  with(o: Partial<Pick<ResourceCheck, 'subresource' | 'namespace' | 'name'>>): ResourceCheck {
    return new ResourceCheck(this.a, this.group, this.resource, o.subresource ?? this.subresource, o.namespace ?? this.namespace, o.name ?? this.name);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Declares the library's types and functions in `env`. */
export function registerAuthorizer(env: Environment): void {
  env.registerType(`${T}Authorizer`, { ctor: AuthorizerValue, fields: { requestResource: `${T}ResourceCheck` } });
  env.registerType(`${T}PathCheck`, { ctor: PathCheck, fields: {} });
  env.registerType(`${T}GroupCheck`, { ctor: GroupCheck, fields: {} });
  env.registerType(`${T}ResourceCheck`, { ctor: ResourceCheck, fields: {} });
  env.registerType(`${T}Decision`, { ctor: Decision, fields: {} });
  const fn = (signature: string, handler: (...args: never[]) => unknown) => env.registerFunction(signature, handler as (...args: unknown[]) => unknown);
  fn(`${T}Authorizer.path(string): ${T}PathCheck`, (a: AuthorizerValue, path: string) => {
    if (path.length === 0) throw new Error('path must not be empty');
    return new PathCheck(a, path);
  });
  fn(`${T}Authorizer.group(string): ${T}GroupCheck`, (a: AuthorizerValue, group: string) => new GroupCheck(a, group));
  fn(`${T}Authorizer.serviceAccount(string, string): ${T}Authorizer`, (a: AuthorizerValue, namespace: string, name: string) => {
    if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) throw new Error('Invalid service account name');
    if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) throw new Error('Invalid service account namespace');
    const user: UserInfo = { username: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
    return new AuthorizerValue(a.authz, user, undefined);
  });
  fn(`${T}GroupCheck.resource(string): ${T}ResourceCheck`, (g: GroupCheck, resource: string) => {
    if (resource.trim().length === 0) throw new Error('resource must not be empty');
    return new ResourceCheck(g.a, g.group, resource, '', '', '');
  });
  fn(`${T}ResourceCheck.subresource(string): ${T}ResourceCheck`, (r: ResourceCheck, subresource: string) => r.with({ subresource }));
  fn(`${T}ResourceCheck.namespace(string): ${T}ResourceCheck`, (r: ResourceCheck, namespace: string) => r.with({ namespace }));
  fn(`${T}ResourceCheck.name(string): ${T}ResourceCheck`, (r: ResourceCheck, name: string) => r.with({ name }));
  fn(`${T}ResourceCheck.check(string): ${T}Decision`, (r: ResourceCheck, verb: string) => decide(r.a.authz, r.a.user, {
    verb, group: r.group, version: '*', resource: r.resource, subresource: r.subresource || undefined,
    namespace: r.namespace || undefined, name: r.name || undefined,
  }));
  fn(`${T}PathCheck.check(string): ${T}Decision`, (p: PathCheck, verb: string) => decide(p.a.authz, p.a.user, { verb, path: p.path }));
  fn(`${T}Decision.allowed(): bool`, (d: Decision) => d.allowed);
  fn(`${T}Decision.reason(): string`, (d: Decision) => d.reason);
  fn(`${T}Decision.errored(): bool`, (d: Decision) => d.error !== undefined);
  fn(`${T}Decision.error(): string`, (d: Decision) => d.error ?? '');
}

export const authorizerType = `${T}Authorizer`;
