// A small extension API server for aggregation tests: HTTPS with its own
// serving CA and a certificate for NAME.NAMESPACE.svc, accepting only a client
// certificate the cluster's front-proxy CA issued with CN front-proxy-client
// (as delegated authentication's request-header check does), reading the
// caller from X-Remote-User and X-Remote-Group. It serves
// demo.kubevisor.test/v1: discovery (a namespaced `widgets`, kind Widget,
// verbs get, list, watch), its OpenAPI v3 document, and widgets that echo the
// user and groups it saw.

import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { issueCertificate, newKeyPair, privateKeyPem } from '../../src/server/pki/certificate.ts';

export const DEMO_GROUP = 'demo.kubevisor.test';

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly user: string | undefined;
  readonly groups: string[];
  readonly authorization: string | undefined;
  readonly headers: IncomingMessage['headers'];
}

export interface DemoApiServer {
  readonly port: number;
  /** The serving CA (PEM): the APIService's caBundle. */
  readonly caPem: string;
  readonly seen: Seen[];
  /** Trust this front-proxy CA (PEM), read from extension-apiserver-authentication. */
  setRequestHeaderCA(pem: string): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Its OpenAPI v3 document of demo.kubevisor.test/v1: the Widget kind, for `kubectl explain`. */
const openapi = {
  openapi: '3.0.0', info: { title: 'demo-apiserver', version: 'v1' },
  // kubectl explain finds a resource's kind through its operations.
  paths: {
    [`/apis/${DEMO_GROUP}/v1/namespaces/{namespace}/widgets`]: {
      get: { operationId: 'listWidgets', 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': { group: DEMO_GROUP, version: 'v1', kind: 'Widget' } },
    },
  },
  components: { schemas: {
    'test.kubevisor.demo.v1.Widget': {
      type: 'object', description: 'A widget the demo API server makes up.',
      properties: {
        apiVersion: { type: 'string', description: 'The version of the schema.' },
        kind: { type: 'string', description: 'The kind: Widget.' },
        metadata: { type: 'object', description: 'Standard object metadata.' },
        spec: { type: 'object', description: 'Who asked for the widget, as the front proxy named them.', properties: {
          seenUser: { type: 'string', description: 'The user in X-Remote-User.' },
          seenGroups: { type: 'array', items: { type: 'string' }, description: 'The groups in X-Remote-Group.' },
        } },
      },
      'x-kubernetes-group-version-kind': [{ group: DEMO_GROUP, kind: 'Widget', version: 'v1' }],
    },
  } },
};

export async function startDemoApiServer(service: { namespace: string; name: string }): Promise<DemoApiServer> {
  const now = Date.now();
  const caKeys = newKeyPair();
  const caName = { commonName: 'demo-apiserver-ca' };
  const caPem = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000), isCA: true },
    { name: caName, ...caKeys });
  const keys = newKeyPair();
  const certPem = issueCertificate({
    subject: { commonName: 'demo-apiserver' }, publicKey: keys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000),
    extendedKeyUsages: ['serverAuth'], hosts: [`${service.name}.${service.namespace}.svc`],
  }, { name: caName, ...caKeys });
  let requestHeaderCA: X509Certificate | undefined;
  const seen: Seen[] = [];

  /** The caller the front proxy names, or why the request is refused. */
  const authenticate = (req: IncomingMessage): string | undefined => {
    const peer = (req.socket as TLSSocket).getPeerCertificate(true);
    if (!peer || !peer.raw) return 'no client certificate';
    if (!requestHeaderCA) return 'no request-header CA yet';
    const cert = new X509Certificate(peer.raw);
    if (!cert.checkIssued(requestHeaderCA) || !cert.verify(requestHeaderCA.publicKey)) return 'client certificate not signed by the request-header CA';
    if (peer.subject?.CN !== 'front-proxy-client') return `client certificate CN ${peer.subject?.CN} is not allowed`;
    return undefined;
  };

  const widget = (namespace: string, name: string, user: string | undefined, groups: string[]): Json => ({
    apiVersion: `${DEMO_GROUP}/v1`, kind: 'Widget',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: '1', creationTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') },
    spec: { seenUser: user ?? '', seenGroups: groups },
  });

  const server: Server = createServer({ key: privateKeyPem(keys.privateKey), cert: certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://demo');
    const remoteGroups = req.headersDistinct['x-remote-group'] ?? [];
    const user = req.headers['x-remote-user'] as string | undefined;
    req.resume();
    const refused = authenticate(req);
    if (refused) { send(res, 401, status(401, 'Unauthorized', refused)); return; }
    seen.push({ method: req.method ?? 'GET', path: url.pathname + url.search, user, groups: remoteGroups, authorization: req.headers.authorization, headers: req.headers });
    const base = `/apis/${DEMO_GROUP}/v1`;
    if (url.pathname === `/openapi/v3${base}`) {
      send(res, 200, openapi);
      return;
    }
    if (url.pathname === base) {
      send(res, 200, {
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${DEMO_GROUP}/v1`,
        resources: [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get', 'list', 'watch'], shortNames: ['wd'] }],
      });
      return;
    }
    const m = new RegExp(`^${base.replace(/\./g, '\\.')}(?:/namespaces/([^/]+))?/widgets(?:/([^/]+))?$`).exec(url.pathname);
    if (!m) { send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource')); return; }
    const [, namespace = 'default', name] = m;
    if (name !== undefined) {
      if (name === 'w1' || name === 'w2') send(res, 200, widget(namespace, name, user, remoteGroups));
      else send(res, 404, status(404, 'NotFound', `widgets.${DEMO_GROUP} "${name}" not found`));
      return;
    }
    const items = [widget(namespace, 'w1', user, remoteGroups), widget(namespace, 'w2', user, remoteGroups)];
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (const item of items) res.write(`${JSON.stringify({ type: 'ADDED', object: item })}\n`);
      const timer = setTimeout(() => res.end(), 30_000);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    send(res, 200, { apiVersion: `${DEMO_GROUP}/v1`, kind: 'WidgetList', metadata: { resourceVersion: '1' }, items });
  });
  // An upgrade (as exec-like subresources ask for one): switched, then every byte echoed back.
  server.on('upgrade', (req: IncomingMessage, socket: TLSSocket) => {
    const refused = authenticate(req);
    if (refused) { socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`); return; }
    seen.push({ method: req.method ?? 'GET', path: req.url ?? '', user: req.headers['x-remote-user'] as string | undefined,
      groups: req.headersDistinct['x-remote-group'] ?? [], authorization: req.headers.authorization, headers: req.headers });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caPem,
    seen,
    setRequestHeaderCA(pem: string) { requestHeaderCA = new X509Certificate(pem); },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
