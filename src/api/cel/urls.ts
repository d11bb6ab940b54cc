// Kubernetes' URL library: url(), isURL() and the kubernetes.URL type
// (getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery).
// Parsing follows Go's net/url: a URL must pass ParseRequestURI (an absolute
// URI or an absolute path) and is then read with Parse (which keeps the
// fragment apart); errors are Go's texts.

import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { goQuote } from './values.ts';

export const URL_TYPE = 'kubernetes.URL';

export interface GoURL {
  scheme: string;
  opaque: string;
  user: string | undefined;
  host: string;
  path: string;
  rawPath: string;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
}

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

const isAlnum = (c: string) => /^[A-Za-z0-9]$/.test(c);

function shouldEscape(c: string, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  if (mode === 'host' || mode === 'zone') {
    if ("!$&'()*+,;=:[]<>\"".includes(c)) return false;
  }
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    switch (mode) {
      case 'path': return c === '?';
      case 'userPassword': return c === '@' || c === '/' || c === '?' || c === ':';
      case 'queryComponent': return true;
      case 'fragment': return false;
      default: break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(c)) return false;
  return true;
}

class URLError extends Error {}

function unescape(s: string, mode: Mode): string {
  let n = 0;
  let hasPlus = false;
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === '%') {
      n++;
      if (i + 2 >= s.length || !/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
        let bad = s.slice(i);
        if (bad.length > 3) bad = bad.slice(0, 3);
        throw new URLError(`invalid URL escape ${goQuote(bad)}`);
      }
      if (mode === 'host' && parseInt(s.slice(i + 1, i + 3), 16) < 0x80 && s.slice(i, i + 3) !== '%25') {
        throw new URLError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      }
      i += 3;
    } else {
      if (c === '+') hasPlus = mode === 'queryComponent';
      if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode)) {
        throw new URLError(`invalid character ${goQuote(c)} in host name`);
      }
      i++;
    }
  }
  if (n === 0 && !hasPlus) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === '%') { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 3; continue; }
    if (c === '+' && mode === 'queryComponent') { bytes.push(0x20); i++; continue; }
    for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    i++;
  }
  return Buffer.from(bytes).toString('utf8');
}

function escape(s: string, mode: Mode): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && !shouldEscape(c, mode)) out += c;
    else if (c === ' ' && mode === 'queryComponent') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function validOptionalPort(port: string): boolean {
  return port === '' || (port[0] === ':' && /^[0-9]*$/.test(port.slice(1)));
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new URLError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${goQuote(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      return unescape(host.slice(0, zone), 'host') + unescape(host.slice(zone, i), 'zone') + unescape(host.slice(i), 'host');
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i >= 0) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  return unescape(host, 'host');
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function parseAuthority(authority: string): { user: string | undefined; host: string } {
  const i = authority.lastIndexOf('@');
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (i < 0) return { user: undefined, host };
  const userinfo = authority.slice(0, i);
  if (!validUserinfo(userinfo)) throw new URLError('net/url: invalid userinfo');
  unescape(userinfo.split(':')[0]!, 'userPassword');
  return { user: userinfo, host };
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new URLError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function parse(raw: string, viaRequest: boolean): GoURL {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new URLError('net/url: invalid control character in URL');
  if (raw === '' && viaRequest) throw new URLError('empty url');
  const u: GoURL = { scheme: '', opaque: '', user: undefined, host: '', path: '', rawPath: '', forceQuery: false, rawQuery: '', fragment: '' };
  if (raw === '*') { u.path = '*'; return u; }
  let [scheme, rest] = getScheme(raw);
  u.scheme = scheme.toLowerCase();
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    u.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) { u.rawQuery = rest.slice(q + 1); rest = rest.slice(0, q); }
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') { u.opaque = rest; return u; }
    if (viaRequest) throw new URLError('invalid URI for request');
    const seg = rest.split('/')[0]!;
    if (seg.includes(':')) throw new URLError('first path segment in URL cannot contain colon');
  }
  if ((u.scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) { rest = authority.slice(slash); authority = authority.slice(0, slash); }
    const a = parseAuthority(authority);
    u.user = a.user;
    u.host = a.host;
  }
  u.path = unescape(rest, 'path');
  const escaped = escape(u.path, 'path');
  u.rawPath = rest === escaped ? '' : rest;
  return u;
}

function wrap<T>(raw: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof URLError) throw new URLError(`parse ${goQuote(raw)}: ${e.message}`);
    throw e;
  }
}

/** Go's url.ParseRequestURI. */
export function parseRequestURI(raw: string): GoURL {
  return wrap(raw, () => parse(raw, true));
}

/** Go's url.Parse. */
export function parseURL(raw: string): GoURL {
  const hash = raw.indexOf('#');
  const main = hash < 0 ? raw : raw.slice(0, hash);
  const u = wrap(main, () => parse(main, false));
  if (hash >= 0) u.fragment = wrap(raw, () => unescape(raw.slice(hash + 1), 'fragment'));
  return u;
}

function validEncoded(s: string): boolean {
  for (const c of s) {
    if ("!$&'()*+,;=:@[]".includes(c) || c === '%') continue;
    if (c.length > 1 || c.charCodeAt(0) >= 0x80 || shouldEscape(c, 'path')) return false;
  }
  return true;
}

export function escapedPath(u: GoURL): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath)) {
    try {
      if (unescape(u.rawPath, 'path') === u.path) return u.rawPath;
    } catch { /* fall through */ }
  }
  if (u.path === '*') return '*';
  return escape(u.path, 'path');
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort, port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) { port = host.slice(colon + 1); host = host.slice(0, colon); }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

/** url.Values of the query: repeated keys keep every value; malformed pairs are dropped. */
export function query(u: GoURL): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of u.rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const k = eq < 0 ? pair : pair.slice(0, eq), v = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string, value: string;
    try {
      key = unescape(k, 'queryComponent');
      value = unescape(v, 'queryComponent');
    } catch {
      continue;
    }
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

export class CelURL {
  readonly u: GoURL;
  constructor(u: GoURL) {
    this.u = u;
  }
  get celType(): string {
    return URL_TYPE;
  }
  equals(o: unknown): boolean {
    return o instanceof CelURL && o.toString() === this.toString();
  }
  toString(): string {
    const u = this.u;
    let s = u.scheme ? `${u.scheme}:` : '';
    if (u.opaque) s += u.opaque;
    else {
      if (u.scheme || u.host || u.user !== undefined) {
        if (u.host || u.path || u.user !== undefined) s += '//';
        if (u.user !== undefined) s += `${u.user}@`;
        s += u.host;
      }
      s += escapedPath(u);
    }
    if (u.forceQuery || u.rawQuery) s += `?${u.rawQuery}`;
    if (u.fragment) s += `#${escape(u.fragment, 'fragment')}`;
    return s;
  }
}

export function url(s: string): CelURL {
  try {
    parseRequestURI(s);
    return new CelURL(parseURL(s));
  } catch (e) {
    if (e instanceof URLError) throw new LibraryError(`URL parse error during conversion from string: ${e.message}`);
    throw e;
  }
}

export function isURL(s: string): boolean {
  try {
    parseRequestURI(s);
    return true;
  } catch (e) {
    if (e instanceof URLError) return false;
    throw e;
  }
}

/** The error Go's ParseRequestURI gives for `s`, if any (format.uri()). */
export function requestURIError(s: string): string | undefined {
  try {
    parseRequestURI(s);
    return undefined;
  } catch (e) {
    if (e instanceof URLError) return e.message;
    throw e;
  }
}

export function register(lib: Library): void {
  const T = URL_TYPE;
  lib.type(T, CelURL);
  lib.env.registerOperator(`${T} == ${T}`, (a: CelURL, b: CelURL) => a.equals(b));
  lib.fn(`url(string): ${T}`, url);
  lib.fn('isURL(string): bool', isURL);
  lib.fn(`${T}.getScheme(): string`, (a: CelURL) => a.u.scheme);
  lib.fn(`${T}.getHost(): string`, (a: CelURL) => a.u.host);
  lib.fn(`${T}.getHostname(): string`, (a: CelURL) => splitHostPort(a.u.host)[0]);
  lib.fn(`${T}.getPort(): string`, (a: CelURL) => splitHostPort(a.u.host)[1]);
  lib.fn(`${T}.getEscapedPath(): string`, (a: CelURL) => escapedPath(a.u));
  lib.fn(`${T}.getQuery(): map<string, list<string>>`, (a: CelURL) => Object.fromEntries(query(a.u)));
}
