// User impersonation (kubectl --as, --as-group, --as-uid): the Impersonate-User,
// Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key> headers, each
// authorized with the `impersonate` verb (on users, groups, serviceaccounts,
// uids and userextras/<key>), as upstream's impersonation filter does.

import type { IncomingMessage } from 'node:http';
import { errors } from '../../api/errors.ts';
import type { ResourceAttributes, UserInfo } from '../../registry/types.ts';
import type { Authorizer } from '../auth/authorize.ts';
import { forbiddenError } from './authorizer.ts';
import { serviceAccountPrefix } from './resolver.ts';

const authenticated = 'system:authenticated';
const unauthenticated = 'system:unauthenticated';
const anonymous = 'system:anonymous';
const extraPrefix = 'impersonate-extra-';

interface Request {
  kind: 'ServiceAccount' | 'User' | 'Group' | 'UserExtra' | 'UID';
  namespace: string;
  name: string;
  apiVersion: string;
  fieldPath: string;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `system:serviceaccount:NS:NAME` with a valid namespace and name, as upstream splits it. */
function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(serviceAccountPrefix)) return undefined;
  const parts = username.slice(serviceAccountPrefix.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts;
  if (namespace.length > 63 || !dnsLabel.test(namespace)) return undefined;
  if (name.length > 253 || !dnsSubdomain.test(name)) return undefined;
  return { namespace, name };
}

/** An extra key as sent in a header name: lower case, %-escapes decoded when well formed. */
function unescapeExtraKey(key: string): string {
  try { return decodeURIComponent(key); } catch { return key; }
}

/** How Go's %v prints the ObjectReference of a request (in upstream's BadRequest message). */
function describe(r: Request): string {
  return `{${r.kind} ${r.namespace} ${r.name}  ${r.apiVersion}  ${r.fieldPath}}`;
}

function values(req: IncomingMessage, header: string): string[] {
  const v = req.headersDistinct?.[header];
  if (v) return v;
  const raw = req.headers[header];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

function requestsOf(req: IncomingMessage): Request[] {
  const out: Request[] = [];
  const user = values(req, 'impersonate-user')[0] ?? '';
  const base = { namespace: '', apiVersion: '', fieldPath: '' };
  if (user) {
    const sa = serviceAccountOf(user);
    out.push(sa ? { ...base, kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name } : { ...base, kind: 'User', name: user });
  }
  const groups = values(req, 'impersonate-group');
  for (const g of groups) out.push({ ...base, kind: 'Group', name: g });
  let extras = false;
  for (const h of Object.keys(req.headers)) {
    if (!h.startsWith(extraPrefix)) continue;
    extras = true;
    const key = unescapeExtraKey(h.slice(extraPrefix.length).toLowerCase());
    for (const v of values(req, h)) out.push({ ...base, kind: 'UserExtra', name: v, apiVersion: 'authentication.k8s.io/v1', fieldPath: key });
  }
  const uid = values(req, 'impersonate-uid')[0] ?? '';
  if (uid) out.push({ ...base, kind: 'UID', name: uid, apiVersion: 'authentication.k8s.io/v1' });
  if ((groups.length > 0 || extras || uid) && !user) {
    throw errors.badRequest(`requested [${out.map(describe).join(' ')}] without impersonating a user`);
  }
  return out;
}

/** The attributes the `impersonate` check of one request is made with. */
function attributesOf(r: Request): ResourceAttributes {
  switch (r.kind) {
    case 'ServiceAccount': return { verb: 'impersonate', group: '', version: '', resource: 'serviceaccounts', namespace: r.namespace, name: r.name };
    case 'User': return { verb: 'impersonate', group: '', version: '', resource: 'users', name: r.name };
    case 'Group': return { verb: 'impersonate', group: '', version: '', resource: 'groups', name: r.name };
    case 'UserExtra': return { verb: 'impersonate', group: 'authentication.k8s.io', version: 'v1', resource: 'userextras', subresource: r.fieldPath, name: r.name };
    case 'UID': return { verb: 'impersonate', group: 'authentication.k8s.io', version: 'v1', resource: 'uids', name: r.name };
  }
}

/** Whether the request asks to act as someone else. */
export function wantsImpersonation(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['impersonate-user'] !== undefined || h['impersonate-group'] !== undefined || h['impersonate-uid'] !== undefined) return true;
  for (const k of Object.keys(h)) if (k.startsWith(extraPrefix)) return true;
  return false;
}

/**
 * The user a request acts as: `user` itself without impersonation headers, else the
 * impersonated user once `user` may impersonate each part of it. Throws upstream's
 * 400 (groups, extras or uid without a user) or 403 (a part not allowed).
 */
export async function impersonate(req: IncomingMessage, user: UserInfo, authorizer: Authorizer): Promise<UserInfo> {
  if (!wantsImpersonation(req)) return user;
  const requests = requestsOf(req);
  if (requests.length === 0) return user;
  const groupsSpecified = values(req, 'impersonate-group').length > 0;
  let username = '';
  let groups: string[] = [];
  let uid = '';
  const extra: Record<string, string[]> = {};
  for (const r of requests) {
    const attrs = attributesOf(r);
    switch (r.kind) {
      case 'ServiceAccount':
        username = `${serviceAccountPrefix}${r.namespace}:${r.name}`;
        if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
        break;
      case 'User': username = r.name; break;
      case 'Group': groups.push(r.name); break;
      case 'UserExtra': (extra[r.fieldPath] ??= []).push(r.name); break;
      case 'UID': uid = r.name; break;
    }
    const d = await authorizer.authorize(user, attrs);
    if (!d.allowed) throw forbiddenError(user, attrs, d.reason ?? '');
  }
  if (username !== anonymous) {
    if (!groups.includes(authenticated) && !groups.includes(unauthenticated)) groups.push(authenticated);
  } else if (!groups.includes(unauthenticated)) {
    groups.push(unauthenticated);
  }
  const out: UserInfo = { username, groups };
  if (uid) out.uid = uid;
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out;
}
