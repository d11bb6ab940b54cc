// kubectl logs, exec and port-forward against simulated pods configured by
// annotation; exec refused by a ValidatingAdmissionPolicy (CONNECT).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, get, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor, kubectlBinary } from '../support/kubectl.ts';

let kv: Kubevisor;
let backend: Server;
let backendPort = 0;
before(async () => {
  kv = await startKubevisor({ extraArgs: ['--nodes', '1'] });
  // `/` answers port-forward; other paths (pods/proxy) say what reached them.
  backend = createServer((req, res) => res.end(req.url === '/' ? 'hello through port-forward' : `proxied ${req.method} ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  backendPort = (backend.address() as AddressInfo).port;
  mkdirSync(kv.home, { recursive: true });
  const logFile = join(kv.home, 'app.log');
  writeFileSync(logFile, 'line one\nline two\nline three\n');
  const k = kubectlFor(kv, '1.33');
  await k.ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'tools', annotations: {
      'kubevisor.dev/exec-command': '/bin/sh', 'kubevisor.dev/logs-file': logFile,
      'kubevisor.dev/port-forward-80': `127.0.0.1:${backendPort}`,
    } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  }));
  await k.ok(['wait', '--for=condition=Ready', 'pod/tools', '--timeout=30s']);
});
after(async () => { backend?.close(); await kv?.stop(); });

for (const version of ['1.33', '1.27']) {
  test(`kubectl ${version}: logs (with --tail) and exec (stdin, exit codes)`, async () => {
    const k = kubectlFor(kv, version);
    assert.equal(await k.ok(['logs', 'tools']), 'line one\nline two\nline three\n');
    assert.equal(await k.ok(['logs', 'tools', '--tail=1']), 'line three\n');
    assert.equal(await k.ok(['exec', 'tools', '--', 'echo', 'hi']), 'hi\n');
    assert.equal(await k.ok(['exec', '-i', 'tools', '--', '/bin/sh'], 'echo from-stdin\n'), 'from-stdin\n');
    const failed = await k.run(['exec', 'tools', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /command terminated with exit code 3/);
  });
}

test('kubectl cp into and out of a pod, through exec running tar (the pod\'s exec command is a local shell)', async () => {
  const k = kubectlFor(kv, '1.33');
  const src = join(kv.home, 'cp-src.txt');
  writeFileSync(src, 'copied in\n');
  const destDir = join(kv.home, 'cp-dest');
  mkdirSync(destDir, { recursive: true });
  await k.ok(['cp', src, `tools:${destDir}/in.txt`]);
  assert.equal(readFileSync(join(destDir, 'in.txt'), 'utf8'), 'copied in\n');
  const out = join(kv.home, 'cp-out.txt');
  await k.ok(['cp', `tools:${join(kv.home, 'app.log')}`, out]);
  assert.equal(readFileSync(out, 'utf8'), 'line one\nline two\nline three\n');
});

test('kubectl port-forward reaches the configured address', async () => {
  const bin = kubectlBinary('1.33');
  const pf = spawn(bin, ['port-forward', 'pod/tools', '0:80'], { env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig } });
  try {
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no forwarding line: ${out}`)), 20_000);
      pf.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
    });
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${local}/`, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); }).on('error', reject);
    });
    assert.equal(body, 'hello through port-forward');
  } finally {
    pf.kill();
  }
});

test('kubectl get --raw through pods/proxy reaches the configured address, path and query included', async () => {
  const k = kubectlFor(kv, '1.33');
  assert.equal(await k.ok(['get', '--raw', '/api/v1/namespaces/default/pods/tools:80/proxy/some/path?x=1']), 'proxied GET /some/path?x=1');
});

/** A kubectl get -o jsonpath on the tools pod, polled until it prints something (or 20 s pass). */
async function waitForJsonpath(version: string, path: string): Promise<string> {
  const k = kubectlFor(kv, version);
  const end = Date.now() + 20_000;
  for (;;) {
    const out = await k.ok(['get', 'pod', 'tools', '-o', `jsonpath=${path}`]);
    if (out.trim() !== '' || Date.now() > end) return out;
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const version of ['1.33', '1.27']) {
  test(`kubectl ${version} debug: an ephemeral container is added and runs; exec reaches it`, async () => {
    const k = kubectlFor(kv, version);
    const name = `debugger-${version.replace('.', '-')}`;
    await k.ok(['debug', 'tools', '--image=busybox', '-c', name, '--attach=false']);
    const started = await waitForJsonpath(version, `{.status.ephemeralContainerStatuses[?(@.name=="${name}")].state.running.startedAt}`);
    assert.match(started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(await k.ok(['get', 'pod', 'tools', '-o', `jsonpath={.spec.ephemeralContainers[?(@.name=="${name}")].image}`]), 'busybox');
    assert.equal(await k.ok(['get', 'pod', 'tools', '-o', `jsonpath={.status.ephemeralContainerStatuses[?(@.name=="${name}")].image}`]),
      'docker.io/library/busybox:latest');
    // The pod itself is unchanged: still Running and Ready.
    assert.equal(await k.ok(['get', 'pod', 'tools', '-o', 'jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status}']), 'Running True');
    assert.equal(await k.ok(['exec', 'tools', '-c', name, '--', 'echo', 'in-the-debugger']), 'in-the-debugger\n');
    const described = await k.ok(['describe', 'pod', 'tools']);
    assert.match(described, /Ephemeral Containers:\n {2}debugger-/);
    assert.match(described, new RegExp(`Started container ${name}`));
  });

  test(`kubectl ${version} debug -i: attaches to the new container (the pod's attach command reads stdin)`, async () => {
    const k = kubectlFor(kv, version);
    const name = `shell-${version.replace('.', '-')}`;
    const out = await k.ok(['debug', 'tools', '--image=busybox', '-c', name, '-i', '--', 'sh'], 'echo "hello from $KUBEVISOR_CONTAINER_NAME"\nexit 0\n');
    assert.equal(out, `hello from ${name}\n`);
    assert.equal(await k.ok(['get', 'pod', 'tools', '-o', `jsonpath={.spec.ephemeralContainers[?(@.name=="${name}")].command[0]}`]), 'sh');
  });
}

test('a ValidatingAdmissionPolicy refuses kubectl exec (CONNECT) into the pods of a labelled namespace: kubectl 1.33 (WebSocket) and 1.27 (SPDY)', async () => {
  const k = kubectlFor(kv, '1.33');
  const ns = 'e2e-locked';
  // A policy sees a connect's options (PodExecOptions), not the pod: it tells pods apart by namespace, name or the request.
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'e2e-no-exec' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec', 'pods/attach'] }] },
      validations: [{ expression: 'false', messageExpression: "'exec into ' + request.namespace + '/' + request.name + ' is not allowed'", reason: 'Forbidden' }],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'e2e-no-exec-binding' },
    spec: { policyName: 'e2e-no-exec', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { exec: 'locked' } } } },
  };
  await k.ok(['create', 'namespace', ns]);
  await k.ok(['label', 'namespace', ns, 'exec=locked']);
  await k.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vault', namespace: ns, annotations: { 'kubevisor.dev/exec-command': '/bin/sh' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  }, policy, binding] }));
  await k.ok(['wait', '--for=condition=Ready', 'pod/vault', '-n', ns, '--timeout=30s']);
  try {
    for (const version of ['1.33', '1.27']) {
      const kc = kubectlFor(kv, version);
      const refused = await kc.run(['exec', 'vault', '-n', ns, '--', 'echo', 'hi']);
      assert.equal(refused.code, 1, version);
      assert.equal(refused.stdout, '', version);
      assert.equal(refused.stderr, 'Error from server (Forbidden): pods "vault" is forbidden: ValidatingAdmissionPolicy \'e2e-no-exec\' with binding ' +
        '\'e2e-no-exec-binding\' denied request: exec into e2e-locked/vault is not allowed\n', version);
      // A pod elsewhere still execs.
      assert.equal(await kc.ok(['exec', 'tools', '--', 'echo', 'hi']), 'hi\n', version);
    }
  } finally {
    await k.ok(['delete', 'validatingadmissionpolicybinding', 'e2e-no-exec-binding']);
    await k.ok(['delete', 'validatingadmissionpolicy', 'e2e-no-exec']);
  }
  // Gone with its binding.
  assert.equal(await k.ok(['exec', 'vault', '-n', ns, '--', 'echo', 'hi']), 'hi\n');
});
