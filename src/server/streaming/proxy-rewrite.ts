// What the API server changes in a proxied answer (pods/proxy, services/proxy)
// so that a page served by a pod still works when browsed through the proxy
// path: links and redirects that point at the pod's own root are moved under
// `…/pods/NAME:PORT/proxy`. As upstream does it:
//
// - A `Location` header is rewritten (and then the body is left alone).
// - Otherwise, a `text/html` body (plain, gzip or deflate) has the URL-valued
//   attributes of its tags rewritten (`<a href>`, `<img src>`, `<form action>` …).
// - A URL is rewritten when it has an absolute path and no host, or names the
//   backend's own address, or the Host the client asked for (which it keeps,
//   with its scheme); relative URLs and other hosts are left as they are. A
//   path already under the prefix is left as it is; others are joined to it
//   (`.` and `..` resolved), keeping a trailing slash.
//
// The HTML is scanned, not parsed: comments and the text of raw-text elements
// (script, style …) are skipped, attribute values are replaced in place with
// their quoting unchanged, and every other byte is kept as it came.

import { posix } from 'node:path';
import { deflateRawSync, gzipSync, gunzipSync, inflateRawSync } from 'node:zlib';

/** The tags whose attributes hold URLs, and those attributes (HTML 4 and 5). */
const URL_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map(Object.entries({
  a: ['href'], applet: ['codebase'], area: ['href'], audio: ['src'], base: ['href'], blockquote: ['cite'],
  body: ['background'], button: ['formaction'], command: ['icon'], del: ['cite'], embed: ['src'], form: ['action'],
  frame: ['longdesc', 'src'], head: ['profile'], html: ['manifest'], iframe: ['longdesc', 'src'],
  img: ['longdesc', 'src', 'usemap'], input: ['src', 'usemap', 'formaction'], ins: ['cite'], link: ['href'],
  object: ['classid', 'codebase', 'data', 'usemap'], q: ['cite'], script: ['src'], source: ['src'], video: ['poster', 'src'],
}).map(([tag, attrs]) => [tag, new Set(attrs)]));

/** Elements whose content is text up to their end tag, never markup. */
const RAW_TEXT = new Set(['iframe', 'noembed', 'noframes', 'noscript', 'plaintext', 'script', 'style', 'textarea', 'title', 'xmp']);

/** A URL reference cut into its parts, as written (nothing decoded). */
export interface UrlParts {
  /** `http:` and `//host:port`, or '' for each when absent. */
  scheme: string;
  authority: string;
  /** The host and port of the authority (user info left out). */
  host: string;
  path: string;
  /** `?…` and `#…`, with their marks, or ''. */
  query: string;
  fragment: string;
  /** A scheme with no `//` after it (`mailto:`, `javascript:`): no path to rewrite. */
  opaque: boolean;
}

export function splitUrl(ref: string): UrlParts {
  let rest = ref;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) { fragment = rest.slice(hash); rest = rest.slice(0, hash); }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) { query = rest.slice(q); rest = rest.slice(0, q); }
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) { scheme = m[0]; rest = rest.slice(scheme.length); }
  let authority = '';
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const slash = rest.indexOf('/', 2);
    authority = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    host = authority.slice(2);
    const at = host.lastIndexOf('@');
    if (at >= 0) host = host.slice(at + 1);
  }
  return { scheme, authority, host, path: rest, query, fragment, opaque: scheme !== '' && authority === '' && !rest.startsWith('/') };
}

export interface RewriteContext {
  /** The proxy path as the client sees it, up to and with `/proxy` (`/api/v1/namespaces/ns/pods/web:80/proxy`). */
  readonly prefix: string;
  /** `host:port` the request went to. */
  readonly backendHost: string;
  /** The Host header of the client's request. */
  readonly requestHost: string;
}

/** One URL from the backend, as the client should see it. */
export function rewriteUrl(ref: string, ctx: RewriteContext): string {
  const u = splitUrl(ref);
  if (u.opaque) return ref;
  const otherHost = u.host !== '' && u.host !== ctx.backendHost && u.host !== ctx.requestHost;
  if (otherHost || !u.path.startsWith('/')) return ref;
  // Only a link to the Host the client used keeps its scheme and host; the backend's own address is dropped.
  const origin = u.host !== '' && u.host === ctx.requestHost ? u.scheme + u.authority : '';
  if (u.path.startsWith(ctx.prefix)) return origin + u.path + u.query + u.fragment;
  let path = posix.join(ctx.prefix, u.path);
  if (u.path.endsWith('/') && !path.endsWith('/')) path += '/';
  else if (!u.path.endsWith('/') && path.endsWith('/') && path !== '/') path = path.slice(0, -1);
  return origin + path + u.query + u.fragment;
}

/**
 * `html` with the URL-valued attributes of its tags passed through `rewrite`.
 * Works on a latin1 string (one char per byte), so any encoding survives.
 */
export function rewriteHtml(html: string, rewrite: (url: string) => string): string {
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  const n = html.length;
  const skipTo = (needle: string, from: number): number => {
    const at = html.indexOf(needle, from);
    return at < 0 ? n : at + needle.length;
  };
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0 || lt + 1 >= n) break;
    if (html.startsWith('<!--', lt)) { i = skipTo('-->', lt + 4); continue; }
    const c = html[lt + 1]!;
    if (c === '!' || c === '?' || c === '/') { i = skipTo('>', lt + 2); continue; }
    if (!/[A-Za-z]/.test(c)) { i = lt + 1; continue; }
    let j = lt + 1;
    while (j < n && !/[\s/>]/.test(html[j]!)) j++;
    const tag = html.slice(lt + 1, j).toLowerCase();
    const wanted = URL_ATTRIBUTES.get(tag);
    for (;;) {
      while (j < n && /[\s/]/.test(html[j]!)) j++;
      if (j >= n || html[j] === '>') break;
      const nameStart = j;
      j++; // a name may start with '='
      while (j < n && !/[\s/>=]/.test(html[j]!)) j++;
      const name = html.slice(nameStart, j).toLowerCase();
      let k = j;
      while (k < n && /\s/.test(html[k]!)) k++;
      if (html[k] !== '=') continue;
      k++;
      while (k < n && /\s/.test(html[k]!)) k++;
      let start: number;
      let end: number;
      const quote = html[k];
      if (quote === '"' || quote === '\'') {
        start = k + 1;
        end = html.indexOf(quote, start);
        if (end < 0) end = n;
        j = Math.min(n, end + 1);
      } else {
        start = k;
        end = k;
        while (end < n && !/[\s>]/.test(html[end]!)) end++;
        j = end;
      }
      if (wanted?.has(name)) {
        const value = html.slice(start, end);
        const next = rewrite(value);
        if (next !== value) {
          out.push(html.slice(copied, start), next);
          copied = end;
        }
      }
    }
    i = j < n ? j + 1 : n;
    if (RAW_TEXT.has(tag)) {
      if (tag === 'plaintext') break;
      const close = new RegExp(`</${tag}[\\s/>]`, 'i');
      const m = close.exec(html.slice(i));
      i = m ? i + m.index : n;
    }
  }
  out.push(html.slice(copied));
  return out.join('');
}

/**
 * An HTML body with its links rewritten, in the same content encoding
 * (gzip, deflate or none); undefined for an encoding it cannot read (passed on unchanged).
 */
export function rewriteHtmlBody(body: Buffer, contentEncoding: string, rewrite: (url: string) => string): Buffer | undefined {
  const encoding = contentEncoding.trim().toLowerCase();
  let plain: Buffer;
  try {
    if (encoding === '') plain = body;
    else if (encoding === 'gzip') plain = gunzipSync(body);
    else if (encoding === 'deflate') plain = inflateRawSync(body);
    else return undefined;
  } catch {
    return undefined;
  }
  const text = plain.toString('latin1');
  const next = rewriteHtml(text, rewrite);
  if (next === text) return body;
  const out = Buffer.from(next, 'latin1');
  if (encoding === 'gzip') return gzipSync(out);
  if (encoding === 'deflate') return deflateRawSync(out);
  return out;
}
