// `kubevisor connect NAME`: fetch a virtual cluster's admin credentials (the
// `kubeconfig` subresource) and make its context current in the kubeconfig,
// print a standalone kubeconfig, or run one command against the cluster.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientForArgs, kubeconfigToEdit, type AdminClient } from '../admin-client.ts';
import { CONNECTION_FLAGS, oneName, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { UsageError } from '../flags.ts';
import { connectContext, standaloneConfig, type ClusterCredentials } from '../kubeconfig-contexts.ts';
import { toPlainYaml } from '../plain-yaml.ts';
import { writePrivateFile } from '../../server/pki/private-file.ts';
import { contextFor, getCluster, itemPath, phaseOf } from '../virtual-clusters.ts';

export const def: CommandDef = {
  name: 'connect',
  summary: 'Point kubectl at a virtual cluster',
  description: `Point kubectl at a virtual cluster.

Fetches fresh admin credentials for the cluster and writes a cluster, user and
context named "kubevisor_NAME" into your kubeconfig (the first file of
$KUBECONFIG, ~/.kube/config, or --kubeconfig), then makes that context current.
The context that was current is remembered: "kubevisor disconnect" switches back.

With --print, prints a standalone kubeconfig instead of changing any file.
With "-- COMMAND [ARGS...]", runs the command once with KUBECONFIG set to a
temporary kubeconfig for the cluster (removed afterwards) and exits with its
exit code; your kubeconfig is not changed.`,
  usage: 'connect NAME [flags] [-- COMMAND [ARGS...]]',
  examples: [
    ['Make "dev" the current kubectl context', 'kubevisor connect dev'],
    ['Write a kubeconfig for "dev" to a file', 'kubevisor connect dev --print > dev.kubeconfig'],
    ['Run one command against "dev" without changing your kubeconfig', 'kubevisor connect dev -- kubectl get namespaces'],
  ],
  flags: [...CONNECTION_FLAGS, { name: 'print', type: 'bool', usage: 'print a standalone kubeconfig to stdout instead of changing the kubeconfig' }],
  completesClusters: true,
};

interface KubeconfigResponse {
  server?: string;
  certificateAuthorityData?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  token?: string;
}

/** Fresh credentials of a cluster, named for its kubevisor_NAME context. */
export async function fetchCredentials(client: AdminClient, name: string): Promise<ClusterCredentials> {
  const kc = await client.json<KubeconfigResponse>(itemPath(name, 'kubeconfig'));
  if (typeof kc.server !== 'string' || kc.server === '') throw new Error(`the server's kubeconfig for virtual cluster "${name}" has no server address`);
  return {
    name: contextFor(name),
    server: kc.server,
    certificateAuthorityData: kc.certificateAuthorityData,
    clientCertificateData: kc.clientCertificateData,
    clientKeyData: kc.clientKeyData,
    token: kc.token,
  };
}

/** Merge the cluster's context into `path` and make it current; prints what changed. */
export async function connectInto(client: AdminClient, name: string, path: string, io: CommandIo): Promise<void> {
  const creds = await fetchCredentials(client, name);
  const { editKubeconfig } = await import('../kubeconfig-contexts.ts');
  const { previousContext } = await editKubeconfig(path, (text, where) => {
    const result = connectContext(text, creds, where);
    return { text: result.text, result };
  });
  io.out.write(`Switched to context "${creds.name}" (in ${path}).\n`);
  io.out.write(
    previousContext === ''
      ? `Use "kubevisor disconnect" to switch back.\n`
      : `Use "kubevisor disconnect" to switch back to context "${previousContext}".\n`,
  );
}

/** Run `command` with KUBECONFIG set to a temporary kubeconfig; resolves with its exit code. */
export async function runWithKubeconfig(creds: ClusterCredentials, command: readonly string[], io: CommandIo): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-connect-'));
  const file = join(dir, 'kubeconfig');
  try {
    await writePrivateFile(file, toPlainYaml(standaloneConfig(creds) as never));
    return await new Promise<number>((resolveCode, reject) => {
      const child = spawn(command[0]!, command.slice(1), {
        stdio: io.out === process.stdout ? 'inherit' : ['inherit', 'pipe', 'pipe'],
        env: { ...io.env, KUBECONFIG: file },
        cwd: io.cwd,
      });
      child.stdout?.pipe(io.out, { end: false });
      child.stderr?.pipe(io.err, { end: false });
      // Ctrl-C reaches the child through the terminal; stay alive to clean up.
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      const ignore = () => {};
      process.on('SIGINT', ignore);
      process.on('SIGTERM', forward);
      process.on('SIGHUP', forward);
      const done = () => {
        process.off('SIGINT', ignore);
        process.off('SIGTERM', forward);
        process.off('SIGHUP', forward);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(err.code === 'ENOENT' ? new Error(`cannot run "${command[0]}": command not found`) : err);
      });
      child.on('close', (code, signal) => {
        done();
        resolveCode(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = oneName({ ...args, rest: undefined }, 'connect');
  const command = args.rest;
  if (command !== undefined && command.length === 0) throw new UsageError('a command is required after "--"', 'kubevisor connect');
  if (command !== undefined && args.values.print === true) throw new UsageError('--print cannot be used with a command after "--"', 'kubevisor connect');
  const client = await clientForArgs(args.values, io);
  const vc = await getCluster(client, name);
  const phase = phaseOf(vc);
  if (phase === 'Paused') io.err.write(`Warning: virtual cluster "${name}" is paused; its API answers 503 until "kubevisor resume ${name}".\n`);
  if (args.values.print === true) {
    io.out.write(toPlainYaml(standaloneConfig(await fetchCredentials(client, name)) as never));
    return 0;
  }
  if (command !== undefined) return runWithKubeconfig(await fetchCredentials(client, name), command, io);
  await connectInto(client, name, kubeconfigToEdit(args.values, io), io);
  return 0;
}
