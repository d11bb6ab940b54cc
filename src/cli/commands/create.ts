// `kubevisor create NAME`: create a VirtualCluster, wait until it runs, and
// make its context current.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ApiError, clientForArgs, kubeconfigToEdit, type AdminClient } from '../admin-client.ts';
import {
  bool, CONNECTION_FLAGS, duration, oneName, PrintedError, str, WAIT_FLAGS,
  type CommandDef, type CommandIo, type ParsedArgs,
} from '../command.ts';
import { invalidFlag, UsageError } from '../flags.ts';
import { API_VERSION, COLLECTION, KIND, waitForPhase, type VirtualCluster } from '../virtual-clusters.ts';
import { connectInto } from './connect.ts';

const COMMAND = 'kubevisor create';
const DEFAULT_TIMEOUT_MS = 120_000;

export const def: CommandDef = {
  name: 'create',
  summary: 'Create a virtual cluster and connect to it',
  description: `Create a virtual cluster, wait until it runs, and make its kubeconfig context
("kubevisor_NAME") current, as "kubevisor connect NAME" does.

Flags left out take the server's defaults: the server's Kubernetes version,
SQLite storage, no simulated nodes, no limits, never sleeping.`,
  usage: 'create NAME [flags]',
  examples: [
    ['Create "dev" and point kubectl at it', 'kubevisor create dev'],
    ['A cluster reporting Kubernetes 1.33, with 3 simulated nodes, asleep after 30 idle minutes', 'kubevisor create dev --kubernetes-version v1.33.0 --nodes 3 --sleep-after 30m'],
    ['Create without touching the kubeconfig, and without waiting', 'kubevisor create ci-42 --connect=false --wait=false'],
  ],
  flags: [
    ...CONNECTION_FLAGS,
    { name: 'connect', type: 'bool', default: 'true', usage: 'make the cluster\'s context current once it runs' },
    { name: 'host-context', type: 'string', usage: 'the context of --host-kubeconfig to use' },
    { name: 'host-kubeconfig', type: 'string', file: true, usage: 'kubeconfig of the host cluster workloads run on (stored in the\nSecret NAME-host-kubeconfig of the admin API); absent: standalone' },
    { name: 'host-namespace', type: 'string', usage: 'namespace on the host cluster for the cluster\'s workloads' },
    { name: 'kubernetes-version', type: 'string', usage: 'the Kubernetes version the cluster reports, e.g. v1.33.0 (default: the server\'s)' },
    { name: 'max-objects', type: 'int', usage: 'most objects the cluster may store' },
    { name: 'max-requests-in-flight', type: 'int', usage: 'most concurrent requests (watches excluded)' },
    { name: 'max-watches', type: 'int', usage: 'most open watches' },
    { name: 'nodes', type: 'int', usage: 'simulated nodes that run the cluster\'s pods (default 0)' },
    { name: 'sleep-after', type: 'duration', usage: 'pause the cluster after this long without requests, e.g. 30m' },
    { name: 'storage', type: 'string', values: ['sqlite', 'etcd'], usage: 'where the cluster\'s objects live: sqlite or etcd (default "sqlite")' },
    ...WAIT_FLAGS.map((f) => (f.name === 'timeout' ? { ...f, usage: 'how long to wait for the cluster to run' } : { ...f, usage: 'wait until the cluster runs' })),
  ],
};

/** "1.33" → "v1.33.0", "v1.33.2" stays. */
export function normalizeVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z.+-]+)?$/.exec(version);
  if (!m) throw invalidFlag('kubernetes-version', version, 'expected a version like v1.33.0', COMMAND);
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${m[4] ?? ''}`;
}

/** The VirtualCluster the flags describe (without the host kubeconfig's Secret). */
export function clusterFromArgs(name: string, args: ParsedArgs): VirtualCluster {
  const spec: NonNullable<VirtualCluster['spec']> = {};
  const version = str(args, 'kubernetes-version');
  if (version !== undefined) spec.kubernetesVersion = normalizeVersion(version);
  const storage = str(args, 'storage');
  if (storage !== undefined) spec.storage = storage;
  const nodes = str(args, 'nodes');
  if (nodes !== undefined) {
    if (Number(nodes) > 1000) throw invalidFlag('nodes', nodes, 'must be a whole number from 0 to 1000', COMMAND);
    spec.nodes = Number(nodes);
  }
  const sleepAfter = str(args, 'sleep-after');
  if (sleepAfter !== undefined) spec.sleepAfter = sleepAfter;
  const limits: NonNullable<NonNullable<VirtualCluster['spec']>['limits']> = {};
  for (const [flag, field] of [['max-objects', 'maxObjects'], ['max-requests-in-flight', 'maxRequestsInFlight'], ['max-watches', 'maxWatches']] as const) {
    const v = str(args, flag);
    if (v === undefined) continue;
    if (Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw invalidFlag(flag, v, 'must be a whole number of at least 1', COMMAND);
    limits[field] = Number(v);
  }
  if (Object.keys(limits).length > 0) spec.limits = limits;
  const hostKubeconfig = str(args, 'host-kubeconfig');
  const hostContext = str(args, 'host-context');
  const hostNamespace = str(args, 'host-namespace');
  if (hostKubeconfig === undefined && (hostContext !== undefined || hostNamespace !== undefined)) {
    throw new UsageError('--host-context and --host-namespace need --host-kubeconfig', COMMAND);
  }
  if (hostKubeconfig !== undefined) {
    spec.host = { kubeconfigSecret: { name: hostSecretName(name), namespace: 'default', key: 'config' } };
    if (hostContext !== undefined) spec.host.context = hostContext;
    if (hostNamespace !== undefined) spec.host.namespace = hostNamespace;
  }
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
}

export function hostSecretName(name: string): string {
  return `${name}-host-kubeconfig`;
}

/** Store the host kubeconfig as a Secret of the admin API (created or replaced). */
async function storeHostKubeconfig(client: AdminClient, name: string, content: Buffer): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: hostSecretName(name), namespace: 'default', labels: { 'kubevisor.dev/virtual-cluster': name } },
    type: 'Opaque',
    data: { config: content.toString('base64') },
  };
  const collection = '/api/v1/namespaces/default/secrets';
  try {
    await client.json(collection, { method: 'POST', json: secret });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 409) throw err;
    await client.json(`${collection}/${secret.metadata.name}`, { method: 'PUT', json: secret });
  }
}

function describeSpec(vc: VirtualCluster): string {
  const s = vc.spec ?? {};
  const parts = [
    s.kubernetesVersion ? `Kubernetes ${s.kubernetesVersion}` : undefined,
    s.storage,
    s.nodes !== undefined ? `${s.nodes} node${s.nodes === 1 ? '' : 's'}` : undefined,
    s.sleepAfter ? `sleeps after ${s.sleepAfter} idle` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = oneName(args, 'create');
  const vc = clusterFromArgs(name, args);
  const wait = bool(args, 'wait', true);
  const connect = bool(args, 'connect', true);
  const timeoutMs = duration(args, 'timeout', DEFAULT_TIMEOUT_MS);
  const hostKubeconfig = str(args, 'host-kubeconfig');
  const hostContent = hostKubeconfig === undefined ? undefined : await readFile(resolve(io.cwd, hostKubeconfig)).catch((err: Error) => {
    throw new Error(`cannot read --host-kubeconfig ${hostKubeconfig}: ${err.message}`);
  });
  const started = Date.now();
  const client = await clientForArgs(args.values, io);

  io.out.write(`Creating virtual cluster "${name}"${describeSpec(vc)}...\n`);
  if (hostContent !== undefined) await storeHostKubeconfig(client, name, hostContent);
  try {
    await client.json(COLLECTION, { method: 'POST', json: vc });
  } catch (err) {
    if (err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists') {
      throw new PrintedError(
        `error: virtual cluster "${name}" already exists: use "kubevisor connect ${name}" to use it, or "kubevisor delete ${name}" first`,
      );
    }
    throw err;
  }
  if (!wait) {
    io.out.write(`Virtual cluster "${name}" created.\n`);
  } else {
    const running = await waitForPhase(client, name, ['Running'], {
      timeoutMs,
      onPhase: (phase) => {
        if (phase !== 'Running') io.out.write(`Waiting for virtual cluster "${name}" to run (${phase})...\n`);
      },
    });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    const where = running.status?.endpoint ? ` at ${running.status.endpoint}` : '';
    io.out.write(`Virtual cluster "${name}" is running${where} (${took}s).\n`);
  }
  if (connect) await connectInto(client, name, kubeconfigToEdit(args.values, io), io);
  else io.out.write(`Use "kubevisor connect ${name}" to point kubectl at it.\n`);
  return 0;
}
