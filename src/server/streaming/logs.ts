// `GET pods/<name>/log`: a simulated container's log.
//
// The log is the local file named by the pod annotation
// `kubevisor.dev/logs-file` (or `kubevisor.dev/logs-file.<container>`), read
// as CRI log lines (`<RFC3339 time> stdout F <text>`), Docker json-file lines
// (`{"log":…,"time":…}`) or plain text; plain lines are dated by the file's
// modification time, or by when they were appended while following. Without
// the annotation the log is a few generated lines saying that the container is
// simulated. Query parameters as upstream: container, follow, tailLines,
// sinceSeconds, sinceTime, timestamps, previous, limitBytes.

import { open, stat } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors, fieldError, type FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import {
  Annotation, containerAnnotation, onShutdown, podIdentity, selectContainer, type ContainerInfo, type StreamingOptions,
} from './pod-config.ts';

/** How often a followed file is checked for new data. */
const FOLLOW_POLL_MS = 250;
/** Largest log file read in one go (older content is skipped). */
const MAX_READ_BYTES = 64 * 1024 * 1024;

export interface LogRequest {
  container: ContainerInfo;
  follow: boolean;
  tailLines?: number;
  /** Only lines at or after this time (ms since the epoch). */
  sinceMs?: number;
  timestamps: boolean;
  previous: boolean;
  limitBytes?: number;
}

function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw errors.badRequest(`invalid value for ${name}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** Parse and validate the query of a log request; throws ApiError (400, 422) as upstream would. */
export function parseLogRequest(pod: KubeObject, query: URLSearchParams, now: number = Date.now()): LogRequest {
  const container = selectContainer(pod, query.get('container'));
  const follow = boolParam(query, 'follow');
  const timestamps = boolParam(query, 'timestamps');
  const previous = boolParam(query, 'previous');
  const tailLines = intParam(query, 'tailLines');
  const sinceSeconds = intParam(query, 'sinceSeconds');
  const limitBytes = intParam(query, 'limitBytes');
  const sinceTimeText = query.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (!/^\d{4}-\d\d-\d\dT/.test(sinceTimeText) || Number.isNaN(sinceTime)) {
      throw errors.badRequest(`invalid value for sinceTime: parsing time ${JSON.stringify(sinceTimeText)} as RFC3339 failed`);
    }
  }
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(fieldError.invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(fieldError.invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errs.push(fieldError.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push(fieldError.invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errs.length > 0) throw errors.invalid({ group: '', kind: 'PodLogOptions' }, pod.metadata.name ?? '', errs);
  if (previous) {
    throw errors.badRequest(`previous terminated container "${container.name}" in pod "${pod.metadata.name ?? ''}" not found`);
  }
  const sinceMs = sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime;
  return { container, follow, tailLines, sinceMs, timestamps, previous, limitBytes };
}

/** One log line: its time, the time as printed with `timestamps=true`, and its bytes (newline included). */
export interface LogLine {
  time: number;
  stamp: string;
  text: Buffer;
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString();
}

const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP])(?: (.*))?$/s;

/**
 * Turns raw lines (without their newline) into log lines: CRI lines (partial
 * `P` lines joined to the next), Docker json-file lines, or plain text dated
 * `fallbackTime`.
 */
export class LogLineParser {
  #partial: { time: number; stamp: string; parts: Buffer[] } | undefined;

  parse(raw: Buffer, fallbackTime: number): LogLine | undefined {
    const text = raw.toString('utf8');
    const cri = CRI_LINE.exec(text);
    if (cri) {
      const time = Date.parse(cri[1]!);
      if (!Number.isNaN(time)) {
        const content = Buffer.from(cri[4] ?? '', 'utf8');
        const p = this.#partial ?? { time, stamp: cri[1]!, parts: [] };
        p.parts.push(content);
        if (cri[3] === 'P') {
          this.#partial = p;
          return undefined;
        }
        this.#partial = undefined;
        return { time: p.time, stamp: p.stamp, text: Buffer.concat([...p.parts, Buffer.from('\n')]) };
      }
    }
    if (text.startsWith('{')) {
      try {
        const j = JSON.parse(text) as { log?: unknown; time?: unknown };
        if (typeof j.log === 'string' && typeof j.time === 'string' && !Number.isNaN(Date.parse(j.time))) {
          return { time: Date.parse(j.time), stamp: j.time, text: Buffer.from(j.log, 'utf8') };
        }
      } catch { /* plain text */ }
    }
    return { time: fallbackTime, stamp: stampOf(fallbackTime), text: Buffer.concat([raw, Buffer.from('\n')]) };
  }
}

/** Split bytes into lines; the last element is the unterminated rest (maybe empty). */
function splitLines(data: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, start);
    if (nl < 0) break;
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: data.subarray(start) };
}

/** When a container started: its status's startedAt, else the pod's startTime, else its creation. */
function startTime(pod: KubeObject, container: string): number {
  const status = (typeof pod.status === 'object' && pod.status !== null ? pod.status : {}) as Record<string, unknown>;
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list = status[key];
    if (!Array.isArray(list)) continue;
    for (const cs of list as Array<Record<string, unknown>>) {
      if (cs?.name !== container) continue;
      const state = cs.state as Record<string, Record<string, unknown> | undefined> | undefined;
      const at = state?.running?.startedAt ?? state?.terminated?.startedAt;
      if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return Date.parse(at);
    }
  }
  for (const t of [status.startTime, pod.metadata.creationTimestamp]) {
    if (typeof t === 'string' && !Number.isNaN(Date.parse(t))) return Date.parse(t);
  }
  return Date.now();
}

/** The lines of a container that has no log file configured. */
export function generatedLog(pod: KubeObject, container: ContainerInfo, options: StreamingOptions = {}): LogLine[] {
  const id = podIdentity(pod);
  const t = startTime(pod, container.name);
  const image = container.image ? ` (image ${container.image})` : '';
  const texts = [
    `kubevisor: pod ${id.namespace}/${id.name} is simulated; container "${container.name}"${image} runs no process and writes no log.`,
    options.hostAccess === false
      ? 'kubevisor: this server serves no local files as container logs.'
      : `kubevisor: to serve a local file as this log, set the pod annotation ${Annotation.logsFile} (or ${Annotation.logsFile}.${container.name}) to its path.`,
  ];
  return texts.map((s) => ({ time: t, stamp: stampOf(t), text: Buffer.from(s + '\n') }));
}

function logFilePath(pod: KubeObject, container: ContainerInfo, options: StreamingOptions): string | undefined {
  if (options.hostAccess === false) return undefined;
  const p = containerAnnotation(pod, Annotation.logsFile, container.name);
  if (p === undefined) return undefined;
  return isAbsolute(p) ? p : resolvePath(p);
}

/** Keep the last `n` lines, then those not older than `sinceMs` (the kubelet's order). */
export function selectLines(lines: LogLine[], tailLines: number | undefined, sinceMs: number | undefined): LogLine[] {
  let out = tailLines === undefined ? lines : tailLines === 0 ? [] : lines.slice(-tailLines);
  if (sinceMs !== undefined) out = out.filter((l) => l.time >= sinceMs);
  return out;
}

/** Writes lines to the response, honouring timestamps, limitBytes and backpressure. */
class LogWriter {
  readonly #res: ServerResponse;
  readonly #timestamps: boolean;
  #remaining: number;
  ended = false;

  constructor(res: ServerResponse, req: LogRequest) {
    this.#res = res;
    this.#timestamps = req.timestamps;
    this.#remaining = req.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Write lines; resolves once the response can take more. */
  async write(lines: LogLine[]): Promise<void> {
    const parts: Buffer[] = [];
    let size = 0;
    for (const l of lines) {
      const b = this.#timestamps ? Buffer.concat([Buffer.from(l.stamp + ' '), l.text]) : l.text;
      parts.push(b);
      size += b.length;
    }
    if (size === 0 || this.ended) return;
    let data = Buffer.concat(parts, size);
    let last = false;
    if (data.length >= this.#remaining) {
      data = data.subarray(0, this.#remaining);
      last = true;
    }
    this.#remaining -= data.length;
    const ok = this.#res.write(data);
    if (last) {
      this.end();
      return;
    }
    if (!ok && !this.#res.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#res.off('drain', done);
          this.#res.off('close', done);
          resolve();
        };
        this.#res.on('drain', done);
        this.#res.on('close', done);
      });
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.#res.writableEnded) this.#res.end();
  }
}

async function readFileLines(path: string, parser: LogLineParser): Promise<{ lines: LogLine[]; offset: number; rest: Buffer }> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const start = Math.max(0, st.size - MAX_READ_BYTES);
    const buf = Buffer.alloc(st.size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = buf.subarray(0, got);
    const { lines, rest } = splitLines(data);
    // A file cut at MAX_READ_BYTES starts mid-line: drop that fragment.
    if (start > 0 && lines.length > 0) lines.shift();
    const mtime = st.mtimeMs;
    const out: LogLine[] = [];
    for (const raw of lines) {
      const l = parser.parse(raw, mtime);
      if (l) out.push(l);
    }
    return { lines: out, offset: start + got, rest: Buffer.from(rest) };
  } finally {
    await fh.close();
  }
}

/**
 * Serve a pod's container log. Validation failures are thrown as ApiError
 * before anything is written, for the caller's usual error path. With
 * follow=true the response stays open until the client goes, limitBytes is
 * reached, or the pod is deleted (options.onPodDeleted).
 */
export async function serveLogs(_req: IncomingMessage, res: ServerResponse, pod: KubeObject, query: URLSearchParams,
  options: StreamingOptions = {}): Promise<void> {
  const request = parseLogRequest(pod, query);
  const path = logFilePath(pod, request.container, options);
  const parser = new LogLineParser();
  let initial: LogLine[];
  let offset = 0;
  let rest: Buffer = Buffer.alloc(0);
  if (path !== undefined) {
    try {
      ({ lines: initial, offset, rest } = await readFileLines(path, parser));
    } catch (e) {
      const id = podIdentity(pod);
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied'
        : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      throw new ApiError(500, 'InternalError',
        `cannot read the log of container "${request.container.name}" in pod ${id.namespace}/${id.name} ` +
        `from ${path} (annotation ${Annotation.logsFile}): ${why}`);
    }
  } else {
    initial = generatedLog(pod, request.container, options);
  }

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  const out = new LogWriter(res, request);
  const selected = selectLines(initial, request.tailLines, request.sinceMs);
  if (!request.follow) {
    await out.write(selected);
    // The file's unterminated last line is part of the log as it stands.
    if (rest.length > 0 && path !== undefined) {
      const l = parser.parse(rest, Date.now());
      if (l && (request.sinceMs === undefined || l.time >= request.sinceMs)) await out.write([{ ...l, text: l.text.subarray(0, l.text.length - 1) }]);
    }
    out.end();
    return;
  }

  res.flushHeaders();
  await out.write(selected);
  if (out.ended) return;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    let offShutdown: (() => void) | undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      unsubscribe?.();
      offShutdown?.();
      out.end();
      resolve();
    };
    unsubscribe = options.onPodDeleted?.(stop);
    offShutdown = onShutdown(options, stop);
    if (stopped) {
      unsubscribe?.();
      offShutdown();
    }
    res.once('close', stop);
    if (path === undefined) return; // generated logs never grow: wait for the client or the pod to go
    const poll = async (): Promise<void> => {
      if (busy || out.ended) return;
      busy = true;
      try {
        const st = await stat(path).catch(() => undefined);
        if (!st) return;
        if (st.size < offset) { // truncated or replaced: start over
          offset = 0;
          rest = Buffer.alloc(0);
        }
        if (st.size === offset) return;
        const fh = await open(path, 'r');
        try {
          const want = Math.min(st.size - offset, MAX_READ_BYTES);
          const buf = Buffer.alloc(want);
          const { bytesRead } = await fh.read(buf, 0, want, offset);
          offset += bytesRead;
          const { lines, rest: tail } = splitLines(Buffer.concat([rest, buf.subarray(0, bytesRead)]));
          rest = Buffer.from(tail);
          const now = Date.now();
          const parsed: LogLine[] = [];
          for (const raw of lines) {
            const l = parser.parse(raw, now);
            if (l) parsed.push(l);
          }
          await out.write(parsed);
          if (out.ended) stop();
        } finally {
          await fh.close();
        }
      } catch { /* try again at the next tick */ } finally {
        busy = false;
      }
    };
    if (!stopped) {
      timer = setInterval(() => { void poll(); }, FOLLOW_POLL_MS);
      timer.unref?.();
    }
  });
}
