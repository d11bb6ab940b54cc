// The cluster commands end to end against a real kubevisor server started in
// this process (admin API at the root, clusters at /clusters/NAME): what a user
// types, what they see, what the kubeconfig holds afterwards, and what the
// server then holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { parse } from 'yaml';
import { ensurePki, type Pki } from '../../server/pki/pki.ts';
import { AdminClient, ApiError, resolveAdminTarget } from '../admin-client.ts';
import { runCommand, type CommandIo, type CommandModule } from '../command.ts';
import { UsageError } from '../flags.ts';
import { mergeKubeconfig, standaloneKubeconfig } from '../kubeconfig.ts';
import { byteSize } from '../output.ts';
import { startKubevisorServer, type KubevisorServer } from '../server-runtime.ts';
import { itemPath, type VirtualCluster } from '../virtual-clusters.ts';
import { findClusterCommand, CLUSTER_COMMANDS } from './registry.ts';

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let url: string;
/** kubevisor-admin for the server, and "prod" (current) standing for the user's own cluster. */
let adminKubeconfig: string;
let admin: AdminClient;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-cli-commands-'));
  const dataDir = join(dir, 'data');
  pki = await ensurePki(dataDir);
  server = await startKubevisorServer({ host: '127.0.0.1', port: 0, dataDir, storage: { backend: 'sqlite' }, pki });
  url = server.url;
  const creds = { server: url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey };
  adminKubeconfig = join(dir, 'kubeconfig');
  writeFileSync(adminKubeconfig, mergeKubeconfig(standaloneKubeconfig({ name: 'kubevisor-admin', ...creds }), { name: 'prod', ...creds }), { mode: 0o600 });
  mkdirSync(join(dir, 'home'));
  admin = new AdminClient(await resolveAdminTarget({ kubeconfig: adminKubeconfig, env: {}, home: dir }));
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  out: string;
  /** stdout as bytes (snapshots). */
  outBytes: Buffer;
  err: string;
}

/** A fresh kubeconfig copy for one test, as $KUBECONFIG. */
function freshKubeconfig(): string {
  const file = join(dir, `kubeconfig-${++n}`);
  copyFileSync(adminKubeconfig, file);
  return file;
}

async function kv(kubeconfig: string, argv: string[], stdin?: Buffer): Promise<Result> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  let e = '';
  out.on('data', (d: Buffer) => { o.push(d); });
  err.on('data', (d: Buffer) => { e += d.toString(); });
  const io: CommandIo = {
    out, err,
    env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig },
    home: join(dir, 'home'),
    cwd: dir,
    now: () => new Date(),
    stdin: stdin ? Readable.from([stdin]) : Readable.from([]),
  };
  const entry = findClusterCommand(argv[0]!);
  assert.ok(entry, `command ${argv[0]}`);
  const mod: CommandModule = await entry.load();
  let code: number;
  try {
    code = await runCommand(mod, argv.slice(1), io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    e += `error: ${error.message}\n`;
    code = 1;
  }
  await new Promise((r) => setImmediate(r));
  const outBytes = Buffer.concat(o);
  return { code, out: outBytes.toString(), outBytes, err: e };
}

/** kv, asserting it succeeded. */
async function ok(kubeconfig: string, argv: string[], stdin?: Buffer): Promise<Result> {
  const r = await kv(kubeconfig, argv, stdin);
  assert.equal(r.code, 0, `kubevisor ${argv.join(' ')}: ${r.err}`);
  return r;
}

/** The VirtualCluster as the server holds it, or undefined when it does not exist. */
async function getVc(name: string): Promise<VirtualCluster | undefined> {
  try {
    return await admin.json<VirtualCluster>(itemPath(name));
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

/** A client for the virtual cluster itself, with admin credentials from its kubeconfig subresource. */
async function clusterClient(name: string): Promise<AdminClient> {
  const kc = await admin.json<{ server: string; certificateAuthorityData: string; clientCertificateData: string; clientKeyData: string }>(itemPath(name, 'kubeconfig'));
  const b = (s: string) => Buffer.from(s, 'base64');
  return new AdminClient({ server: kc.server, context: undefined, ca: b(kc.certificateAuthorityData), cert: b(kc.clientCertificateData), key: b(kc.clientKeyData) });
}

const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
/** GET the default namespace of a cluster through a context of a kubeconfig: its name. */
async function namespaceVia(kubeconfig: string, context: string): Promise<string> {
  const c = new AdminClient(await resolveAdminTarget({ kubeconfig, context, env: {}, home: dir }));
  return (await c.json<{ metadata: { name: string } }>('/api/v1/namespaces/default')).metadata.name;
}

/** The names of the ConfigMaps in the cluster's default namespace. */
async function configMaps(name: string): Promise<string[]> {
  const list = await (await clusterClient(name)).json<{ items: Array<{ metadata: { name: string } }> }>(CONFIGMAPS);
  return list.items.map((i) => i.metadata.name).filter((n) => n !== 'kube-root-ca.crt').sort();
}

const config = (file: string) => parse(readFileSync(file, 'utf8')) as {
  'current-context'?: string;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
};

test('registry summaries match the commands\' own', async () => {
  for (const entry of CLUSTER_COMMANDS) {
    const mod = await entry.load();
    assert.equal(mod.def.name, entry.name);
    assert.equal(mod.def.summary, entry.summary);
  }
});

test('create waits until running, connects, and refuses an existing name', async () => {
  const k = freshKubeconfig();
  const r = await kv(k, ['create', 'dev', '--kubernetes-version', '1.33', '--nodes', '3', '--max-objects', '1000', '--sleep-after', '30m']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Creating virtual cluster "dev" \(Kubernetes v1\.33\.0, 3 nodes, sleeps after 30m idle\)\.\.\.$/m);
  assert.match(r.out, /^Virtual cluster "dev" is running at https:\/\/127\.0\.0\.1:\d+\/clusters\/dev \(\d+\.\ds\)\.$/m);
  assert.match(r.out, /^Switched to context "kubevisor_dev" \(in .*\)\.$/m);
  assert.match(r.out, /^Use "kubevisor disconnect" to switch back to context "prod"\.$/m);
  const vc = (await getVc('dev'))!;
  assert.deepEqual(vc.spec, { kubernetesVersion: 'v1.33.0', nodes: 3, sleepAfter: '30m', limits: { maxObjects: 1000 } });
  assert.equal(vc.status?.phase, 'Running');
  assert.equal(vc.status?.kubernetesVersion, 'v1.33.0');
  assert.equal(vc.status?.endpoint, `${url}/clusters/dev`);
  const c = config(k);
  assert.equal(c['current-context'], 'kubevisor_dev');
  const ctx = c.contexts.find((x) => x.name === 'kubevisor_dev')!;
  assert.deepEqual(ctx.context, {
    cluster: 'kubevisor_dev', user: 'kubevisor_dev', namespace: 'default',
    extensions: [{ name: 'kubevisor.dev/previous-context', extension: { context: 'prod' } }],
  });
  assert.equal(c.clusters.find((x) => x.name === 'kubevisor_dev')!.cluster.server, `${url}/clusters/dev`);
  assert.ok(c.users.find((x) => x.name === 'kubevisor_dev')!.user['client-certificate-data']);
  assert.equal(statSync(k).mode & 0o777, 0o600);
  assert.deepEqual(await namespaceVia(k, 'kubevisor_dev'), 'default', 'the context\'s credentials work on the cluster');

  const again = await kv(k, ['create', 'dev']);
  assert.equal(again.code, 1);
  assert.equal(again.err, 'error: virtual cluster "dev" already exists: use "kubevisor connect dev" to use it, or "kubevisor delete dev" first\n');
});

test('create --connect=false --wait=false leaves the kubeconfig alone', async () => {
  const k = freshKubeconfig();
  const before = readFileSync(k, 'utf8');
  const r = await kv(k, ['create', 'quick', '--connect=false', '--wait=false']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Creating virtual cluster "quick"...\nVirtual cluster "quick" created.\nUse "kubevisor connect quick" to point kubectl at it.\n');
  assert.equal(readFileSync(k, 'utf8'), before);
  assert.ok(await getVc('quick'), 'the server has it');
});

test('create rejects bad flags with a usage error', async () => {
  const k = freshKubeconfig();
  for (const [args, message] of [
    [['create'], 'a virtual cluster name is required'],
    [['create', 'Bad_Name'], 'invalid virtual cluster name "Bad_Name"'],
    [['create', 'x', '--storage', 'mysql'], 'invalid argument "mysql" for "--storage" flag: must be one of: sqlite, etcd'],
    [['create', 'x', '--nodes', 'three'], 'invalid argument "three" for "--nodes" flag: must be a whole number'],
    [['create', 'x', '--sleep-after', '30 minutes'], 'invalid argument "30 minutes" for "--sleep-after" flag: time: invalid duration'],
    [['create', 'x', '--kubernetes-version', 'latest'], 'invalid argument "latest" for "--kubernetes-version" flag'],
    [['create', 'x', '--host-namespace', 'a'], '--host-context and --host-namespace need --host-kubeconfig'],
    [['create', 'x', '--connect=maybe'], 'invalid argument "maybe" for "--connect" flag'],
  ] as const) {
    const r = await kv(k, [...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.ok(r.err.includes(message), `${args.join(' ')}: ${r.err}`);
  }
});

test('list: table, CONNECTED, names, json and yaml', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'alpha']);
  await ok(k, ['create', 'beta', '--connect=false']);
  const r = await kv(k, ['list']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME +STATUS +VERSION +CONNECTED +AGE +OBJECTS$/);
  // OBJECTS is what the server counts in the cluster (its bootstrap objects, at least).
  const objects = async (name: string) => String((await getVc(name))!.status!.objects);
  assert.match(r.out, new RegExp(`^alpha +Running +v1\\.36\\.0 +True +\\d+s +${await objects('alpha')}$`, 'm'));
  assert.match(r.out, new RegExp(`^beta +Running +v1\\.36\\.0 +False +\\d+s +${await objects('beta')}$`, 'm'));
  assert.ok(Number(await objects('alpha')) > 0);
  const names = (await kv(k, ['ls', '-o', 'name'])).out.split('\n');
  assert.ok(names.includes('alpha') && names.includes('beta'));
  const json = JSON.parse((await kv(k, ['list', '-ojson'])).out) as { kind: string; items: Array<{ metadata: { name: string } }> };
  assert.equal(json.kind, 'List');
  assert.ok(json.items.some((i) => i.metadata.name === 'alpha'));
  const yaml = (await kv(k, ['list', '--output=yaml'])).out;
  assert.match(yaml, /^apiVersion: v1\nitems:\n- apiVersion: kubevisor\.dev\/v1alpha1\n/);
  const bad = await kv(k, ['list', '-o', 'wide']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /invalid argument "wide" for "--output" flag/);
});

test('describe prints the cluster kubectl-describe style; unknown names fail as kubectl does', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'desc', '--connect=false', '--max-watches', '5', '--storage', 'sqlite']);
  const r = await kv(k, ['describe', 'desc']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Name: +desc$/m);
  assert.match(r.out, /^Status: +Running$/m);
  assert.match(r.out, /^Version: +v1\.36\.0$/m);
  assert.match(r.out, new RegExp(`^Endpoint: +${url.replace(/\./g, '\\.')}/clusters/desc$`, 'm'));
  assert.match(r.out, /^Storage: +sqlite$/m);
  assert.match(r.out, /^ {2}Max Watches: +5$/m);
  assert.match(r.out, /^ {2}Max Objects: +unlimited$/m);
  assert.match(r.out, /^Objects: +\d+$/m);
  assert.match(r.out, /^Created: +\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000 \(\d+s ago\)$/m);
  assert.match(r.out, /^Conditions:\n {2}Type +Status +LastTransitionTime +Reason +Message\n {2}---- +------ +------------------ +------ +-------\n {2}Ready +True +\w{3}, .* +Running *$/m);

  // An etcd cluster on a server without etcd fails: create says why, describe shows it.
  const failed = await kv(k, ['create', 'on-etcd', '--connect=false', '--storage', 'etcd']);
  assert.equal(failed.code, 1);
  assert.match(failed.err, /^error: virtual cluster "on-etcd" failed: .*this server has no etcd/m);
  const f = await kv(k, ['describe', 'on-etcd']);
  assert.equal(f.code, 0, f.err);
  assert.match(f.out, /^Status: +Failed$/m);
  assert.match(f.out, /^Storage: +etcd$/m);
  assert.match(f.out, /^ {2}Ready +False +\w{3}, .* +Failed +.*this server has no etcd/m);
  const missing = await kv(k, ['describe', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): virtualclusters.kubevisor.dev "nope" not found\n');
});

test('connect, connect another, disconnect back to the first context', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'c1', '--connect=false']);
  await ok(k, ['create', 'c2', '--connect=false']);
  assert.equal((await kv(k, ['connect', 'c1'])).code, 0);
  assert.equal(config(k)['current-context'], 'kubevisor_c1');
  assert.equal((await kv(k, ['connect', 'c2'])).code, 0);
  assert.equal(config(k)['current-context'], 'kubevisor_c2');
  assert.equal(await namespaceVia(k, 'kubevisor_c1'), 'default');
  assert.equal(await namespaceVia(k, 'kubevisor_c2'), 'default');
  const d = await kv(k, ['disconnect']);
  assert.equal(d.code, 0, d.err);
  assert.equal(d.out, 'Switched to context "prod".\n');
  assert.equal(config(k)['current-context'], 'prod');
  const again = await kv(k, ['disconnect']);
  assert.equal(again.code, 1);
  assert.equal(again.err, 'error: the current context "prod" is not a virtual cluster\'s (kubevisor_NAME): not connected\n');
  const missing = await kv(k, ['connect', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): virtualclusters.kubevisor.dev "nope" not found\n');
});

test('connect --print writes a standalone kubeconfig and changes nothing', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'printed', '--connect=false']);
  const before = readFileSync(k, 'utf8');
  const r = await kv(k, ['connect', 'printed', '--print']);
  assert.equal(r.code, 0, r.err);
  const c = parse(r.out) as { 'current-context': string; clusters: Array<{ cluster: { server: string } }> };
  assert.equal(c['current-context'], 'kubevisor_printed');
  assert.equal(c.clusters[0]!.cluster.server, `${url}/clusters/printed`);
  assert.equal(readFileSync(k, 'utf8'), before);
  const printed = join(dir, 'printed.kubeconfig');
  writeFileSync(printed, r.out);
  assert.equal(await namespaceVia(printed, 'kubevisor_printed'), 'default', 'the printed credentials work on the cluster');
});

test('connect NAME -- CMD runs CMD with a temporary KUBECONFIG and exits with its code', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'cmd', '--connect=false']);
  const copy = join(dir, 'cmd.kubeconfig');
  const r = await kv(k, ['connect', 'cmd', '--', 'sh', '-c', `echo "$KUBECONFIG"; grep current-context "$KUBECONFIG"; cp "$KUBECONFIG" ${copy}; exit 7`]);
  assert.equal(r.code, 7, r.err);
  const [file, current] = r.out.trimEnd().split('\n');
  assert.notEqual(file, k);
  assert.equal(current, 'current-context: "kubevisor_cmd"');
  assert.equal(existsSync(file!), false, 'the temporary kubeconfig is removed');
  assert.equal(await namespaceVia(copy, 'kubevisor_cmd'), 'default', 'the command\'s credentials work on the cluster');
  assert.equal(config(k)['current-context'], 'prod');
  const missing = await kv(k, ['connect', 'cmd', '--', 'no-such-command-kubevisor']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot run "no-such-command-kubevisor": command not found/);
});

test('pause and resume wait for the phase', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'sleepy', '--connect=false']);
  const p = await kv(k, ['pause', 'sleepy']);
  assert.equal(p.code, 0, p.err);
  assert.equal(p.out, 'Waiting for virtual cluster "sleepy" to be paused...\nVirtual cluster "sleepy" paused.\n');
  const paused = (await getVc('sleepy'))!;
  assert.equal(paused.spec?.paused, true);
  assert.equal(paused.status?.phase, 'Paused');
  await assert.rejects((await clusterClient('sleepy')).json(CONFIGMAPS), { code: 503 }, 'a paused cluster answers 503');
  const again = await kv(k, ['pause', 'sleepy']);
  assert.equal(again.out, 'Virtual cluster "sleepy" is already paused.\n');
  const r = await kv(k, ['resume', 'sleepy']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Waiting for virtual cluster "sleepy" to be running...\nVirtual cluster "sleepy" resumed.\n');
  const resumed = (await getVc('sleepy'))!;
  assert.equal(resumed.spec?.paused, false);
  assert.equal(resumed.status?.phase, 'Running');
  assert.deepEqual(await configMaps('sleepy'), []);
  const already = await kv(k, ['resume', 'sleepy']);
  assert.equal(already.out, 'Virtual cluster "sleepy" is already running.\n');
});

test('snapshot to a file and stdout, restore from a file and stdin', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'snap', '--connect=false']);
  const snap = await clusterClient('snap');
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
  await snap.json(CONFIGMAPS, { method: 'POST', json: cm('kept') });
  const file = join(dir, 'snap.bin');
  const s = await kv(k, ['snapshot', 'snap', file]);
  assert.equal(s.code, 0, s.err);
  const size = statSync(file).size;
  assert.equal(s.out, `Snapshot of virtual cluster "snap" written to ${file} (${byteSize(size)}).\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual([...readFileSync(file).subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
  const toStdout = await kv(k, ['snapshot', 'snap', '-']);
  assert.equal(toStdout.code, 0, toStdout.err);
  assert.deepEqual([...toStdout.outBytes.subarray(0, 2)], [0x1f, 0x8b]);
  assert.equal(toStdout.err, `Snapshot of virtual cluster "snap" written to stdout (${byteSize(toStdout.outBytes.length)}).\n`);

  // Change the cluster, then put the snapshot back: exactly its data again.
  await snap.json(`${CONFIGMAPS}/kept`, { method: 'DELETE' });
  await snap.json(CONFIGMAPS, { method: 'POST', json: cm('later') });
  assert.deepEqual(await configMaps('snap'), ['later']);
  const r = await kv(k, ['restore', 'snap', file]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Virtual cluster "snap" restored from ${file} (${byteSize(size)}); it is Running.\n`);
  assert.deepEqual(await configMaps('snap'), ['kept']);
  // Into a cluster that does not exist yet: restore creates it.
  const fromStdin = await kv(k, ['restore', 'copy', '-'], toStdout.outBytes);
  assert.equal(fromStdin.code, 0, fromStdin.err);
  assert.equal(fromStdin.out, `Virtual cluster "copy" restored from stdin (${byteSize(toStdout.outBytes.length)}); it is Running.\n`);
  assert.equal((await getVc('copy'))?.status?.phase, 'Running');
  assert.deepEqual(await configMaps('copy'), ['kept']);

  const garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, 'other data');
  const bad = await kv(k, ['restore', 'snap', garbage]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Error from server \(BadRequest\): not a usable snapshot: /);
  assert.deepEqual(await configMaps('snap'), ['kept'], 'a refused snapshot changes nothing');

  const missing = await kv(k, ['snapshot', 'nope', join(dir, 'nope.bin')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): virtualclusters.kubevisor.dev "nope" not found\n');
  assert.equal(existsSync(join(dir, 'nope.bin')), false);
});

test('delete removes the cluster and its context, switching back', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'gone']);
  assert.equal(config(k)['current-context'], 'kubevisor_gone');
  const r = await kv(k, ['delete', 'gone']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Virtual cluster "gone" deleted.\nRemoved context "kubevisor_gone" from ${k}.\nSwitched to context "prod".\n`);
  assert.equal(await getVc('gone'), undefined);
  assert.equal(existsSync(join(dir, 'data', 'clusters', 'gone')), false, 'its data is gone');
  const c = config(k);
  assert.equal(c['current-context'], 'prod');
  assert.ok(!c.contexts.some((x) => x.name === 'kubevisor_gone'));
  assert.ok(!c.clusters.some((x) => x.name === 'kubevisor_gone'));
  assert.ok(!c.users.some((x) => x.name === 'kubevisor_gone'));
  const missing = await kv(k, ['delete', 'gone']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Error from server (NotFound): virtualclusters.kubevisor.dev "gone" not found\n');
  const usage = await kv(k, ['delete']);
  assert.equal(usage.code, 1);
  assert.match(usage.err, /give the names of virtual clusters to delete, or --all/);
});

test('delete --all', async () => {
  const k = freshKubeconfig();
  await ok(k, ['create', 'all-1', '--connect=false']);
  const r = await kv(k, ['delete', '--all', '--wait=false']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Virtual cluster "all-1" deleted\.$/m);
  // --wait=false returns at once: the server finishes the deletions on its own.
  const deadline = Date.now() + 10_000;
  while ((await admin.json<{ items: unknown[] }>('/apis/kubevisor.dev/v1alpha1/virtualclusters')).items.length > 0) {
    assert.ok(Date.now() < deadline, 'every virtual cluster is deleted within 10s');
    await new Promise((res) => setTimeout(res, 50));
  }
  const none = await kv(k, ['list']);
  assert.equal(none.out, '');
  assert.equal(none.err, 'No virtual clusters found. Create one with "kubevisor create NAME".\n');
});

test('no admin context: a hint, exit 1', async () => {
  const k = join(dir, 'empty-kubeconfig');
  writeFileSync(k, 'apiVersion: v1\nkind: Config\n');
  const r = await kv(k, ['list']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: no kubeconfig context "kubevisor-admin" in .*empty-kubeconfig: start a server with "kubevisor serve"/);
});

test('--help for every command lists flags sorted and shows examples', async () => {
  for (const entry of CLUSTER_COMMANDS) {
    const r = await kv(freshKubeconfig(), [entry.name, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /\nUsage:\n {2}kubevisor /);
    assert.match(r.out, /\nExamples:\n {2}# /);
    const flags = [...r.out.split('\nFlags:\n')[1]!.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]!);
    assert.deepEqual(flags, [...flags].sort(), entry.name);
    assert.ok(flags.includes('help'));
  }
});

test('completion scripts parse in their shells', async () => {
  const k = freshKubeconfig();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await kv(k, ['completion', shell]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes('create') && r.out.includes('list -o name'), shell);
    const has = spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
    if (!has) continue;
    const check = spawnSync(shell, ['-n'], { input: r.out });
    assert.equal(check.status, 0, `${shell} -n: ${check.stderr}`);
  }
  const bad = await kv(k, ['completion', 'powershell']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unsupported shell "powershell"/);
});
