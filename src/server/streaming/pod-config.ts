// What a simulated pod's containers do when a client asks for logs, exec,
// attach or port-forward: read from the pod's annotations, in the manner of
// KWOK (see README.md in this folder for the user-facing description).
//
//   kubevisor.dev/logs-file                 local file served as the container log
//   kubevisor.dev/exec-command              local command that stands in for the container on exec
//   kubevisor.dev/exec-mode                 `shell` (default) or `prefix`: how the requested command reaches it
//   kubevisor.dev/exec-workdir              working directory of that command
//   kubevisor.dev/attach-command            command run on attach (default: exec-command with no arguments)
//   kubevisor.dev/port-forward-<port>       local address that pod port <port> forwards to
//
// The first five may be set for one container by appending `.<container>` to
// the key (`kubevisor.dev/logs-file.sidecar`); the per-container key wins.

import { ApiError, errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { containerEnvironment, type EnvSources } from './container-env.ts';

export const Annotation = {
  logsFile: 'kubevisor.dev/logs-file',
  execCommand: 'kubevisor.dev/exec-command',
  execMode: 'kubevisor.dev/exec-mode',
  execWorkdir: 'kubevisor.dev/exec-workdir',
  attachCommand: 'kubevisor.dev/attach-command',
  portForwardPrefix: 'kubevisor.dev/port-forward-',
} as const;

/** What the server provides to the streaming handlers. */
export interface StreamingOptions {
  /**
   * Subscribe to the pod's deletion: call `listener` once when the pod is
   * deleted; return a function that unsubscribes. Follow-mode logs end, exec
   * processes are killed and port-forward sessions close when it fires.
   */
  onPodDeleted?: (listener: () => void) => () => void;
  /**
   * Honour the annotations that reach the host: log files, commands and
   * local addresses. Default true. When false, logs are the generated lines
   * and exec/attach/port-forward report that they are disabled.
   */
  hostAccess?: boolean;
  /**
   * Aborted when the server shuts down: open exec, attach and port-forward
   * connections are dropped (their processes killed) and followed logs end.
   * Upgraded sockets are no longer the HTTP server's, so server.close() and
   * closeAllConnections() do not end them.
   */
  signal?: AbortSignal;
  /** The config maps and secrets of the pod's namespace, for the environment of exec and attach commands. */
  envSources?: EnvSources;
}

/** Run `fn` when options.signal aborts (at once if it already has); returns the unsubscribe. */
export function onShutdown(options: StreamingOptions, fn: () => void): () => void {
  const signal = options.signal;
  if (!signal) return () => undefined;
  if (signal.aborted) {
    queueMicrotask(fn);
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export function podIdentity(pod: KubeObject): PodIdentity {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

export function podAnnotations(pod: KubeObject): Record<string, string> {
  return pod.metadata.annotations ?? {};
}

/** An annotation for one container: `<key>.<container>` first, then `<key>`. Blank values count as unset. */
export function containerAnnotation(pod: KubeObject, key: string, container: string): string | undefined {
  const a = podAnnotations(pod);
  const v = a[`${key}.${container}`] ?? a[key];
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

export interface ContainerInfo {
  name: string;
  image: string;
  kind: 'container' | 'initContainer' | 'ephemeralContainer';
}

function asArray(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

export function podContainers(pod: KubeObject): ContainerInfo[] {
  const spec = (typeof pod.spec === 'object' && pod.spec !== null ? pod.spec : {}) as Record<string, unknown>;
  const out: ContainerInfo[] = [];
  const add = (list: unknown, kind: ContainerInfo['kind']): void => {
    for (const c of asArray(list)) {
      if (typeof c.name !== 'string') continue;
      out.push({ name: c.name, image: typeof c.image === 'string' ? c.image : '', kind });
    }
  };
  add(spec.containers, 'container');
  add(spec.initContainers, 'initContainer');
  add(spec.ephemeralContainers, 'ephemeralContainer');
  return out;
}

/**
 * The container a logs/exec/attach request names, worded as the API server
 * words its refusals: with no `container` a pod of one container picks it,
 * a pod of several is a 400 listing them.
 */
export function selectContainer(pod: KubeObject, requested: string | null | undefined): ContainerInfo {
  const all = podContainers(pod);
  const name = pod.metadata.name ?? '';
  if (requested) {
    const c = all.find((x) => x.name === requested);
    if (!c) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return c;
  }
  const main = all.filter((c) => c.kind === 'container');
  if (main.length === 1) return main[0]!;
  if (main.length === 0) throw errors.badRequest(`pod ${name} has no containers`);
  const init = all.filter((c) => c.kind === 'initContainer').map((c) => c.name);
  let msg = `a container name must be specified for pod ${name}, choose one of: [${main.map((c) => c.name).join(' ')}]`;
  if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
  throw errors.badRequest(msg);
}

/** Words of a command annotation: a JSON array of strings, or words separated by white space. */
export function parseCommand(value: string): string[] {
  const v = value.trim();
  if (v.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new Error(`not a JSON array of strings: ${v}`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((x) => typeof x === 'string')) {
      throw new Error(`not a non-empty JSON array of strings: ${v}`);
    }
    return parsed;
  }
  return v.split(/\s+/).filter((w) => w !== '');
}

export interface CommandPlan {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

export type PlanResult = { ok: true; plan: CommandPlan } | { ok: false; message: string };

/**
 * The local process an exec or attach runs, or why there is none.
 *
 * exec, mode `shell` (default): `<exec-command> -c 'exec "$@"' kubevisor-exec <requested…>`,
 * so a shell such as /bin/sh runs the requested command with its arguments
 * unchanged and looks it up on PATH. Mode `prefix`: `<exec-command> <requested…>`
 * (for wrappers such as `env`, `ssh host`, `docker exec -i ctr`).
 * attach: `<attach-command>`, else `<exec-command>` on its own.
 */
export function commandPlan(pod: KubeObject, container: ContainerInfo, kind: 'exec' | 'attach', requested: string[],
  tty: boolean, options: StreamingOptions = {}): PlanResult {
  const id = podIdentity(pod);
  const who = `container "${container.name}" of pod ${id.namespace}/${id.name}`;
  if (options.hostAccess === false) {
    return { ok: false, message: `${kind} is disabled on this kubevisor server: ${who} is simulated and runs no processes` };
  }
  const configured = kind === 'attach'
    ? containerAnnotation(pod, Annotation.attachCommand, container.name) ?? containerAnnotation(pod, Annotation.execCommand, container.name)
    : containerAnnotation(pod, Annotation.execCommand, container.name);
  if (configured === undefined) {
    return {
      ok: false,
      message: `${who} is simulated by kubevisor and has no process to ${kind === 'exec' ? 'run commands in' : 'attach to'}; ` +
        `set the pod annotation ${Annotation.execCommand} to a local command (for example "/bin/sh") to ${kind === 'exec' ? 'run exec requests with it' : 'attach to it'}`,
    };
  }
  let base: string[];
  try {
    base = parseCommand(configured);
  } catch (e) {
    return { ok: false, message: `invalid ${kind === 'attach' ? 'attach/exec' : 'exec'} command annotation for ${who}: ${(e as Error).message}` };
  }
  if (base.length === 0) return { ok: false, message: `empty exec command annotation for ${who}` };
  let argv: string[];
  if (kind === 'attach') {
    argv = base;
  } else {
    const mode = containerAnnotation(pod, Annotation.execMode, container.name) ?? 'shell';
    if (mode === 'shell') argv = [...base, '-c', 'exec "$@"', 'kubevisor-exec', ...requested];
    else if (mode === 'prefix') argv = [...base, ...requested];
    else return { ok: false, message: `invalid ${Annotation.execMode} "${mode}" for ${who}: use "shell" or "prefix"` };
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: id.name,
    KUBEVISOR_POD_NAMESPACE: id.namespace,
    KUBEVISOR_POD_NAME: id.name,
    KUBEVISOR_POD_UID: id.uid,
    KUBEVISOR_CONTAINER_NAME: container.name,
  };
  if (process.env.HOME) env.HOME = process.env.HOME;
  if (process.env.LANG) env.LANG = process.env.LANG;
  if (tty) env.TERM = 'xterm';
  Object.assign(env, containerEnvironment(pod, container.name, options.envSources));
  const cwd = containerAnnotation(pod, Annotation.execWorkdir, container.name) ?? process.cwd();
  return { ok: true, plan: { argv, cwd, env } };
}

export type TargetResult = { ok: true; host: string; port: number } | { ok: false; message: string };

/** Parse `host:port`, `[v6]:port` or a bare `port` (meaning 127.0.0.1). */
export function parseAddress(value: string): { host: string; port: number } | undefined {
  const v = value.trim();
  let host = '127.0.0.1';
  let portText = v;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(v);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
  } else if (v.includes(':')) {
    const i = v.lastIndexOf(':');
    host = v.slice(0, i);
    portText = v.slice(i + 1);
  }
  if (!/^\d+$/.test(portText) || host === '') return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Where a forwarded pod port goes, or why it can't be forwarded. */
export function portForwardTarget(pod: KubeObject, port: number, options: StreamingOptions = {}): TargetResult {
  const id = podIdentity(pod);
  const key = `${Annotation.portForwardPrefix}${port}`;
  if (options.hostAccess === false) {
    return { ok: false, message: `port-forward is disabled on this kubevisor server: pod ${id.namespace}/${id.name} is simulated and listens on no ports` };
  }
  const value = podAnnotations(pod)[key];
  if (value === undefined || value.trim() === '') {
    return {
      ok: false,
      message: `pod ${id.namespace}/${id.name} is simulated by kubevisor and nothing listens on its port ${port}; ` +
        `set the pod annotation ${key} to a local address (for example "127.0.0.1:8080") to forward this port`,
    };
  }
  const addr = parseAddress(value);
  if (!addr) return { ok: false, message: `invalid ${key} annotation "${value}" on pod ${id.namespace}/${id.name}: want host:port` };
  return { ok: true, ...addr };
}

/** Turn an ApiError into the (code, reason, message) of a refused upgrade. */
export function apiErrorParts(e: unknown): { code: number; reason: string; message: string } {
  if (e instanceof ApiError) return { code: e.code, reason: e.reason, message: e.message };
  return { code: 500, reason: 'InternalError', message: e instanceof Error ? e.message : String(e) };
}
