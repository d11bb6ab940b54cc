// `kubevisor describe NAME`: one virtual cluster for people, kubectl-describe style.
import { clientForArgs } from '../admin-client.ts';
import { CONNECTION_FLAGS, oneName, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { DESCRIBE, describeTime, describeTimeAndAge, tabwrite } from '../output.ts';
import { getCluster, phaseOf, versionOf, type VirtualCluster } from '../virtual-clusters.ts';

export const def: CommandDef = {
  name: 'describe',
  summary: 'Show details of a virtual cluster',
  description: 'Show details of a virtual cluster: its state, settings, limits and conditions.',
  usage: 'describe NAME [flags]',
  examples: [['Details of "dev"', 'kubevisor describe dev']],
  flags: [...CONNECTION_FLAGS],
  completesClusters: true,
};

const or = (v: string | number | undefined, fallback = '<none>'): string => (v === undefined || v === '' ? fallback : String(v));

/** The text describe prints for a cluster. */
export function describeCluster(vc: VirtualCluster, now: Date): string {
  const spec = vc.spec ?? {};
  const status = vc.status ?? {};
  const lines: string[] = [
    `Name:\t${vc.metadata.name}`,
    `Status:\t${phaseOf(vc)}${spec.paused === true && phaseOf(vc) !== 'Paused' ? ' (pausing)' : ''}`,
    `Version:\t${or(versionOf(vc), '<server default>')}`,
    `Endpoint:\t${or(status.endpoint)}`,
    `Storage:\t${or(spec.storage, 'sqlite')}`,
    `Nodes:\t${or(spec.nodes, '0')}`,
  ];
  const host = spec.host;
  if (!host) {
    lines.push('Host:\t<none> (standalone)');
  } else {
    lines.push('Host:');
    const secret = host.kubeconfigSecret;
    if (secret) lines.push(`  Kubeconfig Secret:\t${secret.namespace ?? 'default'}/${secret.name ?? ''}${secret.key ? ` (key ${secret.key})` : ''}`);
    if (host.kubeconfigFile) lines.push(`  Kubeconfig File:\t${host.kubeconfigFile}`);
    lines.push(`  Context:\t${or(host.context, '<current>')}`);
    lines.push(`  Namespace:\t${or(host.namespace)}`);
  }
  const limits = spec.limits ?? {};
  if (limits.maxObjects === undefined && limits.maxRequestsInFlight === undefined && limits.maxWatches === undefined) {
    lines.push('Limits:\t<none>');
  } else {
    lines.push(
      'Limits:',
      `  Max Objects:\t${or(limits.maxObjects, 'unlimited')}`,
      `  Max Requests In Flight:\t${or(limits.maxRequestsInFlight, 'unlimited')}`,
      `  Max Watches:\t${or(limits.maxWatches, 'unlimited')}`,
    );
  }
  lines.push(
    `Sleep After:\t${or(spec.sleepAfter, '<never>')}`,
    `Objects:\t${or(status.objects, '<unknown>')}`,
    `Last Activity:\t${status.lastActivityTime ? describeTimeAndAge(status.lastActivityTime, now) : '<none>'}`,
    `Created:\t${describeTimeAndAge(vc.metadata.creationTimestamp, now)}`,
  );
  if (vc.metadata.deletionTimestamp) lines.push(`Deleting Since:\t${describeTime(vc.metadata.deletionTimestamp)}`);
  let text = tabwrite(lines.join('\n') + '\n', DESCRIBE);
  const conditions = status.conditions ?? [];
  if (conditions.length === 0) {
    text += tabwrite('Conditions:\t<none>\n', DESCRIBE);
  } else {
    const rows = [
      'Conditions:',
      '  Type\tStatus\tLastTransitionTime\tReason\tMessage',
      '  ----\t------\t------------------\t------\t-------',
      ...conditions.map((c) => `  ${or(c.type, '')}\t${or(c.status, 'Unknown')}\t${c.lastTransitionTime ? describeTime(c.lastTransitionTime) : ''}\t${or(c.reason, '')}\t${or(c.message, '')}`),
    ];
    text += tabwrite(rows.join('\n') + '\n', DESCRIBE);
  }
  return text;
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = oneName(args, 'describe');
  const client = await clientForArgs(args.values, io);
  io.out.write(describeCluster(await getCluster(client, name), io.now()));
  return 0;
}
