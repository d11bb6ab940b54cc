// `pods/<name>/exec` and `pods/<name>/attach`: the remote-command protocols
// over both transports kubectl uses.
//
// WebSocket (kubectl 1.30+): subprotocols v5.channel.k8s.io (v4 plus the CLOSE
// signal), v4.channel.k8s.io, v4.base64.channel.k8s.io, channel.k8s.io and
// base64.channel.k8s.io. Every message starts with its channel: 0 stdin,
// 1 stdout, 2 stderr, 3 error/status, 4 resize, 255 close (v5: payload is the
// channel that ended). In the base64 protocols messages are text: the channel
// as an ASCII digit, then base64 data.
//
// SPDY/3.1 (kubectl 1.27–1.29, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false): the
// client opens one stream per channel with header `streamType` =
// error|stdin|stdout|stderr|resize; X-Stream-Protocol-Version negotiates
// v5/v4 (JSON Status on the error stream), v3/v2 or channel.k8s.io (plain
// text error message).
//
// The command is a local process (see pod-config.ts); with tty=true it still
// runs with pipes, stderr merged into stdout as a terminal would show it.

import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { constants as osConstants } from 'node:os';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import {
  apiErrorParts, commandPlan, onShutdown, podIdentity, selectContainer, type CommandPlan, type ContainerInfo, type StreamingOptions,
} from './pod-config.ts';
import { headerValue, spdyOverSocket, type SpdyStream } from './spdy.ts';
import {
  isSpdyRequest, isWebSocketRequest, negotiateStreamProtocol, refuseUpgrade, writeSpdySwitch,
} from './upgrade.ts';
import { acceptWebSocket, offeredSubprotocols, refuseSubprotocols, type WebSocket } from './websocket.ts';

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** WebSocket subprotocols, in our order of preference (the client's order decides). */
export const WEBSOCKET_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** X-Stream-Protocol-Version values for SPDY. */
export const SPDY_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;

/** How long a SPDY client gets to open its streams (the kubelet's default). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** After the status is sent, how long the client gets to hang up before we do. */
const LINGER_MS = 10_000;

/** The status sent on the error channel when the command ends, as upstream encodes it. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason: string; message: string }> };
  code?: number;
}

export type ExecOutcome =
  | { kind: 'exit'; code: number }
  | { kind: 'error'; code: number; reason: string; message: string };

export function statusFor(outcome: ExecOutcome): ExecStatus {
  if (outcome.kind === 'exit') {
    if (outcome.code === 0) return { metadata: {}, status: 'Success' };
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit status ${outcome.code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.code) }] },
    };
  }
  return { metadata: {}, status: 'Failure', message: outcome.message, reason: outcome.reason, code: outcome.code };
}

export interface ExecRequest {
  container: ContainerInfo;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE';
}

/** Parse and check the query of an exec/attach request; throws ApiError (400). */
export function parseExecRequest(pod: KubeObject, query: URLSearchParams, kind: 'exec' | 'attach'): ExecRequest {
  const container = selectContainer(pod, query.get('container'));
  const tty = flag(query, 'tty');
  const stdin = flag(query, 'stdin');
  const stdout = flag(query, 'stdout');
  // Upstream drops stderr when a TTY is requested: a terminal has one output.
  const stderr = flag(query, 'stderr') && !tty;
  const command = kind === 'exec' ? query.getAll('command') : [];
  if (!stdin && !stdout && !stderr) throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (kind === 'exec' && command.length === 0) throw errors.badRequest('you must specify at least one command for the container');
  return { container, command, stdin, stdout, stderr, tty };
}

/** The streams of one remote command, whatever the transport. */
export interface CommandIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
}

/** A running command: `done` settles once it exited and its output was handed to the transport. */
export interface RunningCommand {
  done: Promise<ExecOutcome>;
  kill(): void;
}

/** Copy several sources into one writable with backpressure; end it once all have ended. */
function forwardAll(sources: Readable[], dst: Writable): Promise<void> {
  return new Promise((resolve) => {
    let open = sources.length;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      resolve();
    };
    dst.once('finish', finish);
    dst.once('close', finish);
    dst.once('error', finish);
    const onDrain = (): void => { for (const s of sources) s.resume(); };
    dst.on('drain', onDrain);
    const ended = (): void => {
      if (--open === 0) {
        dst.off('drain', onDrain);
        if (dst.destroyed || dst.writableEnded) finish();
        else dst.end();
      }
    };
    if (sources.length === 0) {
      open = 1;
      ended();
    }
    for (const s of sources) {
      s.on('data', (chunk: Buffer) => {
        if (dst.destroyed || dst.writableEnded) return;
        if (!dst.write(chunk)) for (const x of sources) x.pause();
      });
      s.once('end', ended);
      s.once('error', () => s.destroy());
      s.once('close', () => { if (!s.readableEnded) { s.removeListener('end', ended); ended(); } });
    }
  });
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? osConstants.signals[signal] : undefined;
  return 128 + (typeof n === 'number' ? n : 9);
}

/** Start a planned command with pipes wired to `io`. */
export function runCommand(plan: CommandPlan, io: CommandIO, what: string): RunningCommand {
  let child: ChildProcess;
  let spawned = false;
  let spawnError: Error | undefined;
  const wantErr = io.stderr !== undefined || (io.tty && io.stdout !== undefined);
  try {
    child = spawn(plan.argv[0]!, plan.argv.slice(1), {
      cwd: plan.cwd,
      env: plan.env,
      stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', wantErr ? 'pipe' : 'ignore'],
      detached: true, // its own process group, so kill() takes its children too
    });
  } catch (e) {
    const message = `failed to start ${JSON.stringify(plan.argv[0])} for ${what}: ${(e as Error).message}`;
    for (const w of [io.stdout, io.stderr]) w?.end();
    return { done: Promise.resolve({ kind: 'error', code: 500, reason: 'InternalError', message }), kill() { /* nothing runs */ } };
  }
  child.once('spawn', () => { spawned = true; });
  child.on('error', (e) => { if (!spawned) spawnError = e; });

  if (io.stdin && child.stdin) {
    const cin = child.stdin;
    cin.on('error', () => { /* the command may exit without reading its input */ });
    io.stdin.pipe(cin);
  }
  const copies: Promise<void>[] = [];
  if (io.stdout) {
    const sources = [child.stdout!];
    if (io.tty && child.stderr) sources.push(child.stderr);
    copies.push(forwardAll(sources, io.stdout));
  }
  if (io.stderr && child.stderr) copies.push(forwardAll([child.stderr], io.stderr));

  const exited = new Promise<ExecOutcome>((resolve) => {
    child.once('close', (code, signal) => {
      if (io.stdin && child.stdin) {
        io.stdin.unpipe(child.stdin);
        io.stdin.resume(); // input sent after the command exited is read and dropped
      }
      if (spawnError) {
        resolve({ kind: 'error', code: 500, reason: 'InternalError', message: `failed to start ${JSON.stringify(plan.argv[0])} for ${what}: ${spawnError.message}` });
      } else {
        resolve({ kind: 'exit', code: exitCodeOf(code, signal) });
      }
    });
  });
  const done = Promise.all([exited, ...copies]).then(([outcome]) => outcome);
  return {
    done,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}

/**
 * Serve an exec or attach upgrade (WebSocket or SPDY/3.1) for `pod`. Call
 * from the HTTP server's 'upgrade' event. Refusals before the upgrade (bad
 * query, unknown container, unsupported protocol) are written as HTTP
 * responses; everything after it is reported on the error channel. Resolves
 * when the session is over.
 */
export async function handleExec(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject,
  query: URLSearchParams, kind: 'exec' | 'attach', options: StreamingOptions = {}): Promise<void> {
  socket.on('error', () => { /* the transports watch 'close' */ });
  try {
    let request: ExecRequest;
    try {
      request = parseExecRequest(pod, query, kind);
    } catch (e) {
      const p = apiErrorParts(e);
      refuseUpgrade(socket, p.code, p.reason, p.message);
      return;
    }
    if (options.signal?.aborted) {
      refuseUpgrade(socket, 503, 'ServiceUnavailable', 'the server is shutting down');
      return;
    }
    if (isWebSocketRequest(req)) await execOverWebSocket(req, socket, head, pod, request, kind, options);
    else if (isSpdyRequest(req)) await execOverSpdy(req, socket, head, pod, request, kind, options);
    else refuseUpgrade(socket, 400, 'BadRequest', 'Upgrade request required');
  } catch (e) {
    console.error(`kubevisor: ${kind} session failed:`, e);
    socket.destroy();
  }
}

/** Plan and run the command, or report why not; `finish` sends the status and closes the transport. */
function runSession(pod: KubeObject, request: ExecRequest, kind: 'exec' | 'attach', io: CommandIO,
  options: StreamingOptions, onAbort: (abort: () => void) => void): Promise<ExecOutcome> {
  const id = podIdentity(pod);
  const plan = commandPlan(pod, request.container, kind, request.command, request.tty, options);
  if (!plan.ok) {
    for (const w of [io.stdout, io.stderr]) w?.end();
    io.stdin?.resume();
    return Promise.resolve({ kind: 'error', code: 400, reason: 'BadRequest', message: plan.message });
  }
  const running = runCommand(plan.plan, io, `container "${request.container.name}" of pod ${id.namespace}/${id.name}`);
  const unsubscribe = options.onPodDeleted?.(() => running.kill());
  onAbort(() => running.kill());
  return running.done.finally(() => unsubscribe?.());
}

// ---- WebSocket ----

interface WsProtocolTraits {
  base64: boolean;
  jsonStatus: boolean;
  closeSignal: boolean;
}

function wsTraits(protocol: string): WsProtocolTraits {
  return {
    base64: protocol.includes('base64'),
    jsonStatus: protocol.startsWith('v4.') || protocol.startsWith('v5.'),
    closeSignal: protocol.startsWith('v5.'),
  };
}

function wsEncode(traits: WsProtocolTraits, channel: number, data: Buffer): Buffer | string {
  if (traits.base64) return String.fromCharCode(48 + channel) + data.toString('base64');
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = channel;
  data.copy(out, 1);
  return out;
}

/** A Writable whose chunks go out as messages on one channel. */
function wsChannelWriter(ws: WebSocket, traits: WsProtocolTraits, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!ws.open) {
        cb();
        return;
      }
      if (ws.send(wsEncode(traits, channel, chunk))) {
        cb();
        return;
      }
      const go = (): void => {
        ws.off('drain', go);
        ws.off('close', go);
        cb();
      };
      ws.on('drain', go);
      ws.on('close', go);
    },
  });
}

async function execOverWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject,
  request: ExecRequest, kind: 'exec' | 'attach', options: StreamingOptions): Promise<void> {
  const offered = offeredSubprotocols(req);
  let protocol = '';
  if (offered.length > 0) {
    const match = offered.find((p) => (WEBSOCKET_PROTOCOLS as readonly string[]).includes(p));
    if (match === undefined) {
      refuseSubprotocols(socket, offered, WEBSOCKET_PROTOCOLS);
      return;
    }
    protocol = match;
  }
  const ws = acceptWebSocket(req, socket, head, protocol);
  if (!ws) return;
  const traits = wsTraits(protocol);
  ws.once('close', onShutdown(options, () => ws.terminate()));

  const stdin = request.stdin ? new PassThrough() : undefined;
  const io: CommandIO = {
    stdin,
    stdout: request.stdout ? wsChannelWriter(ws, traits, Channel.stdout) : undefined,
    stderr: request.stderr ? wsChannelWriter(ws, traits, Channel.stderr) : undefined,
    tty: request.tty,
  };

  ws.on('message', (data: Buffer, binary: boolean) => {
    let channel: number;
    let payload: Buffer;
    if (traits.base64 && !binary) {
      if (data.length === 0) return;
      channel = data[0]! - 48;
      payload = Buffer.from(data.subarray(1).toString('latin1'), 'base64');
    } else {
      if (data.length === 0) return;
      channel = data[0]!;
      payload = data.subarray(1);
    }
    if (channel === Channel.stdin && stdin && !stdin.writableEnded) {
      if (!stdin.write(payload)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    } else if (channel === Channel.close && traits.closeSignal) {
      if (payload[0] === Channel.stdin && stdin && !stdin.writableEnded) stdin.end();
    }
    // Channel.resize: pipes have no window size; the JSON is read and dropped.
  });

  let abort: () => void = () => undefined;
  let finished = false;
  ws.on('close', () => {
    if (!finished) abort();
    if (stdin && !stdin.writableEnded) stdin.end();
  });

  // Tell the client the streams are up: an empty message on the lowest channel it reads (as the kubelet does).
  const first = request.stdout ? Channel.stdout : request.stderr ? Channel.stderr : Channel.error;
  ws.send(wsEncode(traits, first, Buffer.alloc(0)));

  const outcome = await runSession(pod, request, kind, io, options, (a) => { abort = a; });
  finished = true;
  if (ws.open) {
    const status = statusFor(outcome);
    if (traits.jsonStatus) {
      ws.send(wsEncode(traits, Channel.error, Buffer.from(JSON.stringify(status))));
    } else if (status.status === 'Failure') {
      ws.send(wsEncode(traits, Channel.error, Buffer.from(status.message ?? 'command failed')));
    }
    ws.close(1000);
  }
}

// ---- SPDY ----

async function execOverSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject,
  request: ExecRequest, kind: 'exec' | 'attach', options: StreamingOptions): Promise<void> {
  const negotiated = negotiateStreamProtocol(req, socket, SPDY_PROTOCOLS, 'channel.k8s.io');
  if (!negotiated.ok) return;
  const protocol = negotiated.protocol;
  const jsonStatus = protocol.startsWith('v4.') || protocol.startsWith('v5.');
  const resizeSupported = protocol.startsWith('v3.') || jsonStatus;
  writeSpdySwitch(socket, protocol);
  const session = spdyOverSocket(socket, head, { server: true });
  session.once('close', onShutdown(options, () => session.destroy()));

  const expected = 1 + Number(request.stdin) + Number(request.stdout) + Number(request.stderr) + Number(request.tty && resizeSupported);
  const streams = new Map<string, SpdyStream>();
  const allThere = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), STREAM_CREATION_TIMEOUT_MS);
    timer.unref?.();
    session.on('stream', (stream: SpdyStream) => {
      const type = headerValue(stream.headers, 'streamtype') ?? '';
      if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type) || streams.has(type)) {
        stream.refuse();
        return;
      }
      streams.set(type, stream);
      if (type !== 'stdin') stream.resume(); // nothing is read from the other streams
      if (streams.size === expected) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    session.on('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!(await allThere) || !streams.has('error')) {
    session.close();
    return;
  }
  const errorStream = streams.get('error')!;
  const io: CommandIO = {
    stdin: request.stdin ? streams.get('stdin') : undefined,
    stdout: request.stdout ? streams.get('stdout') : undefined,
    stderr: request.stderr ? streams.get('stderr') : undefined,
    tty: request.tty,
  };
  let abort: () => void = () => undefined;
  let finished = false;
  session.on('close', () => { if (!finished) abort(); });

  const outcome = await runSession(pod, request, kind, io, options, (a) => { abort = a; });
  finished = true;
  if (session.closed) return;
  const status = statusFor(outcome);
  if (jsonStatus) errorStream.write(JSON.stringify(status));
  else if (status.status === 'Failure') errorStream.write(status.message ?? 'command failed');
  errorStream.end();
  // Half-close every stream we still have open; the client hangs up once it has read everything.
  for (const s of streams.values()) if (!s.writableEnded) s.end();
  const linger = setTimeout(() => session.close(), LINGER_MS);
  linger.unref?.();
  await new Promise<void>((resolve) => {
    if (session.closed) resolve();
    else session.once('close', () => resolve());
  });
  clearTimeout(linger);
}
