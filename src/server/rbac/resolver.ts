// Which rules apply to a user in a namespace: the ClusterRoleBindings and (in
// a namespace) RoleBindings whose subjects match the user, and the rules of the
// roles they reference. Everything is read from the cluster's watch cache;
// bindings are indexed by subject and the index follows the cache's events, so
// a request looks up a handful of map entries and never scans. The index is
// built on first use: a cluster nobody asks about costs nothing.

import type { KubeObject } from '../../api/types.ts';
import type { UserInfo } from '../../registry/types.ts';
import type { CacheEvent, WatchCache } from '../../registry/generic/watch-cache.ts';
import { rbacGroup, rulesOf, type PolicyRule } from './rules.ts';

export const rbacPrefix = `/registry/${rbacGroup}/`;
export const keyPrefix = {
  roles: `${rbacPrefix}roles/`,
  roleBindings: `${rbacPrefix}rolebindings/`,
  clusterRoles: `${rbacPrefix}clusterroles/`,
  clusterRoleBindings: `${rbacPrefix}clusterrolebindings/`,
} as const;

export const serviceAccountPrefix = 'system:serviceaccount:';

export interface Subject { kind: string; name: string; namespace?: string; apiGroup?: string }
export interface RoleRef { kind: string; name: string; apiGroup?: string }

/** Where a rule came from, printed in allow reasons as upstream prints it. */
export class RuleSource {
  readonly binding: KubeObject;
  readonly subject: Subject;
  readonly namespaced: boolean;
  constructor(binding: KubeObject, subject: Subject, namespaced: boolean) {
    this.binding = binding;
    this.subject = subject;
    this.namespaced = namespaced;
  }
  toString(): string {
    const b = this.binding;
    const ref = roleRefOf(b);
    const ns = b.metadata.namespace ?? '';
    const name = this.namespaced ? `${b.metadata.name ?? ''}/${ns}` : b.metadata.name ?? '';
    return `${this.namespaced ? 'RoleBinding' : 'ClusterRoleBinding'} "${name}" of ${ref.kind} "${ref.name}" to ${describeSubject(this.subject, this.namespaced ? ns : '')}`;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

export function subjectsOf(binding: KubeObject): Subject[] {
  const subs = (binding as { subjects?: unknown }).subjects;
  if (!Array.isArray(subs)) return [];
  return subs.filter((s): s is Subject => !!s && typeof s === 'object' && typeof (s as Subject).kind === 'string' && typeof (s as Subject).name === 'string');
}

export function roleRefOf(binding: KubeObject): RoleRef {
  const r = (binding as { roleRef?: Partial<RoleRef> }).roleRef ?? {};
  return { kind: String(r.kind ?? ''), name: String(r.name ?? ''), apiGroup: r.apiGroup };
}

/** Split `system:serviceaccount:NS:NAME`; undefined for any other user name. */
export function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(serviceAccountPrefix)) return undefined;
  const parts = username.slice(serviceAccountPrefix.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Whether a binding subject names the user (namespace: the binding's, for unqualified ServiceAccounts). */
export function appliesToUser(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User': return user.username === s.name;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || namespace;
      if (!ns) return false;
      return user.username === `${serviceAccountPrefix}${ns}:${s.name}`;
    }
    default: return false;
  }
}

/** Index keys of a subject ("" for subjects that can never apply). */
function subjectKey(s: Subject, bindingNamespace: string): string {
  switch (s.kind) {
    case 'User': return `u:${s.name}`;
    case 'Group': return `g:${s.name}`;
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:${serviceAccountPrefix}${ns}:${s.name}` : '';
    }
    default: return '';
  }
}

/** The index keys a user's bindings are found under. */
function userKeys(user: UserInfo): string[] {
  const keys = [`u:${user.username}`];
  for (const g of user.groups) keys.push(`g:${g}`);
  return keys;
}

/** Called for each rule that applies (rule) or each failure to resolve a binding (err); false stops. */
export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: Error | undefined) => boolean;

/** Bindings by subject key, for one scope (cluster, or one namespace). */
type SubjectIndex = Map<string, Set<string>>;

export class RuleResolver {
  private readonly cache: WatchCache;
  private indexed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly clusterIndex: SubjectIndex = new Map();
  private readonly namespaceIndex = new Map<string, SubjectIndex>();
  /** Parsed rules per stored role object (stored objects are immutable). */
  private readonly parsed = new WeakMap<KubeObject, PolicyRule[]>();
  /** Bumped on every RBAC change; callers may key memos on it. */
  generation = 0;

  constructor(cache: WatchCache) {
    this.cache = cache;
  }

  /** Build the index and follow changes (once). */
  private ensureIndex(): void {
    if (this.indexed) return;
    this.indexed = true;
    // scan and subscribe run in one synchronous step: no event can fall between them.
    for (const c of this.cache.scan(keyPrefix.clusterRoleBindings)) this.add(c.key, c.obj);
    for (const c of this.cache.scan(keyPrefix.roleBindings)) this.add(c.key, c.obj);
    this.unsubscribe = this.cache.subscribe({ prefix: rbacPrefix, onEvent: (ev) => this.onEvent(ev) });
  }

  private onEvent(ev: CacheEvent): void {
    this.generation++;
    if (!ev.key.startsWith(keyPrefix.clusterRoleBindings) && !ev.key.startsWith(keyPrefix.roleBindings)) return;
    if (ev.prev) this.remove(ev.key, ev.prev);
    if (ev.type !== 'DELETED') this.add(ev.key, ev.obj);
  }

  private scopeIndex(key: string, obj: KubeObject, create: boolean): SubjectIndex | undefined {
    if (key.startsWith(keyPrefix.clusterRoleBindings)) return this.clusterIndex;
    const ns = obj.metadata.namespace ?? '';
    let idx = this.namespaceIndex.get(ns);
    if (!idx && create) this.namespaceIndex.set(ns, (idx = new Map()));
    return idx;
  }

  private add(key: string, obj: KubeObject): void {
    const idx = this.scopeIndex(key, obj, true) as SubjectIndex;
    const ns = key.startsWith(keyPrefix.roleBindings) ? obj.metadata.namespace ?? '' : '';
    for (const s of subjectsOf(obj)) {
      const k = subjectKey(s, ns);
      if (!k) continue;
      let set = idx.get(k);
      if (!set) idx.set(k, (set = new Set()));
      set.add(key);
    }
  }

  private remove(key: string, obj: KubeObject): void {
    const idx = this.scopeIndex(key, obj, false);
    if (!idx) return;
    const ns = key.startsWith(keyPrefix.roleBindings) ? obj.metadata.namespace ?? '' : '';
    for (const s of subjectsOf(obj)) {
      const k = subjectKey(s, ns);
      const set = idx.get(k);
      if (set?.delete(key) && set.size === 0) idx.delete(k);
    }
  }

  /** Binding keys (sorted, so results do not depend on arrival order) that may apply to the user. */
  private candidates(idx: SubjectIndex | undefined, user: UserInfo): string[] {
    if (!idx || idx.size === 0) return [];
    const found = new Set<string>();
    for (const k of userKeys(user)) {
      const set = idx.get(k);
      if (set) for (const b of set) found.add(b);
    }
    return [...found].sort();
  }

  /** The rules of a stored role object, parsed once. */
  rulesOfObject(obj: KubeObject): PolicyRule[] {
    let r = this.parsed.get(obj);
    if (!r) this.parsed.set(obj, (r = rulesOf(obj as { rules?: unknown })));
    return r;
  }

  /** The rules a role reference grants, or the error upstream's authorizer reports. */
  roleReferenceRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] | Error {
    switch (ref.kind) {
      case 'Role': {
        const c = bindingNamespace ? this.cache.getCached(`${keyPrefix.roles}${bindingNamespace}/${ref.name}`) : undefined;
        if (!c) return new Error(`role.${rbacGroup} "${ref.name}" not found`);
        return this.rulesOfObject(c.obj);
      }
      case 'ClusterRole': {
        const c = this.cache.getCached(`${keyPrefix.clusterRoles}${ref.name}`);
        if (!c) return new Error(`clusterrole.${rbacGroup} "${ref.name}" not found`);
        return this.rulesOfObject(c.obj);
      }
      default:
        return new Error(`unsupported role reference kind: "${ref.kind}"`);
    }
  }

  /** Visit every rule that applies to the user in the namespace ("" for cluster scope only). */
  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    this.ensureIndex();
    for (const key of this.candidates(this.clusterIndex, user)) {
      const b = this.cache.getCached(key)?.obj;
      if (!b) continue;
      const subject = subjectsOf(b).find((s) => appliesToUser(user, s, ''));
      if (!subject) continue;
      const rules = this.roleReferenceRules(roleRefOf(b), '');
      if (rules instanceof Error) { if (!visit(undefined, undefined, rules)) return; continue; }
      const source = new RuleSource(b, subject, false);
      for (const r of rules) if (!visit(source, r, undefined)) return;
    }
    if (!namespace) return;
    for (const key of this.candidates(this.namespaceIndex.get(namespace), user)) {
      const b = this.cache.getCached(key)?.obj;
      if (!b) continue;
      const subject = subjectsOf(b).find((s) => appliesToUser(user, s, namespace));
      if (!subject) continue;
      const rules = this.roleReferenceRules(roleRefOf(b), namespace);
      if (rules instanceof Error) { if (!visit(undefined, undefined, rules)) return; continue; }
      const source = new RuleSource(b, subject, true);
      for (const r of rules) if (!visit(source, r, undefined)) return;
    }
  }

  /** Every rule that applies, and the errors met resolving bindings (rules are additive: the list is still usable). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: Error[] } {
    const rules: PolicyRule[] = [];
    const errors: Error[] = [];
    this.visitRulesFor(user, namespace, (_s, r, e) => {
      if (r) rules.push(r);
      if (e) errors.push(e);
      return true;
    });
    return { rules, errors };
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** Errors joined as upstream's aggregate error prints them. */
export function aggregateMessage(errs: readonly Error[]): string {
  if (errs.length === 0) return '';
  if (errs.length === 1) return errs[0].message;
  const seen: string[] = [];
  for (const e of errs) if (!seen.includes(e.message)) seen.push(e.message);
  return seen.length === 1 ? seen[0] : `[${seen.join(', ')}]`;
}
