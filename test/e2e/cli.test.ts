// The kubevisor CLI as a new user types it, against a real `kubevisor serve`:
// create, list, describe, connect and kubectl, disconnect, pause/resume,
// snapshot/restore, delete. Skips itself while `serve` does not exist.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cliEntry, startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlBinary } from '../support/kubectl.ts';


interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubevisor CLI against kubevisor serve', () => {
  let base = '';
  let kubeconfig = '';
  let home = '';
  let url = '';
  let instance: Kubevisor | undefined;
  let serverOutput = '';
  const kubectl = kubectlBinary('1.33');

  const env = () => ({ PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: kubeconfig });
  const run = (file: string, args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(file, args, { env: env(), cwd: base, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      if (input !== undefined) child.stdin?.end(input);
      else child.stdin?.end();
    });
  const kv = (...args: string[]) => run(process.execPath, [cliEntry, ...args]);
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kv(...args);
    assert.equal(r.code, 0, `kubevisor ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver: ${serverOutput}`);
    return r.stdout;
  };
  const k = (...args: string[]) => run(kubectl, args);
  const kOk = async (...args: string[]): Promise<string> => {
    const r = await k(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  const currentContext = () => (parse(readFileSync(kubeconfig, 'utf8')) as { 'current-context'?: string })['current-context'];
  const contexts = () => ((parse(readFileSync(kubeconfig, 'utf8')) as { contexts?: Array<{ name: string }> }).contexts ?? []).map((c) => c.name);

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'kubevisor-cli-e2e-'));
    kubeconfig = join(base, 'kubeconfig');
    home = join(base, 'home');
    const dataDir = join(base, 'data');
    instance = await startKubevisor({ command: 'serve', dataDir, kubeconfig, home, output: (text) => { serverOutput += text; } });
    url = instance.url;
  });

  after(async () => {
    await instance?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('a new user\'s session', async () => {
    const adminContext = currentContext();
    assert.ok(contexts().includes('kubevisor-admin'), `serve writes the context kubevisor-admin: ${readFileSync(kubeconfig, 'utf8')}`);

    // Nothing yet.
    const empty = await kv('list');
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /No virtual clusters found/);

    // create: progress, running, connected.
    const created = await ok('create', 'dev', '--kubernetes-version', 'v1.33.0', '--nodes', '1');
    assert.match(created, /^Creating virtual cluster "dev" \(Kubernetes v1\.33\.0, 1 node\)\.\.\.$/m);
    assert.match(created, new RegExp(`^Virtual cluster "dev" is running at ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/clusters/dev \\(\\d+\\.\\ds\\)\\.$`, 'm'));
    assert.match(created, /^Switched to context "kubevisor_dev" \(in .*\)\.$/m);
    assert.equal(currentContext(), 'kubevisor_dev');

    const again = await kv('create', 'dev');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: virtual cluster "dev" already exists/);

    // list and describe.
    const listed = await ok('list');
    assert.match(listed, /^NAME +STATUS +VERSION +CONNECTED +AGE +OBJECTS\n/);
    assert.match(listed, /^dev +Running +v1\.33\.0 +True +\d+s +\d+$/m);
    assert.equal(await ok('list', '-o', 'name'), 'dev\n');
    const json = JSON.parse(await ok('list', '-o', 'json')) as { items: Array<{ kind: string; spec: { nodes: number } }> };
    assert.equal(json.items[0]!.kind, 'VirtualCluster');
    assert.equal(json.items[0]!.spec.nodes, 1);
    assert.match(await ok('list', '-o', 'yaml'), /^apiVersion: v1\nitems:\n- apiVersion: kubevisor\.dev\/v1alpha1\n/);
    const described = await ok('describe', 'dev');
    assert.match(described, /^Name: +dev$/m);
    assert.match(described, /^Status: +Running$/m);
    assert.match(described, /^Version: +v1\.33\.0$/m);
    assert.match(described, new RegExp(`^Endpoint: +${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/clusters/dev$`, 'm'));
    assert.match(described, /^Nodes: +1$/m);
    assert.match(described, /^Conditions:\n +Type +Status/m);
    const missing = await kv('describe', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): virtualclusters.kubevisor.dev "nope" not found\n');

    // kubectl talks to the virtual cluster through the connected context.
    const ns = await kOk('get', 'ns');
    assert.match(ns, /^default +Active/m);
    assert.match(ns, /^kube-system +Active/m);
    const version = JSON.parse(await kOk('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
    assert.match(version.serverVersion.gitVersion, /^v1\.33\.0\+kubevisor/);
    await kOk('create', 'configmap', 'marker', '--from-literal=k=v');

    // snapshot to a file.
    const snapshotFile = join(base, 'dev.snapshot');
    assert.match(await ok('snapshot', 'dev', snapshotFile), /^Snapshot of virtual cluster "dev" written to .*dev\.snapshot \(\d+(\.\d)? (B|KiB|MiB)\)\.\n$/);
    assert.ok(statSync(snapshotFile).size > 0);

    // disconnect: back to the context current before create.
    assert.equal(await ok('disconnect'), adminContext ? `Switched to context "${adminContext}".\n` : 'Unset the current context (none was current before connect).\n');
    assert.equal(currentContext(), adminContext);
    const notConnected = await kv('disconnect');
    assert.equal(notConnected.code, 1);
    assert.match(notConnected.stderr, /^error: the current context .* is not a virtual cluster's/);

    // pause: the cluster answers 503; resume: it serves again, with its data.
    assert.match(await ok('pause', 'dev'), /Virtual cluster "dev" paused\.\n$/);
    assert.match(await ok('list'), /^dev +Paused +/m);
    const paused = await k('--context', 'kubevisor_dev', '--request-timeout=5s', 'get', 'configmap', 'marker');
    assert.notEqual(paused.code, 0);
    assert.match(await ok('resume', 'dev'), /Virtual cluster "dev" resumed\.\n$/);
    await kOk('--context', 'kubevisor_dev', 'get', 'configmap', 'marker');

    // restore: into a new cluster, and back into dev after a change.
    assert.match(await ok('restore', 'copy', snapshotFile), /^Virtual cluster "copy" restored from .*dev\.snapshot \(.*\); it is Running\.\n$/);
    const inCopy = await kv('connect', 'copy', '--', kubectl, 'get', 'configmap', 'marker', '-o', 'name');
    assert.equal(inCopy.code, 0, inCopy.stderr);
    assert.equal(inCopy.stdout, 'configmap/marker\n');
    assert.equal(currentContext(), adminContext, 'connect -- CMD leaves the kubeconfig alone');
    const failing = await kv('connect', 'copy', '--', 'sh', '-c', 'test -f "$KUBECONFIG" && exit 3');
    assert.equal(failing.code, 3);
    await kOk('--context', 'kubevisor_dev', 'delete', 'configmap', 'marker');
    await ok('restore', 'dev', snapshotFile);
    await kOk('--context', 'kubevisor_dev', 'get', 'configmap', 'marker');

    // connect --print: a standalone kubeconfig that works.
    const printed = join(base, 'copy.kubeconfig');
    writeFileSync(printed, await ok('connect', 'copy', '--print'));
    await kOk('--kubeconfig', printed, 'get', 'configmap', 'marker');

    // delete: the clusters and their contexts go; the current context is switched back.
    await ok('connect', 'copy');
    assert.equal(currentContext(), 'kubevisor_copy');
    const deleted = await ok('delete', 'dev', 'copy');
    assert.match(deleted, /^Virtual cluster "dev" deleted\.$/m);
    assert.match(deleted, /^Virtual cluster "copy" deleted\.$/m);
    if (adminContext) assert.match(deleted, new RegExp(`^Switched to context "${adminContext}"\\.$`, 'm'));
    assert.equal(currentContext(), adminContext);
    assert.ok(!contexts().some((c) => c.startsWith('kubevisor_')), contexts().join(','));
    const none = await kv('list');
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /No virtual clusters found/);
    const gone = await kv('delete', 'dev');
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Error from server (NotFound): virtualclusters.kubevisor.dev "dev" not found\n');
    assert.equal(existsSync(join(base, 'data', 'clusters', 'dev')), false);
  });
});
