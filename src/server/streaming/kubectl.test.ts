// The real kubectl (1.27, 1.30, 1.33) against a small HTTP server that serves
// just enough API (version, discovery, one GET of a pod) plus the streaming
// handlers: logs, exec (WebSocket and SPDY), exec -i, exit codes, attach and
// port-forward (SPDY, and SPDY tunnelled in WebSocket).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { serveLogs } from './logs.ts';
import { handlePortForward } from './portforward.ts';
import { handleExec } from './remotecommand.ts';
import type { StreamingOptions } from './pod-config.ts';
import { waitForOutput } from './testing.ts';

function kubectlPath(version: string): string | undefined {
  const fixed = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
  if (existsSync(fixed)) return fixed;
  try {
    const dispatcher = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    const p = join(dirname(realpathSync(dispatcher)), `kubectl.${version}`);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

interface TestServer {
  port: number;
  pods: Map<string, KubeObject>;
  /** `<subresource> <upgrade protocol>` of every upgrade request, in order. */
  upgrades: string[];
  deletePod(name: string): void;
  close(): Promise<void>;
}

const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/(log|exec|attach|portforward))?$/;

function sendJSON(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, name: string): void {
  sendJSON(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `pods "${name}" not found`, reason: 'NotFound', code: 404 });
}

async function startTestServer(): Promise<TestServer> {
  const pods = new Map<string, KubeObject>();
  const deleteListeners = new Map<string, Set<() => void>>();
  const optionsFor = (name: string): StreamingOptions => ({
    onPodDeleted(listener) {
      let set = deleteListeners.get(name);
      if (!set) deleteListeners.set(name, set = new Set());
      set.add(listener);
      return () => { set.delete(listener); };
    },
  });
  let address = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/version') {
      sendJSON(res, 200, { major: '1', minor: '36', gitVersion: 'v1.36.0', platform: 'linux/amd64' });
    } else if (path === '/api') {
      sendJSON(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }] });
    } else if (path === '/apis') {
      sendJSON(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    } else if (path === '/api/v1') {
      sendJSON(res, 200, {
        kind: 'APIResourceList', groupVersion: 'v1', resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'], categories: ['all'] },
          { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
          { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
          { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
          { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
        ],
      });
    } else {
      const m = POD_PATH.exec(path);
      const pod = m ? pods.get(m[2]!) : undefined;
      if (!m || !pod) {
        notFound(res, m?.[2] ?? path);
      } else if (m[3] === undefined && req.method === 'GET') {
        sendJSON(res, 200, pod);
      } else if (m[3] === 'log') {
        serveLogs(req, res, pod, url.searchParams, optionsFor(m[2]!)).catch((e: unknown) => {
          if (e instanceof ApiError) sendJSON(res, e.code, e.toStatus());
          else sendJSON(res, 500, { kind: 'Status', status: 'Failure', message: String(e), code: 500 });
        });
      } else {
        sendJSON(res, 400, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Upgrade request required', reason: 'BadRequest', code: 400 });
      }
    }
  });
  const upgrades: string[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = POD_PATH.exec(url.pathname);
    upgrades.push(`${m?.[3] ?? url.pathname} ${String(req.headers.upgrade).toLowerCase()}`);
    const pod = m ? pods.get(m[2]!) : undefined;
    if (!m || !pod) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const options = optionsFor(m[2]!);
    if (m[3] === 'exec' || m[3] === 'attach') void handleExec(req, socket, head, pod, url.searchParams, m[3], options);
    else if (m[3] === 'portforward') void handlePortForward(req, socket, head, pod, options);
    else socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    port,
    pods,
    upgrades,
    deletePod(name) {
      pods.delete(name);
      for (const l of deleteListeners.get(name) ?? []) l();
      deleteListeners.delete(name);
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function makePod(name: string, annotations: Record<string, string>): KubeObject {
  const started = new Date(Date.now() - 60_000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: started, annotations },
    spec: { containers: [{ name: 'app', image: 'example/app:1', env: [{ name: 'GREETING', value: 'hello from the pod' }] }] },
    status: {
      phase: 'Running',
      startTime: started,
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'example/app:1', imageID: '', state: { running: { startedAt: started } } }],
    },
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

class Kubectl {
  readonly bin: string;
  readonly home: string;
  readonly kubeconfig: string;

  constructor(bin: string, serverPort: number, dir: string) {
    this.bin = bin;
    this.home = mkdtempSync(join(dir, 'home-'));
    this.kubeconfig = join(this.home, 'kubeconfig');
    writeFileSync(this.kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: http://127.0.0.1:${serverPort}`,
      'users:',
      '- name: test',
      '  user:',
      '    token: test-token',
      'contexts:',
      '- name: test',
      '  context:',
      '    cluster: test',
      '    user: test',
      '    namespace: default',
      'current-context: test',
      '',
    ].join('\n'));
  }

  spawn(args: string[], env: Record<string, string> = {}): ChildProcess {
    return spawn(this.bin, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, KUBECONFIG: this.kubeconfig, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  run(args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = this.spawn(args, options.env);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
      if (options.input !== undefined) child.stdin!.end(options.input);
      else child.stdin!.end();
    });
  }
}


function httpGetText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
  });
}

function exited(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => reject(new Error('kubectl did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const VERSIONS = ['1.27', '1.30', '1.33'];

describe('streaming endpoints with the real kubectl', () => {
  let server: TestServer;
  let dir: string;
  let logFile: string;
  let target: Server;
  let targetPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubevisor-streaming-'));
    logFile = join(dir, 'app.log');
    writeFileSync(logFile, 'first line\nsecond line\nthird line\n');
    target = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`hello through the tunnel: ${req.method} ${req.url}\n`);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetPort = (target.address() as AddressInfo).port;
    server = await startTestServer();
    server.pods.set('web', makePod('web', {
      'kubevisor.dev/logs-file': logFile,
      'kubevisor.dev/exec-command': '/bin/sh',
      'kubevisor.dev/port-forward-80': `127.0.0.1:${targetPort}`,
      'kubevisor.dev/port-forward-81': '127.0.0.1:1', // nothing listens there
    }));
    server.pods.set('bare', makePod('bare', {}));
  });

  after(async () => {
    await server.close();
    await new Promise<void>((resolve) => target.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of VERSIONS) {
    const bin = kubectlPath(version);
    describe(`kubectl ${version}`, { skip: bin === undefined ? `kubectl.${version} is not installed` : false }, () => {
      let k: Kubectl;
      before(() => { k = new Kubectl(bin!, server.port, dir); });

      it('logs: the configured file, --tail, --timestamps', async () => {
        const all = await k.run(['logs', 'web']);
        assert.equal(all.code, 0, all.stderr);
        assert.equal(all.stdout, 'first line\nsecond line\nthird line\n');
        const tail = await k.run(['logs', 'web', '--tail=1']);
        assert.equal(tail.stdout, 'third line\n');
        const ts = await k.run(['logs', 'web', '--tail=2', '--timestamps']);
        assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\S+Z second line\n\S+ third line\n$/);
      });

      it('logs: generated lines for a pod without a log file; --previous is refused', async () => {
        const r = await k.run(['logs', 'bare']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /pod default\/bare is simulated; container "app" \(image example\/app:1\)/);
        assert.match(r.stdout, /kubevisor\.dev\/logs-file/);
        const p = await k.run(['logs', 'bare', '--previous']);
        assert.notEqual(p.code, 0);
        assert.match(p.stderr, /previous terminated container "app" in pod "bare" not found/);
      });

      it('logs -f: follows appended lines and ends when the pod is deleted', async () => {
        const followed = join(dir, `follow-${version}.log`);
        writeFileSync(followed, 'one\ntwo\n');
        server.pods.set('follow', makePod('follow', { 'kubevisor.dev/logs-file': followed }));
        const child = k.spawn(['logs', '-f', 'follow', '--tail=1']);
        const out = child.stdout!;
        let text = '';
        out.on('data', (c: Buffer) => { text += c.toString(); });
        await waitForOutput(out, /two\n/);
        appendFileSync(followed, 'three\nfour\n');
        await waitForOutput(out, /four\n/);
        server.deletePod('follow');
        assert.equal(await exited(child), 0);
        assert.equal(text, 'two\nthree\nfour\n');
      });

      it('exec -- echo hi', async () => {
        const before = server.upgrades.length;
        const r = await k.run(['exec', 'web', '--', 'echo', 'hi']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'hi\n');
        // 1.30+ speak WebSocket; 1.27 goes straight to SPDY.
        assert.deepEqual(server.upgrades.slice(before), [version === '1.27' ? 'exec spdy/3.1' : 'exec websocket']);
      });

      it('exec over SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)', async () => {
        const r = await k.run(['exec', 'web', '--', 'echo', 'hi', 'there'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'hi there\n');
      });

      for (const ws of ['true', 'false']) {
        it(`exec -i with stdin, stderr, environment (websockets=${ws})`, async () => {
          const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws };
          const cat = await k.run(['exec', '-i', 'web', '--', 'cat'], { input: 'line one\nline two\n', env });
          assert.equal(cat.code, 0, cat.stderr);
          assert.equal(cat.stdout, 'line one\nline two\n');
          const big = 'x'.repeat(300_000) + '\n';
          const wc = await k.run(['exec', '-i', 'web', '--', 'wc', '-c'], { input: big, env });
          assert.equal(wc.stdout.trim(), String(big.length));
          const err = await k.run(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; echo "$GREETING"'], { env });
          assert.equal(err.code, 0, err.stderr);
          assert.equal(err.stdout, 'out\nhello from the pod\n');
          assert.match(err.stderr, /^err$/m);
          const many = await k.run(['exec', 'web', '--', 'sh', '-c', 'seq 1 20000'], { env });
          assert.equal(many.stdout.split('\n').length, 20001);
        });

        it(`exec: non-zero exit code is propagated (websockets=${ws})`, async () => {
          const r = await k.run(['exec', 'web', '--', 'sh', '-c', 'exit 3'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws } });
          assert.equal(r.code, 3);
          assert.match(r.stderr, /command terminated with exit code 3/);
        });

        it(`exec on a pod without exec-command fails clearly (websockets=${ws})`, async () => {
          const r = await k.run(['exec', 'bare', '--', 'echo', 'hi'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws } });
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /container "app" of pod default\/bare is simulated by kubevisor/);
          assert.match(r.stderr, /kubevisor\.dev\/exec-command/);
        });
      }

      it('exec -it with a non-terminal stdin (kubectl drops -t) still runs', async () => {
        const r = await k.run(['exec', '-i', '-t', 'web', '--', 'sh', '-c', 'read x; echo "got $x"; echo oops >&2'], { input: 'abc\n' });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /got abc/);
        assert.match(r.stdout + r.stderr, /oops/);
      });

      it('exec into an unknown container is refused', async () => {
        const r = await k.run(['exec', 'web', '-c', 'nope', '--', 'true']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /container nope is not valid for pod web|container nope not found/);
      });

      it('attach -i runs the configured command with stdin', async () => {
        const r = await k.run(['attach', '-i', 'web'], { input: 'echo attached\n' });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /attached/);
      });

      for (const wsEnv of ['true', 'false']) {
        it(`port-forward to the configured address (websockets=${wsEnv})`, async () => {
          const before = server.upgrades.length;
          const child = k.spawn(['port-forward', 'pod/web', ':80'], { KUBECTL_PORT_FORWARD_WEBSOCKETS: wsEnv });
          try {
            const m = await waitForOutput(child.stdout!, /Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
            const local = Number(m[1]);
            for (let i = 0; i < 3; i++) {
              const r = await httpGetText(`http://127.0.0.1:${local}/path-${i}`);
              assert.equal(r.status, 200);
              assert.equal(r.body, `hello through the tunnel: GET /path-${i}\n`);
            }
            const [a, b] = await Promise.all([httpGetText(`http://127.0.0.1:${local}/a`), httpGetText(`http://127.0.0.1:${local}/b`)]);
            assert.equal(a.body, 'hello through the tunnel: GET /a\n');
            assert.equal(b.body, 'hello through the tunnel: GET /b\n');
            // 1.31+ tunnel SPDY through a WebSocket unless told not to; 1.30 does when told to.
            const tunnel = version !== '1.27' && wsEnv === 'true';
            assert.deepEqual(server.upgrades.slice(before), [tunnel ? 'portforward websocket' : 'portforward spdy/3.1']);
          } finally {
            child.kill('SIGTERM');
            await exited(child).catch(() => child.kill('SIGKILL'));
          }
        });
      }

      it('port-forward to an unconfigured port reports the annotation to set', async () => {
        const child = k.spawn(['port-forward', 'pod/bare', ':80']);
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
        try {
          const m = await waitForOutput(child.stdout!, /Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
          await httpGetText(`http://127.0.0.1:${m[1]}/`).catch(() => undefined);
          const deadline = Date.now() + 10_000;
          while (!/kubevisor\.dev\/port-forward-80/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          assert.match(stderr, /nothing listens on its port 80; set the pod annotation kubevisor\.dev\/port-forward-80/);
        } finally {
          child.kill('SIGTERM');
          await exited(child).catch(() => child.kill('SIGKILL'));
        }
      });
    });
  }
});
