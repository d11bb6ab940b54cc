// `kubevisor restore NAME FILE`: replace a virtual cluster's data with a
// snapshot (the `restore` subresource), creating the cluster if needed.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { clientForArgs } from '../admin-client.ts';
import { bool, CONNECTION_FLAGS, duration, WAIT_FLAGS, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { byteSize } from '../output.ts';
import { itemPath, phaseOf, waitForPhase, type VirtualCluster } from '../virtual-clusters.ts';
import { nameAndFile } from './snapshot.ts';

export const def: CommandDef = {
  name: 'restore',
  summary: 'Replace a virtual cluster\'s data with a snapshot',
  description: `Replace a virtual cluster's data with a snapshot taken by "kubevisor snapshot"
(FILE, or "-" for stdin). The cluster then holds exactly the snapshot's data; a
running cluster is paused, replaced and resumed. A cluster that does not exist
is created.`,
  usage: 'restore NAME FILE [flags]',
  examples: [
    ['Put dev.snapshot back into "dev"', 'kubevisor restore dev dev.snapshot'],
    ['Copy "dev" into a new cluster "dev-copy"', 'kubevisor snapshot dev - | kubevisor restore dev-copy -'],
  ],
  flags: [...CONNECTION_FLAGS, ...WAIT_FLAGS.map((f) => (f.name === 'wait' ? { ...f, usage: 'wait until the restored cluster runs (or stays paused)' } : f))],
  completesClusters: true,
};

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [name, file] = nameAndFile(args, 'restore');
  let body: Readable;
  let size: number | undefined;
  if (file === '-') {
    body = io.stdin as Readable;
  } else {
    const path = resolve(io.cwd, file);
    const info = await stat(path).catch((err: Error) => {
      throw new Error(`cannot read ${file}: ${err.message}`);
    });
    if (!info.isFile()) throw new Error(`${file} is not a file`);
    size = info.size;
    body = createReadStream(path);
  }
  let sent = 0;
  const counted = body.pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  }));
  body.on('error', (err) => counted.destroy(err));
  const client = await clientForArgs(args.values, io);
  const vc = await client.json<VirtualCluster>(itemPath(name, 'restore'), {
    method: 'POST',
    body: counted,
    contentType: 'application/octet-stream',
    contentLength: size,
    timeoutMs: 0,
  });
  let phase = phaseOf(vc);
  if (bool(args, 'wait', true) && phase !== 'Running' && phase !== 'Paused' && phase !== 'Sleeping') {
    phase = phaseOf(await waitForPhase(client, name, ['Running', 'Paused', 'Sleeping'], { timeoutMs: duration(args, 'timeout', 120_000) }));
  }
  io.out.write(`Virtual cluster "${name}" restored from ${file === '-' ? 'stdin' : file} (${byteSize(size ?? sent)}); it is ${phase}.\n`);
  return 0;
}
