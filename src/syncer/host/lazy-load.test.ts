// A server without a host must not pay for @kubernetes/client-node (about
// 25 MB of heap): importing the host module must not load it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

/** Which client-node modules a fresh process loaded after importing `module` (and, if asked, connecting). */
function loadedModules(module: string, connect: boolean): number {
  const script = `
    import { registerHooks } from 'node:module';
    let n = 0;
    registerHooks({ load(url, ctx, next) { if (url.includes('@kubernetes/client-node')) n++; return next(url, ctx); } });
    const host = await import(${JSON.stringify(new URL(module, import.meta.url).href)});
    if (${connect}) (await host.HostConnection.connect({ text: ${JSON.stringify(KUBECONFIG)} })).close();
    console.log(n);
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

test('importing the host module loads nothing of @kubernetes/client-node; the first connection does', () => {
  assert.equal(loadedModules('./index.ts', false), 0);
  assert.ok(loadedModules('./index.ts', true) > 0);
});
