// What a webhook call sends and gets back, and how it fails: the types the
// HTTPS client (client.ts) and the routes to Services (service.ts, the
// syncer's) share, without the client itself (loaded with the first call).

import type { IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One POST to a webhook: the path with its query, the headers, the body, and when to give up. */
export interface WebhookPost {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly signal: AbortSignal;
}

/** Where to connect: address, the TLS server name and Host header, the CA bundle. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The name the certificate must be valid for (a DNS name or an IP address). */
  readonly serverName: string;
  /** The Host header. */
  readonly hostHeader: string;
  readonly ca: string | undefined;
}

/** A transport failure: the text Go's client puts after `Post "URL": `. */
export class TransportError extends Error {}

/** An answer that is not the webhook's (a non-2xx, a body that is not JSON): the text after `failed to call webhook: `. */
export class AnswerError extends Error {}
