// `kubevisor snapshot NAME FILE`: save a consistent copy of a virtual cluster's
// data (the `snapshot` subresource) to FILE, or to stdout with `-`.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clientForArgs } from '../admin-client.ts';
import { CONNECTION_FLAGS, checkClusterName, type CommandDef, type CommandIo, type ParsedArgs } from '../command.ts';
import { UsageError } from '../flags.ts';
import { byteSize } from '../output.ts';
import { itemPath } from '../virtual-clusters.ts';

export const def: CommandDef = {
  name: 'snapshot',
  summary: 'Save a virtual cluster\'s data to a file',
  description: `Save a consistent point-in-time copy of a virtual cluster's data to FILE
("-" for stdout). "kubevisor restore NAME FILE" puts it back, into the same or
another cluster. The cluster keeps serving while the snapshot is taken.`,
  usage: 'snapshot NAME FILE [flags]',
  examples: [
    ['Save "dev" to dev.snapshot', 'kubevisor snapshot dev dev.snapshot'],
    ['Copy "dev" into a new cluster "dev-copy"', 'kubevisor snapshot dev - | kubevisor restore dev-copy -'],
  ],
  flags: [...CONNECTION_FLAGS],
  completesClusters: true,
};

/** Two positionals: a cluster name and a file. */
export function nameAndFile(args: ParsedArgs, command: string): [string, string] {
  const [name, file, extra] = args.positionals;
  if (name === undefined || file === undefined) throw new UsageError(`a virtual cluster name and a file are required`, `kubevisor ${command}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, `kubevisor ${command}`);
  return [checkClusterName(name, command), file];
}

export async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [name, file] = nameAndFile(args, 'snapshot');
  const client = await clientForArgs(args.values, io);
  const res = await client.stream(itemPath(name, 'snapshot'), { accept: 'application/octet-stream', timeoutMs: 0 });
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(null, chunk);
    },
  });
  if (file === '-') {
    await pipeline(res, count, io.out, { end: false });
    io.err.write(`Snapshot of virtual cluster "${name}" written to stdout (${byteSize(size)}).\n`);
    return 0;
  }
  // Write beside the target and rename, so a broken transfer leaves no partial file.
  const target = resolve(io.cwd, file);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  try {
    await pipeline(res, count, createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  io.out.write(`Snapshot of virtual cluster "${name}" written to ${file} (${byteSize(size)}).\n`);
  return 0;
}
