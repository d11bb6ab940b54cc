// Workloads on a standalone server (simulated nodes, scheduler, controllers),
// driven by the real kubectl and helm as a user would.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { helmBinary } from '../support/helm.ts';

let kv: Kubevisor;
// HPAs sync every second (kube-controller-manager's flag; default 15s), and CPU samples count as soon as
// a pod is ready rather than a metric window after (default: for its first 5 minutes).
before(async () => {
  kv = await startKubevisor({ extraArgs: ['--nodes', '3', '--horizontal-pod-autoscaler-sync-period', '1s', '--horizontal-pod-autoscaler-cpu-initialization-period', '0s'] });
});
after(async () => { await kv?.stop(); });

const k = () => kubectlFor(kv, '1.33');

function file(name: string, body: string): string {
  mkdirSync(kv.home, { recursive: true });
  const p = join(kv.home, name);
  writeFileSync(p, body);
  return p;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('deployments', { concurrency: false }, () => {
  const ns = 'deploys';
  test('create, rollout status, scale, wait Available', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '-n', ns]);
    assert.match(await k().ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']), /successfully rolled out/);
    await k().ok(['scale', 'deploy/web', '--replicas=4', '-n', ns]);
    await k().ok(['wait', '--for=condition=Available', 'deploy/web', '-n', ns, '--timeout=60s']);
    await until('4 ready pods', async () => (await k().ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.status.readyReplicas}'])) === '4');
    const pods = await k().ok(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.phase} {.spec.nodeName} {.status.podIP}{"\\n"}{end}']);
    const lines = pods.trim().split('\n');
    assert.equal(lines.length, 4);
    for (const l of lines) assert.match(l, /^Running kubevisor-node-\d 10\.244\.\d+\.\d+$/);
  });

  test('set image, rollout status, history, undo', async () => {
    await k().ok(['set', 'image', 'deploy/web', 'nginx=nginx:1.26', '-n', ns]);
    assert.match(await k().ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']), /successfully rolled out/);
    const history = await k().ok(['rollout', 'history', 'deploy/web', '-n', ns]);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+<none>$/m);
    await k().ok(['rollout', 'undo', 'deploy/web', '-n', ns]);
    assert.match(await k().ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']), /successfully rolled out/);
    assert.equal(await k().ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.25');
    assert.match(await k().ok(['rollout', 'history', 'deploy/web', '-n', ns]), /^3\s+<none>$/m);
  });

  test('delete --cascade=orphan keeps the replica sets; foreground deletes them first', async () => {
    await k().ok(['delete', 'deploy', 'web', '-n', ns, '--cascade=orphan']);
    await until('the deployment gone', async () => (await k().run(['get', 'deploy', 'web', '-n', ns])).code !== 0);
    const rs = await k().ok(['get', 'rs', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences}{"\\n"}{end}']);
    assert.ok(rs.trim().split('\n').length >= 1);
    for (const l of rs.trim().split('\n')) assert.doesNotMatch(l, /Deployment/, 'orphaned replica sets lose their owner');
    await k().ok(['delete', 'rs', '--all', '-n', ns, '--cascade=foreground', '--wait=true', '--timeout=60s']);
    await until('all pods gone', async () => (await k().ok(['get', 'pods', '-n', ns, '-o', 'name'])) === '');
  });
});

describe('jobs and cronjobs', { concurrency: false }, () => {
  const ns = 'batch';
  test('a Job runs to Complete and wait --for=condition=complete returns', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['create', 'job', 'once', '--image=busybox', '-n', ns, '--', 'true']);
    await k().ok(['wait', '--for=condition=complete', 'job/once', '-n', ns, '--timeout=60s']);
    const jobs = await k().ok(['get', 'jobs', '-n', ns]);
    assert.match(jobs, /^once\s+Complete\s+1\/1\s+/m);
  });

  test('a CronJob fires on schedule', async () => {
    await k().ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=@every 2s', '-n', ns, '--', 'true']);
    await until('a job created by the cronjob', async () => /^tick-\d+/m.test(await k().ok(['get', 'jobs', '-n', ns, '-o', 'custom-columns=NAME:.metadata.name', '--no-headers'])), 30_000);
    const last = await k().ok(['get', 'cronjob', 'tick', '-n', ns, '-o', 'jsonpath={.status.lastScheduleTime}']);
    assert.match(last, /^\d{4}-\d\d-\d\dT/);
  });
});

describe('statefulsets and daemonsets', { concurrency: false }, () => {
  const ns = 'apps';
  test('a StatefulSet comes up in order with its PVCs', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['apply', '-n', ns, '-f', file('sts.yaml', [
      'apiVersion: apps/v1', 'kind: StatefulSet', 'metadata: {name: db}', 'spec:', '  serviceName: db', '  replicas: 3',
      '  selector: {matchLabels: {app: db}}', '  template:', '    metadata: {labels: {app: db}}', '    spec:',
      '      containers: [{name: db, image: postgres}]', '  volumeClaimTemplates:', '  - metadata: {name: data}',
      '    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}', ''].join('\n'))]);
    assert.match(await k().ok(['rollout', 'status', 'sts/db', '-n', ns, '--timeout=60s']), /roll out complete|rolling update complete/);
    const created = await k().ok(['get', 'pods', '-n', ns, '-l', 'app=db', '--sort-by=.metadata.creationTimestamp', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.deepEqual(created.split(' ').sort(), ['db-0', 'db-1', 'db-2']);
    // Events list in name order; their resourceVersions give the order they were written in.
    const events = JSON.parse(await k().ok(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=StatefulSet,reason=SuccessfulCreate', '-o', 'json'])).items as { message: string; metadata: { resourceVersion: string } }[];
    const order = events.filter((e) => e.message.startsWith('create Pod'))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .map((e) => /Pod (db-\d)/.exec(e.message)?.[1]);
    assert.deepEqual(order, ['db-0', 'db-1', 'db-2']);
    assert.equal(await k().ok(['get', 'pvc', '-n', ns, '-o', 'name']), 'persistentvolumeclaim/data-db-0\npersistentvolumeclaim/data-db-1\npersistentvolumeclaim/data-db-2\n');
  });

  test('a DaemonSet has one pod per node', async () => {
    await k().ok(['apply', '-n', ns, '-f', file('ds.yaml', [
      'apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: agent}', 'spec:', '  selector: {matchLabels: {app: agent}}',
      '  template:', '    metadata: {labels: {app: agent}}', '    spec: {containers: [{name: a, image: busybox}]}', ''].join('\n'))]);
    assert.match(await k().ok(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=60s']), /successfully rolled out/);
    const nodes = (await k().ok(['get', 'pods', '-n', ns, '-l', 'app=agent', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').sort();
    assert.deepEqual(nodes, ['kubevisor-node-0', 'kubevisor-node-1', 'kubevisor-node-2']);
  });

  test('delete namespace empties it and removes it', async () => {
    await k().ok(['delete', 'namespace', ns, '--timeout=60s']);
    assert.equal((await k().run(['get', 'namespace', ns])).code, 1);
  });
});

describe('policy', { concurrency: false }, () => {
  const ns = 'quota';
  test('a quota rejects an extra pod', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['create', 'quota', 'pods', '--hard=pods=1', '-n', ns]);
    await k().ok(['run', 'one', '--image=nginx', '-n', ns]);
    const r = await k().run(['run', 'two', '--image=nginx', '-n', ns]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1/);
    // A bare pod left on a node would make the drain below refuse for another reason.
    await k().ok(['delete', 'pod', 'one', '-n', ns, '--grace-period=0', '--force', '--wait=true']);
  });

  test('drain evicts, honouring a PodDisruptionBudget', async () => {
    await k().ok(['create', 'deployment', 'guarded', '--image=nginx', '--replicas=3', '-n', 'default']);
    await k().ok(['rollout', 'status', 'deploy/guarded', '--timeout=60s']);
    await k().ok(['create', 'pdb', 'guard', '--selector=app=guarded', '--min-available=3']);
    await until('the PDB computed', async () => (await k().ok(['get', 'pdb', 'guard', '-o', 'jsonpath={.status.expectedPods}'])) === '3');
    const node = (await k().ok(['get', 'pods', '-l', 'app=guarded', '-o', 'jsonpath={.items[0].spec.nodeName}'])).trim();
    const blocked = await k().run(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=8s']);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr + blocked.stdout, /Cannot evict pod as it would violate the pod's disruption budget/);
    await k().ok(['delete', 'pdb', 'guard']);
    const drained = await k().run(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, new RegExp(`node/${node} drained`));
    await k().ok(['uncordon', node]);
  });
});

describe('custom schedulers', { concurrency: false }, () => {
  const ns = 'custom-sched';
  test('a pod for another scheduler waits; kubectl create --raw .../binding binds it and it runs there', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['create', '-f', file('picky.yaml', [
      'apiVersion: v1', 'kind: Pod', `metadata: {name: picky, namespace: ${ns}}`,
      'spec: {schedulerName: my-scheduler, containers: [{name: web, image: nginx}]}', ''].join('\n'))]);
    // The built-in scheduler leaves a pod for another scheduler alone.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await k().ok(['get', 'pod', 'picky', '-n', ns, '-o', 'jsonpath={.spec.nodeName}|{.status.phase}|{.status.conditions}']), '|Pending|');
    const node = await k().ok(['get', 'nodes', '-o', 'jsonpath={.items[1].metadata.name}']);
    assert.match(node, /^kubevisor-node-\d$/);
    const binding = file('binding.json', JSON.stringify({
      apiVersion: 'v1', kind: 'Binding', metadata: { name: 'picky', annotations: { 'example.com/bound-by': 'my-scheduler' } },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    }));
    const out = await k().ok(['create', '--raw', `/api/v1/namespaces/${ns}/pods/picky/binding`, '-f', binding]);
    assert.deepEqual(JSON.parse(out), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    await k().ok(['wait', '--for=condition=Ready', 'pod/picky', '-n', ns, '--timeout=60s']);
    assert.equal(await k().ok(['get', 'pod', 'picky', '-n', ns, '-o',
      'jsonpath={.status.phase} {.spec.nodeName} {.metadata.annotations.example\\.com/bound-by} {.status.conditions[?(@.type=="PodScheduled")].status}']),
    `Running ${node} my-scheduler True`);
    const again = await k().run(['create', '--raw', `/api/v1/namespaces/${ns}/pods/picky/binding`, '-f', binding]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`Error from server \\(Conflict\\): Operation cannot be fulfilled on pods/binding "picky": pod picky is already assigned to node "${node}"`));
  });
});

describe('kubectl top (the Metrics API of simulated nodes)', { concurrency: false }, () => {
  const ns = 'top';
  test('top node, top pod -A, top pod --containers, usage set by annotation, api-resources', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['apply', '-f', file('top.yaml', [
      'apiVersion: v1', 'kind: Pod',
      `metadata: {name: busy, namespace: ${ns}, labels: {app: busy}, annotations: {kubevisor.dev/usage-cpu: "app=250m,log=10m", kubevisor.dev/usage-memory: "app=80Mi,log=16Mi"}}`,
      'spec: {containers: [{name: app, image: nginx, resources: {requests: {cpu: 500m, memory: 256Mi}}}, {name: log, image: busybox}]}',
      '---', 'apiVersion: v1', 'kind: Pod', `metadata: {name: modelled, namespace: ${ns}, labels: {app: modelled}}`,
      'spec: {containers: [{name: web, image: nginx, resources: {requests: {cpu: 200m, memory: 128Mi}}}]}', ''].join('\n'))]);
    await k().ok(['wait', '--for=condition=Ready', 'pod/busy', 'pod/modelled', '-n', ns, '--timeout=60s']);

    const nodes = await k().ok(['top', 'node']);
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*$/m);
    for (const i of [0, 1, 2]) assert.match(nodes, new RegExp(`^kubevisor-node-${i}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`, 'm'));

    const all = await k().ok(['top', 'pod', '-A']);
    assert.match(all, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    assert.match(all, new RegExp(`^${ns}\\s+busy\\s+260m\\s+96Mi\\s*$`, 'm'));
    assert.match(all, new RegExp(`^${ns}\\s+modelled\\s+\\d+m\\s+\\d+Mi\\s*$`, 'm'));

    for (const version of ['1.33', '1.27']) {
      const containers = await kubectlFor(kv, version).ok(['top', 'pod', 'busy', '-n', ns, '--containers']);
      assert.match(containers, /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
      assert.match(containers, /^busy\s+app\s+250m\s+80Mi\s*$/m);
      assert.match(containers, /^busy\s+log\s+10m\s+16Mi\s*$/m);
    }
    assert.deepEqual((await k().ok(['top', 'pod', '-n', ns, '-l', 'app=modelled', '--no-headers'])).trim().split(/\s+/)[0], 'modelled');

    const resources = await k().ok(['api-resources', '--api-group=metrics.k8s.io']);
    assert.match(resources, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics\s*$/m);
    assert.match(resources, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics\s*$/m);
    // kubectl explain reads the Metrics API's OpenAPI v3 document.
    const explained = await k().ok(['explain', 'podmetrics.containers', '--api-version=metrics.k8s.io/v1beta1']);
    assert.match(explained, /^KIND:\s+PodMetrics$/m);
    assert.match(explained, /^\s+usage\s+<map\[string\]string> -required-$/m);
    assert.match(await k().ok(['get', 'podmetrics', '-n', ns]), /^busy\s+260m\s+96Mi\s+15s\s*$/m);
  });
});

describe('horizontal pod autoscaling (CPU usage set on the pod template)', { concurrency: false }, () => {
  const ns = 'hpa';
  const usage = (cpu: string) => JSON.stringify({ spec: { template: { metadata: { annotations: { 'kubevisor.dev/usage-cpu': cpu } } } } });
  const replicas = async () => k().ok(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}']);
  const rescales = async () => k().ok(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale',
    '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);

  test('kubectl autoscale scales a Deployment up on CPU utilization, and down after the stabilization window', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=1', '-n', ns]);
    await k().ok(['set', 'resources', 'deployment/web', '-n', ns, '--requests=cpu=100m']);
    await k().ok(['patch', 'deployment/web', '-n', ns, '-p', usage('180m')]);
    await k().ok(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']);
    assert.match(await k().ok(['autoscale', 'deployment', 'web', '-n', ns, '--cpu-percent=50', '--min=1', '--max=4']),
      /horizontalpodautoscaler.autoscaling\/web autoscaled/);

    // 180m used of 100m requested: 180% against 50% asks for ceil(3.6 × 1) = 4 pods.
    await until('the HPA showing 180%', async () => /^web\s+Deployment\/web\s+cpu: 180%\/50%\s+1\s+4\s/m.test(await k().ok(['get', 'hpa', '-n', ns])));
    await until('4 ready replicas', async () => (await replicas()) === '4 4');
    assert.match(await rescales(), /^New size: 4; reason: cpu resource utilization \(percentage of request\) above target$/m);
    // Four pods at 180% would ask for 15: the maximum holds.
    await until('ScalingLimited', async () => /ScalingLimited\s+True\s+TooManyReplicas\s+the desired replica count is more than the maximum replica count/
      .test(await k().ok(['describe', 'hpa', 'web', '-n', ns])));
    assert.match(await k().ok(['get', 'hpa', 'web', '-n', ns]), /^web\s+Deployment\/web\s+cpu: 180%\/50%\s+1\s+4\s+4\s/m);

    // A 5 s scale-down window (default 5 minutes), then usage lowered to 10%: ceil(0.2 × 4) = 1 once the window has passed.
    await k().ok(['patch', 'hpa.v2.autoscaling', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":5}}}}']);
    const lowered = Date.now();
    await k().ok(['patch', 'deployment/web', '-n', ns, '-p', usage('10m')]);
    await until('scaled down to 1', async () => (await replicas()).startsWith('1 '), 40_000);
    assert.ok(Date.now() - lowered >= 5000, 'not before the stabilization window');
    assert.match(await rescales(), /^New size: 1; reason: All metrics below target$/m);
    await until('the HPA showing 10%', async () => /^web\s+Deployment\/web\s+cpu: 10%\/50%\s+1\s+4\s+1\s/m.test(await k().ok(['get', 'hpa', '-n', ns])));
  });
});

test('helm install --wait of a chart with a Deployment and a Job returns once they are ready', async () => {
  const helm = helmBinary();
  const chart = join(kv.home, 'waitchart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: waitchart\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'templates', 'all.yaml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: "{{ .Release.Name }}-web"}', 'spec:', '  replicas: 2',
    '  selector: {matchLabels: {app: "{{ .Release.Name }}"}}', '  template:', '    metadata: {labels: {app: "{{ .Release.Name }}"}}',
    '    spec: {containers: [{name: web, image: nginx}]}', '---', 'apiVersion: batch/v1', 'kind: Job',
    'metadata: {name: "{{ .Release.Name }}-init"}', 'spec:', '  template:', '    spec:', '      restartPolicy: Never',
    '      containers: [{name: init, image: busybox}]', ''].join('\n'));
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(helm, ['install', 'waited', chart, '--wait', '--wait-for-jobs', '--timeout', '90s'], {
      env: { PATH: process.env.PATH ?? '', HOME: kv.home, KUBECONFIG: kv.kubeconfig }, timeout: 120_000,
    }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }));
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /STATUS: deployed/);
  assert.equal(await k().ok(['get', 'deploy', 'waited-web', '-o', 'jsonpath={.status.readyReplicas}']), '2');
  assert.match(await k().ok(['get', 'job', 'waited-init', '-o', 'jsonpath={.status.conditions[?(@.type=="Complete")].status}']), /True/);
});

describe('scheduling: pod anti-affinity, topology spread, preemption', { concurrency: false }, () => {
  const ns = 'sched';
  const podsOf = async (app: string) => (await k().ok(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName}{"\\n"}{end}'])).trim().split('\n').map((l) => l.split(' '));

  test('required anti-affinity on hostname: 3 Running on 3 nodes, the 4th Pending with the FailedScheduling message', async () => {
    await k().ok(['create', 'namespace', ns]);
    await k().ok(['apply', '-f', file('anti.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: solo, namespace: ${ns}}`, 'spec:', '  replicas: 4',
      '  selector: {matchLabels: {app: solo}}', '  template:', '    metadata: {labels: {app: solo}}', '    spec:',
      '      containers: [{name: web, image: nginx}]', '      affinity:', '        podAntiAffinity:',
      '          requiredDuringSchedulingIgnoredDuringExecution:',
      '          - {labelSelector: {matchLabels: {app: solo}}, topologyKey: kubernetes.io/hostname}', ''].join('\n'))]);
    await until('3 running, 1 pending', async () => {
      const pods = await podsOf('solo');
      return pods.length === 4 && pods.filter((p) => p[1] === 'Running').length === 3 && pods.filter((p) => p[1] === 'Pending').length === 1;
    }, 60_000);
    const pods = await podsOf('solo');
    const running = pods.filter((p) => p[1] === 'Running');
    assert.deepEqual(running.map((p) => p[2]).sort(), ['kubevisor-node-0', 'kubevisor-node-1', 'kubevisor-node-2']);
    const pending = pods.find((p) => p[1] === 'Pending')?.[0] as string;
    const message = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    assert.equal(await k().ok(['get', 'pod', pending, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']), message);
    const described = await k().ok(['describe', 'pod', pending, '-n', ns]);
    assert.match(described, /^Status:\s+Pending$/m);
    assert.ok(described.split('\n').some((l) => /^\s+Warning\s+FailedScheduling\s+.*default-scheduler\s+/.test(l) && l.trimEnd().endsWith(message)), described);
    await k().ok(['delete', 'deploy', 'solo', '-n', ns]);
  });

  test('a topology spread constraint (maxSkew 1 on hostname) spreads a Deployment evenly', async () => {
    await k().ok(['apply', '-f', file('spread.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: even, namespace: ${ns}}`, 'spec:', '  replicas: 6',
      '  selector: {matchLabels: {app: even}}', '  template:', '    metadata: {labels: {app: even}}', '    spec:',
      '      containers: [{name: web, image: nginx}]', '      topologySpreadConstraints:',
      '      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: even}}}', ''].join('\n'))]);
    await k().ok(['rollout', 'status', 'deploy/even', '-n', ns, '--timeout=60s']);
    const perNode = new Map<string, number>();
    for (const p of await podsOf('even')) perNode.set(p[2] as string, (perNode.get(p[2] as string) ?? 0) + 1);
    assert.deepEqual([...perNode.values()], [2, 2, 2], JSON.stringify([...perNode]));
    await k().ok(['delete', 'deploy', 'even', '-n', ns]);
  });

  test('a high-priority pod preempts a low-priority one on a full node', async () => {
    await k().ok(['apply', '-f', file('priorities.yaml', [
      'apiVersion: scheduling.k8s.io/v1', 'kind: PriorityClass', 'metadata: {name: e2e-low}', 'value: 100', '---',
      'apiVersion: scheduling.k8s.io/v1', 'kind: PriorityClass', 'metadata: {name: e2e-high}', 'value: 100000', '---',
      'apiVersion: v1', 'kind: Pod', `metadata: {name: low, namespace: ${ns}}`,
      'spec: {priorityClassName: e2e-low, nodeSelector: {kubernetes.io/hostname: kubevisor-node-0}, containers: [{name: c, image: nginx, resources: {requests: {cpu: "3"}}}]}', ''].join('\n'))]);
    await k().ok(['wait', '--for=condition=Ready', 'pod/low', '-n', ns, '--timeout=60s']);
    const lowUid = await k().ok(['get', 'pod', 'low', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    await k().ok(['apply', '-f', file('high.yaml', [
      'apiVersion: v1', 'kind: Pod', `metadata: {name: high, namespace: ${ns}}`,
      'spec: {priorityClassName: e2e-high, nodeSelector: {kubernetes.io/hostname: kubevisor-node-0}, containers: [{name: c, image: nginx, resources: {requests: {cpu: "2"}}}]}', ''].join('\n'))]);
    await k().ok(['wait', '--for=condition=Ready', 'pod/high', '-n', ns, '--timeout=60s']);
    assert.equal(await k().ok(['get', 'pod', 'high', '-n', ns, '-o', 'jsonpath={.spec.nodeName}']), 'kubevisor-node-0');
    await until('the victim gone', async () => (await k().run(['get', 'pod', 'low', '-n', ns])).code !== 0);
    const highUid = await k().ok(['get', 'pod', 'high', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    const events = await k().ok(['get', 'events', '-n', ns, '--field-selector', `involvedObject.uid=${lowUid}`, '-o',
      'jsonpath={range .items[*]}{.reason}|{.type}|{.message}{"\\n"}{end}']);
    assert.match(events, new RegExp(`^Preempted\\|Normal\\|Preempted by pod ${highUid} on node kubevisor-node-0$`, 'm'));
    const failed = await k().ok(['get', 'events', '-n', ns, '--field-selector', `involvedObject.uid=${highUid},reason=FailedScheduling`, '-o', 'jsonpath={.items[*].message}']);
    assert.match(failed, /^0\/3 nodes are available: 1 Insufficient cpu, 2 node\(s\) didn't match Pod's node affinity\/selector\./);
    await k().ok(['delete', 'pod', 'high', '-n', ns]);
  });

  test('Priority admission: the system classes exist, a pod gets its class\'s value, an unknown class is refused', async () => {
    const classes = await k().ok(['get', 'priorityclasses', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.value}{"\\n"}{end}']);
    assert.match(classes, /^system-cluster-critical=2000000000$/m);
    assert.match(classes, /^system-node-critical=2000001000$/m);
    await k().ok(['run', 'prio', '-n', ns, '--image=nginx', '--overrides={"spec":{"priorityClassName":"e2e-high"}}']);
    assert.equal(await k().ok(['get', 'pod', 'prio', '-n', ns, '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']), '100000 PreemptLowerPriority');
    await k().ok(['run', 'plain', '-n', ns, '--image=nginx']);
    assert.equal(await k().ok(['get', 'pod', 'plain', '-n', ns, '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']), '0 PreemptLowerPriority');
    const refused = await k().run(['run', 'unknown', '-n', ns, '--image=nginx', '--overrides={"spec":{"priorityClassName":"no-such-class"}}']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'Error from server (Forbidden): pods "unknown" is forbidden: no PriorityClass with name no-such-class was found');
    await k().ok(['delete', 'pod', 'prio', 'plain', '-n', ns, '--wait=false']);
  });
});
