// The headers an aggregated API's server learns the caller from, as
// client-go's SetAuthProxyHeaders sets them for kube-aggregator: the user in
// X-Remote-User, its uid in X-Remote-Uid (when it has one; the
// RemoteRequestHeaderUID gate is on by default since 1.33), each group in an
// X-Remote-Group, each extra value in X-Remote-Extra-<key>, the key
// %-escaped where it is not a header token character (and '%' itself).

import type { UserInfo } from '../../registry/types.ts';

const TOKEN = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

/** An extra key as a header name suffix: bytes outside the token characters (and '%') as %XX. */
export function headerKeyEscape(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && TOKEN.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** True for the headers a caller may not send on to an aggregated server itself (they are the server's to set). */
export function isAuthProxyHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'x-remote-user' || n === 'x-remote-uid' || n === 'x-remote-group' || n.startsWith('x-remote-extra-');
}

/** The user's headers, lower-case names; values in order. */
export function authProxyHeaders(user: UserInfo): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { 'x-remote-user': user.username };
  if (user.uid) out['x-remote-uid'] = user.uid;
  if (user.groups.length > 0) out['x-remote-group'] = [...user.groups];
  for (const [key, values] of Object.entries(user.extra ?? {})) {
    if (values.length === 0) continue;
    const name = `x-remote-extra-${headerKeyEscape(key)}`.toLowerCase();
    const have = out[name];
    out[name] = have === undefined ? [...values] : [...(Array.isArray(have) ? have : [have]), ...values];
  }
  return out;
}
