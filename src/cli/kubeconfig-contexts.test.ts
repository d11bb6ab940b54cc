import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadYaml } from '../api/decode/yaml-lib.ts';
import {
  connectContext, currentContextOf, disconnectContext, editKubeconfig, removeContext, standaloneConfig, type ClusterCredentials,
} from './kubeconfig-contexts.ts';

await loadYaml();

const EXISTING = `# my clusters
apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster:
      server: https://prod.example:6443 # the real one
contexts:
  - name: prod
    context:
      cluster: prod
      user: alice
current-context: prod
users:
  - name: alice
    user:
      token: secret-alice
`;

const creds = (name: string): ClusterCredentials => ({
  name: `kubevisor_${name}`,
  server: `https://127.0.0.1:6443/clusters/${name}`,
  certificateAuthorityData: 'Q0E=',
  clientCertificateData: 'Q0VSVA==',
  clientKeyData: 'S0VZ',
  token: 'unused',
});

interface Config {
  'current-context'?: string;
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
}

test('connect adds cluster, user and context, keeps the rest, remembers the previous context', () => {
  const { text, previousContext } = connectContext(EXISTING, creds('dev'));
  assert.equal(previousContext, 'prod');
  assert.ok(text.startsWith('# my clusters\n'));
  assert.ok(text.includes('server: https://prod.example:6443 # the real one'));
  const c = parse(text) as Config;
  assert.equal(c['current-context'], 'kubevisor_dev');
  assert.deepEqual(c.clusters.at(-1), { name: 'kubevisor_dev', cluster: { server: 'https://127.0.0.1:6443/clusters/dev', 'certificate-authority-data': 'Q0E=' } });
  assert.deepEqual(c.users.at(-1), { name: 'kubevisor_dev', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } });
  assert.deepEqual(c.contexts.at(-1), {
    name: 'kubevisor_dev',
    context: { cluster: 'kubevisor_dev', user: 'kubevisor_dev', namespace: 'default', extensions: [{ name: 'kubevisor.dev/previous-context', extension: { context: 'prod' } }] },
  });
});

test('connecting again or to another cluster keeps the original context to go back to', () => {
  const one = connectContext(EXISTING, creds('a')).text;
  const again = connectContext(one, creds('a'));
  assert.equal(again.previousContext, 'prod');
  const other = connectContext(again.text, creds('b'));
  assert.equal(other.previousContext, 'prod');
  const c = parse(other.text) as Config;
  assert.equal(c.contexts.filter((x) => x.name === 'kubevisor_a').length, 1);
  const back = disconnectContext(other.text);
  assert.equal(back.from, 'kubevisor_b');
  assert.equal(back.to, 'prod');
  assert.equal((parse(back.text) as Config)['current-context'], 'prod');
});

test('an empty kubeconfig: connect, then disconnect unsets the current context', () => {
  const { text, previousContext } = connectContext('', creds('dev'));
  assert.equal(previousContext, '');
  const c = parse(text) as Config & { apiVersion: string; kind: string };
  assert.equal(c.apiVersion, 'v1');
  assert.equal(c.kind, 'Config');
  const back = disconnectContext(text);
  assert.equal(back.to, '');
  assert.equal((parse(back.text) as Config)['current-context'], undefined);
});

test('disconnect refuses when not connected or when the previous context is gone', () => {
  assert.throws(() => disconnectContext(EXISTING), /the current context "prod" is not a virtual cluster's/);
  assert.throws(() => disconnectContext('apiVersion: v1\n'), /no current context/);
  const connected = connectContext(EXISTING, creds('dev')).text;
  const prodRemoved = connected.replace('  - name: prod\n    context:\n      cluster: prod\n      user: alice\n', '');
  assert.throws(() => disconnectContext(prodRemoved), /was connected from context "prod", which no longer exists/);
  const foreign = 'current-context: kubevisor_x\ncontexts:\n- name: kubevisor_x\n  context: {cluster: a, user: b}\n';
  assert.throws(() => disconnectContext(foreign), /records no previous context/);
});

test('remove drops the three entries and switches back when current', () => {
  const connected = connectContext(EXISTING, creds('dev')).text;
  const r = removeContext(connected, 'kubevisor_dev');
  assert.equal(r.removed, true);
  assert.equal(r.switchedTo, 'prod');
  const c = parse(r.text) as Config;
  assert.equal(c['current-context'], 'prod');
  assert.deepEqual(c.clusters.map((x) => x.name), ['prod']);
  assert.deepEqual(c.users.map((x) => x.name), ['alice']);
  assert.deepEqual(c.contexts.map((x) => x.name), ['prod']);
  assert.ok(r.text.includes('# the real one'));
  const none = removeContext(EXISTING, 'kubevisor_dev');
  assert.equal(none.removed, false);
  assert.equal(none.switchedTo, undefined);
});

test('standalone config', () => {
  const c = standaloneConfig(creds('dev')) as unknown as Config;
  assert.equal(c['current-context'], 'kubevisor_dev');
  assert.equal(c.contexts[0]!.context.extensions, undefined);
  const tokenOnly = standaloneConfig({ name: 'kubevisor_t', server: 'https://x', token: 'tok' }) as unknown as Config;
  assert.deepEqual(tokenOnly.users[0]!.user, { token: 'tok' });
});

test('files: edited under a lock, 0600, through symbolic links, created when missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-contexts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const real = join(dir, 'real-config');
  writeFileSync(real, EXISTING, { mode: 0o644 });
  const link = join(dir, 'config');
  symlinkSync(real, link);
  const previous = await editKubeconfig(link, (text, where) => {
    const r = connectContext(text, creds('dev'), where);
    return { text: r.text, result: r.previousContext };
  });
  assert.equal(previous, 'prod');
  assert.equal(await currentContextOf(link), 'kubevisor_dev');
  assert.equal(statSync(real).mode & 0o777, 0o600);
  assert.equal(existsSync(`${real}.lock`), false);
  assert.ok(readFileSync(link, 'utf8').includes('kubevisor_dev'));

  const fresh = join(dir, 'nested', 'new-config');
  await editKubeconfig(fresh, (text) => ({ text: connectContext(text, creds('x')).text, result: undefined }));
  assert.equal(await currentContextOf(fresh), 'kubevisor_x');
  // Without create, a missing file is left missing.
  const missing = join(dir, 'missing');
  await editKubeconfig(missing, (text) => ({ text: text + 'x', result: undefined }), false);
  assert.equal(existsSync(missing), false);
  assert.equal(await currentContextOf(missing), '');
});
