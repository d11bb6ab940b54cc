import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultKubeconfigPath, writeKubeconfig, type KubeconfigCredentials } from './kubeconfig.ts';

const creds: KubeconfigCredentials = {
  name: 'kubevisor',
  server: 'https://127.0.0.1:6443',
  caCert: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  clientCert: '-----BEGIN CERTIFICATE-----\nADMIN\n-----END CERTIFICATE-----\n',
  clientKey: '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n',
};

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
preferences: {}
users:
  - name: alice
    user:
      token: secret-alice
`;

interface Config {
  clusters: Array<{ name: string; cluster: Record<string, string> }>;
  users: Array<{ name: string; user: Record<string, string> }>;
  contexts: Array<{ name: string; context: Record<string, string> }>;
  'current-context': string;
  [key: string]: unknown;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const read = (path: string) => parse(readFileSync(path, 'utf8')) as Config;
const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

test('standalone file holds exactly this cluster', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'nested', 'kubeconfig');
  const written = await writeKubeconfig({ ...creds, token: 'tok' }, { file });
  assert.deepEqual(written, { path: file, mode: 'standalone', context: 'kubevisor' });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const config = read(file);
  assert.equal(config.apiVersion, 'v1');
  assert.equal(config.kind, 'Config');
  assert.equal(config['current-context'], 'kubevisor');
  assert.deepEqual(config.clusters.map((c) => c.name), ['kubevisor']);
  assert.equal(config.clusters[0]!.cluster.server, 'https://127.0.0.1:6443');
  assert.equal(decode(config.clusters[0]!.cluster['certificate-authority-data']), creds.caCert);
  assert.deepEqual(config.contexts, [{ name: 'kubevisor', context: { cluster: 'kubevisor', user: 'kubevisor', namespace: 'default' } }]);
  const user = config.users.find((u) => u.name === 'kubevisor')!;
  assert.equal(decode(user.user['client-certificate-data']), creds.clientCert);
  assert.equal(decode(user.user['client-key-data']), creds.clientKey);
  assert.deepEqual(config.users.find((u) => u.name === 'kubevisor-token'), { name: 'kubevisor-token', user: { token: 'tok' } });

  // Rewritten without a token (a restart): the token user is carried over, the rest replaced.
  await writeKubeconfig({ ...creds, server: 'https://127.0.0.1:7443' }, { file });
  const again = read(file);
  assert.equal(again.clusters[0]!.cluster.server, 'https://127.0.0.1:7443');
  assert.deepEqual(again.users.map((u) => u.name), ['kubevisor', 'kubevisor-token']);
  // Atomic writes leave no temporary files behind.
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['kubeconfig']);
});

test('merge keeps the other entries, comments and settings', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config');
  writeFileSync(file, EXISTING, { mode: 0o644 });
  const written = await writeKubeconfig(creds, { env: { KUBECONFIG: file }, home: dir });
  assert.deepEqual(written, { path: file, mode: 'merged', context: 'kubevisor' });
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# my clusters/);
  assert.match(text, /# the real one/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const config = read(file);
  assert.deepEqual(config.clusters.map((c) => c.name), ['prod', 'kubevisor']);
  assert.deepEqual(config.contexts.map((c) => c.name), ['prod', 'kubevisor']);
  assert.deepEqual(config.users.map((u) => u.name), ['alice', 'kubevisor']);
  assert.equal(config.users[0]!.user.token, 'secret-alice');
  assert.equal(config['current-context'], 'kubevisor');
  assert.deepEqual(config.preferences, {});
  assert.ok(!existsSync(`${file}.lock`));
});

test('merging again replaces this cluster\'s entries instead of adding more', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config');
  writeFileSync(file, EXISTING);
  const env = { KUBECONFIG: file };
  await writeKubeconfig({ ...creds, token: 'first' }, { env, home: dir });
  await writeKubeconfig({ ...creds, server: 'https://127.0.0.1:9999', clientCert: 'NEW' }, { env, home: dir });
  const config = read(file);
  assert.deepEqual(config.clusters.map((c) => c.name), ['prod', 'kubevisor']);
  assert.deepEqual(config.contexts.map((c) => c.name), ['prod', 'kubevisor']);
  // The token user from the first run stays: the second run had no new token.
  assert.deepEqual(config.users.map((u) => u.name), ['alice', 'kubevisor', 'kubevisor-token']);
  assert.equal(config.clusters[1]!.cluster.server, 'https://127.0.0.1:9999');
  assert.equal(decode(config.users[1]!.user['client-certificate-data']), 'NEW');
  assert.equal(config.users[2]!.user.token, 'first');
});

test('no kubeconfig yet: ~/.kube is created', async (t) => {
  const home = tempDir(t);
  const written = await writeKubeconfig(creds, { env: {}, home });
  assert.equal(written.path, join(home, '.kube', 'config'));
  assert.equal(statSync(join(home, '.kube')).mode & 0o777, 0o700);
  assert.equal(statSync(written.path).mode & 0o777, 0o600);
  const config = read(written.path);
  assert.equal(config['current-context'], 'kubevisor');
  assert.deepEqual(config.contexts.map((c) => c.name), ['kubevisor']);
});

test('empty and null-listed kubeconfigs are filled in', async (t) => {
  const dir = tempDir(t);
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  await writeKubeconfig(creds, { env: { KUBECONFIG: empty }, home: dir });
  assert.equal(read(empty).kind, 'Config');

  const nulls = join(dir, 'nulls');
  writeFileSync(nulls, 'apiVersion: v1\nclusters: null\ncontexts: []\nusers: null\nkind: Config\n');
  await writeKubeconfig(creds, { env: { KUBECONFIG: nulls }, home: dir });
  const config = read(nulls);
  assert.deepEqual([config.clusters.length, config.contexts.length, config.users.length], [1, 1, 1]);
});

test('a symlinked kubeconfig is rewritten through the link', async (t) => {
  const dir = tempDir(t);
  const real = join(dir, 'real-config');
  const link = join(dir, 'config');
  writeFileSync(real, EXISTING);
  symlinkSync(real, link);
  const written = await writeKubeconfig(creds, { env: { KUBECONFIG: link }, home: dir });
  assert.equal(written.path, real);
  assert.equal(read(link)['current-context'], 'kubevisor');
});

test('a kubeconfig that is not YAML is left alone', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config');
  writeFileSync(file, 'clusters: [unclosed\n');
  await assert.rejects(writeKubeconfig(creds, { env: { KUBECONFIG: file }, home: dir }), /cannot parse kubeconfig/);
  assert.equal(readFileSync(file, 'utf8'), 'clusters: [unclosed\n');
});

test('the first path of $KUBECONFIG is the one modified', () => {
  assert.equal(defaultKubeconfigPath({ KUBECONFIG: '/a/one:/b/two' }, '/home/u'), '/a/one');
  assert.equal(defaultKubeconfigPath({ KUBECONFIG: ':/b/two' }, '/home/u'), '/b/two');
  assert.equal(defaultKubeconfigPath({}, '/home/u'), '/home/u/.kube/config');
  assert.equal(defaultKubeconfigPath({ KUBECONFIG: '' }, '/home/u'), '/home/u/.kube/config');
});

test('a standalone kubeconfig written here keeps its token user on rewrite, read without a YAML parser', async () => {
  const { standaloneKubeconfig: write } = await import('./kubeconfig.ts');
  const creds = { name: 'kv', server: 'https://127.0.0.1:1', caCert: 'CA', clientCert: 'C', clientKey: 'K' };
  const first = write({ ...creds, token: 'tok"en\\1' });
  const second = write(creds, first);
  const { parse } = await import('yaml');
  const users = parse(second).users as { name: string; user: { token?: string } }[];
  assert.deepEqual(users.find((u) => u.name === 'kv-token')?.user, { token: 'tok"en\\1' });
});
