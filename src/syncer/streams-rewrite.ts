// What the host writes into an open exec, attach or port-forward session in
// its own words (the exec status, port-forward errors) names the host pod;
// these re-word it on the way to the client, by the protocol the host chose:
//
// - WebSocket channel protocols: the error channels, 3 for exec and attach
//   (its messages gathered until the host closes, and re-worded as one),
//   every odd channel for port-forward (each message whole);
// - SPDY/3.1, raw or tunnelled in WebSocket: the DATA of `error` streams,
//   gathered until the stream ends (FIN, the host's reset, the session's end);
// - WebSocket close frames: their reason (streams-ws-close.ts).
//
// stdin, stdout, stderr and forwarded bytes are the user's: they pass as they
// come. A log's body is the container's output, but for what the host
// appends when a log fails (streams-logs.ts). Not re-worded: an error message
// over the most held (256 KiB for a WebSocket message, 32 KiB for a SPDY
// stream), a port-forward error split across WebSocket messages (the host
// writes each at once). WebSocket extensions are not offered to the host, so
// no message is compressed.

import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import type { PodStreamSubresource } from './host/connection.ts';
import { reword, type PodPair } from './streams-errors.ts';
import { SpdyErrorRewriter, SpdyStreamTypes } from './streams-spdy-rewrite.ts';
import { closePayloadRewrite } from './streams-ws-close.ts';
import { WsFrameReader, type ByteRewriter } from './streams-ws-frames.ts';
import { WsChannelRewriter, WsTunnelRewriter, WsTunnelWatcher, type BytesRewrite } from './streams-ws-rewrite.ts';

const SPDY_TUNNEL = 'spdy/3.1+portforward.k8s.io';

export interface SessionRewrite {
  /** The host's bytes go through this on their way to the client. */
  readonly toClient: Transform;
  /**
   * When the host's side breaks or is cut, the client's is ended through toClient rather
   * than cut with it: toClient then writes the status that tells the client the session
   * failed (SPDY exec and attach).
   */
  readonly endsWithStatus?: boolean;
  /** Sees the client's bytes on their way to the host (they are not changed). */
  readonly watchClient?: (chunk: Buffer) => void;
  /** The session is over. */
  close(): void;
}

/** Bytes (any encoding that keeps ASCII as it is) with the host pod's names replaced. */
export function rewordBytes(pod: PodPair): BytesRewrite {
  return (bytes) => {
    const text = bytes.toString('latin1');
    const out = reword(text, pod);
    return out === text ? bytes : Buffer.from(out, 'latin1');
  };
}

/** The re-wording for a session the host upgraded with `response`; undefined for a protocol it does not know. */
export function sessionRewrite(response: IncomingMessage, sub: Exclude<PodStreamSubresource, 'log'>, pod: PodPair): SessionRewrite | undefined {
  const upgrade = headerText(response, 'upgrade').toLowerCase();
  const rewrite = rewordBytes(pod);
  if (upgrade === 'websocket') {
    const rewriteClose = closePayloadRewrite(pod);
    const protocol = headerText(response, 'sec-websocket-protocol').trim();
    if (protocol.toLowerCase() === SPDY_TUNNEL) {
      const types = new SpdyStreamTypes();
      const fromClient = new WsFrameReader(new WsTunnelWatcher((b) => types.watch(b)));
      return {
        toClient: rewritingTransform((emit) => new WsFrameReader(new WsTunnelRewriter((inner) => new SpdyErrorRewriter(types, rewrite, inner), emit, rewriteClose))),
        // The watcher is synchronous: each chunk is read before the next comes.
        watchClient: watching(types, (chunk) => void fromClient.push(chunk)),
        close: () => types.close(),
      };
    }
    const errorChannel = sub === 'portforward' ? (ch: number) => ch % 2 === 1 : (ch: number) => ch === 3;
    // Port-forward errors come while the session goes on: each message goes out as it ends.
    const gatherChannel = sub === 'portforward' ? undefined : errorChannel;
    const base64 = protocol.includes('base64');
    return {
      toClient: rewritingTransform((emit) => new WsFrameReader(new WsChannelRewriter({ base64, errorChannel, gatherChannel, rewrite, rewriteClose, emit }))),
      close: () => {},
    };
  }
  if (upgrade.startsWith('spdy/')) {
    const types = new SpdyStreamTypes();
    // Channel protocol v4 always ends an exec or attach with a status on the error stream.
    const status = sub !== 'portforward' && headerText(response, 'x-stream-protocol-version').trim() === 'v4.channel.k8s.io'
      ? Buffer.from(JSON.stringify(cutSessionStatus())) : undefined;
    return {
      toClient: rewritingTransform((emit) => new SpdyErrorRewriter(types, rewrite, emit, status)),
      watchClient: watching(types, (chunk) => types.watch(chunk)),
      close: () => types.close(),
      endsWithStatus: status !== undefined,
    };
  }
  return undefined;
}

/** What a session the host's side of which broke (or the server cut) ends with on its error stream. */
function cutSessionStatus(): Record<string, unknown> {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'InternalError', code: 500,
    message: 'the session ended before the command did: the connection to the container was lost',
  };
}

/** A watcher of the client's bytes that, should it fail, stops (the session then passes as it comes) rather than throw in a socket's listener. */
function watching(types: SpdyStreamTypes, watch: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let failed = false;
  return (chunk) => {
    if (failed) return;
    try {
      watch(chunk);
    } catch {
      failed = true;
      types.close();
    }
  };
}

function headerText(response: IncomingMessage, name: string): string {
  const v = response.headers[name];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

function rewritingTransform(make: (emit: (bytes: Buffer) => void) => ByteRewriter): Transform {
  const settle = (run: () => void | Promise<void>, done: (e?: Error | null) => void): void => {
    try {
      const p = run();
      if (p) p.then(() => done(), done);
      else done();
    } catch (e) {
      done(e as Error);
    }
  };
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      settle(() => rewriter.push(chunk), done);
    },
    // The host's bytes ended: what the rewriter holds goes out before the client's end.
    flush(done) {
      settle(() => rewriter.finish?.(), done);
    },
  });
  const rewriter = make((b) => { t.push(b); });
  return t;
}
