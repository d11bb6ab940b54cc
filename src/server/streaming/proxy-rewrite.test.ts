// The pure parts of the proxy subresources: ids, paths, and the rewriting of
// links and redirects in what the backend answers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ApiError } from '../../api/errors.ts';
import { cleanSubpath, escapePath, parseProxyId, proxyLocation, withName } from './proxy.ts';
import { rewriteHtml, rewriteHtmlBody, rewriteUrl, type RewriteContext } from './proxy-rewrite.ts';
import { isGlobalUnicast } from './proxy-targets.ts';

const ctx: RewriteContext = { prefix: '/api/v1/namespaces/ns/services/web:80/proxy', backendHost: '10.0.0.5:8080', requestHost: 'localhost:8001' };

describe('proxy ids and paths', () => {
  it('splits NAME, NAME:PORT and SCHEME:NAME:PORT; refuses others as upstream words it', () => {
    assert.deepEqual(parseProxyId('web', 'pod'), { scheme: '', name: 'web', port: '' });
    assert.deepEqual(parseProxyId('web:http', 'service'), { scheme: '', name: 'web', port: 'http' });
    assert.deepEqual(parseProxyId('https:web:443', 'service'), { scheme: 'https', name: 'web', port: '443' });
    assert.deepEqual(parseProxyId('https:web:', 'service'), { scheme: 'https', name: 'web', port: '' });
    for (const bad of ['ftp:web:80', ':80', 'a:b:c:d', '']) {
      assert.throws(() => parseProxyId(bad, 'service'), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === `invalid service request "${bad}"`);
    }
    assert.equal(withName('https:web:443', 'host-web'), 'https:host-web:443');
    assert.equal(withName('web:80', 'host-web'), 'host-web:80');
    assert.equal(withName('web', 'host-web'), 'host-web');
  });

  it('cuts the URL at …/proxy; the rest cleaned, its trailing slash kept, the query as sent', () => {
    const loc = proxyLocation('/clusters/c/api/v1/namespaces/ns/pods/web:80/proxy/a//b/./c/../d/?x=%20y&z', 'ns', 'pods', 'web:80');
    assert.equal(loc.prefix, '/clusters/c/api/v1/namespaces/ns/pods/web:80/proxy');
    assert.equal(loc.subpath, '/a/b/d/');
    assert.equal(loc.rawQuery, 'x=%20y&z');
    assert.equal(proxyLocation('/api/v1/namespaces/ns/pods/web/proxy', 'ns', 'pods', 'web').subpath, '');
    assert.equal(proxyLocation('/api/v1/namespaces/ns/pods/web/proxy/', 'ns', 'pods', 'web').subpath, '/');
    // A namespace named like the resource, a name like the subresource.
    assert.equal(proxyLocation('/api/v1/namespaces/pods/pods/proxy/proxy/x', 'pods', 'pods', 'proxy').subpath, '/x');
    assert.equal(proxyLocation('/api/v1/namespaces/ns/pods/web/proxy/a%2Fb%20c', 'ns', 'pods', 'web').subpath, '/a/b c');
    assert.equal(cleanSubpath('/..'), '/');
    assert.equal(escapePath('/a b/ü/$&+,:;=@~!*'), '/a%20b/%C3%BC/$&+,:;=@~%21%2A');
  });
});

describe('rewriting answers', () => {
  it('moves same-host absolute paths under the proxy path and leaves other URLs alone', () => {
    assert.equal(rewriteUrl('/docs/', ctx), `${ctx.prefix}/docs/`);
    assert.equal(rewriteUrl('/', ctx), `${ctx.prefix}/`);
    assert.equal(rewriteUrl('/a/../b?q=1#top', ctx), `${ctx.prefix}/b?q=1#top`);
    assert.equal(rewriteUrl('http://10.0.0.5:8080/login', ctx), `${ctx.prefix}/login`, 'the backend\'s own address is dropped');
    assert.equal(rewriteUrl('http://localhost:8001/login', ctx), `http://localhost:8001${ctx.prefix}/login`, 'the client\'s Host is kept');
    assert.equal(rewriteUrl(`${ctx.prefix}/already`, ctx), `${ctx.prefix}/already`);
    for (const same of ['relative/path', 'https://example.com/x', '//cdn.example.com/x.js', 'mailto:a@b', 'javascript:void(0)', '#frag', '?q']) {
      assert.equal(rewriteUrl(same, ctx), same);
    }
  });

  it('rewrites URL attributes of HTML tags, not text, comments or scripts', () => {
    const html = '<!doctype html><HTML><head><link rel=stylesheet href=/s.css><!-- <a href="/c"> --></head>' +
      '<body background="/bg.png"><A HREF=\'/x\' title="/t">/text</A><form action="/f" method=post></form>' +
      '<script src="/app.js"></script><script>document.write(\'<a href="/s">\')</script><style>a{background:url(/u)}</style>' +
      '<img alt="x" src="/i.png"/><p data-src="/d"></p></body></HTML>';
    const out = rewriteHtml(html, (u) => rewriteUrl(u, ctx));
    const p = ctx.prefix;
    assert.equal(out, '<!doctype html><HTML><head><link rel=stylesheet href=' + p + '/s.css><!-- <a href="/c"> --></head>' +
      `<body background="${p}/bg.png"><A HREF='${p}/x' title="/t">/text</A><form action="${p}/f" method=post></form>` +
      `<script src="${p}/app.js"></script><script>document.write('<a href="/s">')</script><style>a{background:url(/u)}</style>` +
      `<img alt="x" src="${p}/i.png"/><p data-src="/d"></p></body></HTML>`);
  });

  it('reads and writes gzip bodies, keeps bytes that are not UTF-8, passes unknown encodings', () => {
    const page = Buffer.concat([Buffer.from('<a href="/x">'), Buffer.from([0xff, 0xfe]), Buffer.from('</a>')]);
    const out = rewriteHtmlBody(gzipSync(page), 'gzip', (u) => rewriteUrl(u, ctx));
    assert.ok(out);
    assert.deepEqual(gunzipSync(out), Buffer.concat([Buffer.from(`<a href="${ctx.prefix}/x">`), Buffer.from([0xff, 0xfe]), Buffer.from('</a>')]));
    assert.equal(rewriteHtmlBody(page, 'br', (u) => u), undefined);
  });

  it('global unicast addresses, as Go tells them', () => {
    for (const ip of ['10.244.0.5', '8.8.8.8', '2001:db8::1', 'fd00::5', '::ffff:10.0.0.1']) assert.ok(isGlobalUnicast(ip), ip);
    for (const ip of ['', '127.0.0.1', '0.0.0.0', '255.255.255.255', '169.254.1.1', '224.0.0.1', '::', '::1', 'fe80::1', 'ff02::1', 'pod']) {
      assert.ok(!isGlobalUnicast(ip), ip);
    }
  });
});
