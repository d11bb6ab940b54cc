// `kubevisor pause NAME` and `kubevisor resume NAME`: set spec.paused and wait
// for the cluster to follow. A paused cluster keeps its data and holds no memory.
import { request } from 'node:https';
import { clientForArgs, type AdminClient } from '../admin-client.ts';
import { bool, CONNECTION_FLAGS, duration, oneName, WAIT_FLAGS, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { getCluster, itemPath, phaseOf, waitForPhase, type VirtualCluster } from '../virtual-clusters.ts';

export const pauseDef: CommandDef = {
  name: 'pause',
  summary: 'Pause a virtual cluster (keeps its data, frees its memory)',
  description: `Pause a virtual cluster: it keeps its data and holds no memory; its API
answers 503 Service Unavailable until "kubevisor resume NAME".`,
  usage: 'pause NAME [flags]',
  examples: [['Pause "dev"', 'kubevisor pause dev']],
  flags: [...CONNECTION_FLAGS, ...WAIT_FLAGS.map((f) => (f.name === 'wait' ? { ...f, usage: 'wait until the cluster is paused' } : f))],
  completesClusters: true,
};

export const resumeDef: CommandDef = {
  name: 'resume',
  summary: 'Resume a paused or sleeping virtual cluster',
  description: 'Resume a paused (or sleeping) virtual cluster, and wait until it runs.',
  usage: 'resume NAME [flags]',
  examples: [['Resume "dev"', 'kubevisor resume dev']],
  flags: [...CONNECTION_FLAGS, ...WAIT_FLAGS.map((f) => (f.name === 'wait' ? { ...f, usage: 'wait until the cluster runs' } : f))],
  completesClusters: true,
};

async function setPaused(client: AdminClient, name: string, paused: boolean): Promise<VirtualCluster> {
  return client.json<VirtualCluster>(itemPath(name), {
    method: 'PATCH',
    json: { spec: { paused } },
    contentType: 'application/merge-patch+json',
  });
}

/** A sleeping cluster wakes at its next request: send one (/version needs no credentials). */
function nudge(client: AdminClient, endpoint: string): Promise<void> {
  return new Promise((resolveNudge) => {
    const req = request(new URL(`${endpoint.replace(/\/+$/, '')}/version`), { ca: client.target.ca, agent: false, timeout: 10_000, rejectUnauthorized: !client.target.insecure }, (res) => {
      res.resume();
      res.on('end', () => resolveNudge());
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveNudge());
    req.end();
  });
}

async function change(args: ParsedArgs, io: CommandIo, paused: boolean): Promise<number> {
  const command = paused ? 'pause' : 'resume';
  const name = oneName(args, command);
  const client = await clientForArgs(args.values, io);
  const before = await getCluster(client, name);
  const target = paused ? 'Paused' : 'Running';
  if (phaseOf(before) === target && before.spec?.paused === paused) {
    io.out.write(`Virtual cluster "${name}" is already ${paused ? 'paused' : 'running'}.\n`);
    return 0;
  }
  let vc = before;
  if (before.spec?.paused !== paused) vc = await setPaused(client, name, paused);
  if (!paused && phaseOf(vc) === 'Sleeping' && vc.status?.endpoint) await nudge(client, vc.status.endpoint);
  if (bool(args, 'wait', true)) {
    io.out.write(`Waiting for virtual cluster "${name}" to be ${paused ? 'paused' : 'running'}...\n`);
    await waitForPhase(client, name, [target], { timeoutMs: duration(args, 'timeout', 120_000) });
    io.out.write(`Virtual cluster "${name}" ${paused ? 'paused' : 'resumed'}.\n`);
  } else {
    io.out.write(`Virtual cluster "${name}" ${paused ? 'pausing' : 'resuming'}.\n`);
  }
  return 0;
}

export const runPause = (args: ParsedArgs, io: CommandIo) => change(args, io, true);
export const runResume = (args: ParsedArgs, io: CommandIo) => change(args, io, false);

export const def = pauseDef;
export const run = runPause;
