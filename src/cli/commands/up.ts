// `kubevisor up`: start a cluster's API server and, once it answers, point
// kubectl at it. Runs until SIGINT or SIGTERM, then closes the server.
import { readFileSync } from 'node:fs';
import { createRequire, flushCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningServer } from '../../server/options.ts';
import { ensurePki } from '../../server/pki/pki.ts';
import { parseDuration } from '../../api/go-duration.ts';
import type { HorizontalOptions } from '../../controllers/autoscaling/index.ts';
import { invalidFlag, parseFlags, UsageError, type FlagSpecs } from '../flags.ts';
import { installHeapReport } from '../heap-report.ts';
import { certificateHosts } from '../listen-address.ts';
import { waitUntilReady } from '../wait-ready.ts';


export interface UpOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** A standalone kubeconfig to write; absent: merge into $KUBECONFIG or ~/.kube/config. */
  readonly kubeconfig: string | undefined;
  readonly storage: 'sqlite' | 'etcd';
  readonly etcdEndpoints: readonly string[];
  readonly name: string;
  /** Simulated nodes to run (standalone mode: no host cluster). */
  readonly nodes: number;
  /** up: a server and one cluster; serve: the server only (clusters come through the admin API). */
  readonly mode?: 'up' | 'serve';
  /** serve: how pods synced to host clusters reach this server (default: the listen address). */
  readonly podApiAddress?: { host: string; port: number };
  readonly podDnsAddress?: string;
  /** serve: where the DNS server for synced pods listens (default: HOST:53). */
  readonly dnsListen?: { host: string; port: number };
  /** The HPA controller's settings (kube-controller-manager's --horizontal-pod-autoscaler-* flags). */
  readonly horizontalPodAutoscaler?: HorizontalOptions;
}

export const DEFAULTS = {
  port: 6443,
  host: '127.0.0.1',
  dataDir: '~/.kubevisor',
  storage: 'sqlite',
  etcdEndpoints: 'http://127.0.0.1:2379',
  name: 'kubevisor',
  nodes: 3,
} as const;

const FLAGS: FlagSpecs = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  kubeconfig: { type: 'string' },
  storage: { type: 'string' },
  'etcd-endpoints': { type: 'string' },
  name: { type: 'string' },
  nodes: { type: 'string' },
  'horizontal-pod-autoscaler-sync-period': { type: 'string' },
  'horizontal-pod-autoscaler-downscale-stabilization': { type: 'string' },
  'horizontal-pod-autoscaler-cpu-initialization-period': { type: 'string' },
  'horizontal-pod-autoscaler-initial-readiness-delay': { type: 'string' },
  'horizontal-pod-autoscaler-tolerance': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** The HPA settings, with kube-controller-manager's flag names and defaults. */
const HPA_HELP = `
  The horizontal pod autoscaler, as kube-controller-manager's flags of the same names:
      --horizontal-pod-autoscaler-sync-period duration                how often each HPA is synced (default 15s)
      --horizontal-pod-autoscaler-downscale-stabilization duration    how far back a scale-down looks at earlier
                                                                      recommendations (default 5m0s)
      --horizontal-pod-autoscaler-cpu-initialization-period duration  after a pod starts, how long CPU samples are
                                                                      skipped unless taken a window after it became ready (default 5m0s)
      --horizontal-pod-autoscaler-initial-readiness-delay duration    after a pod starts, how long readiness changes
                                                                      count as its initial readiness (default 30s)
      --horizontal-pod-autoscaler-tolerance float                     the least change of the usage ratio that scales (default 0.1)
`;

export const SERVE_HELP = `Serve virtual clusters: a long-running, multi-tenant kubevisor server.

Each virtual cluster is served at https://HOST:PORT/clusters/NAME. The server
root is the admin API, where VirtualCluster objects (kubevisor.dev/v1alpha1)
say which clusters exist; "kubevisor create", "list", "delete" and the other
cluster commands talk to it through the kubeconfig context "kubevisor-admin",
which this command writes. Ctrl-C stops the server; the clusters' data stays.

Usage:
  kubevisor serve [flags]

Examples:
  # Serve on https://127.0.0.1:6443, then create a cluster and connect to it
  kubevisor serve
  kubevisor create dev

  # Settings from a file
  kubevisor serve --config /etc/kubevisor/serve.yaml

  # Listen on every address, keep clusters in etcd
  kubevisor serve --host 0.0.0.0 --storage etcd --etcd-endpoints http://127.0.0.1:2379

Flags:
      --config string           a YAML or JSON file of these settings (port, host, dataDir, kubeconfig,
                                storage, etcdEndpoints); flags given here win over it
      --data-dir string         directory for certificates and cluster data (default "${DEFAULTS.dataDir}")
      --etcd-endpoints string   comma-separated etcd URLs, with --storage etcd (default "${DEFAULTS.etcdEndpoints}")
  -h, --help                    help for serve
      --host string             address to listen on (default "${DEFAULTS.host}")
      --kubeconfig string       write a standalone kubeconfig to this file instead of
                                merging into the first file of $KUBECONFIG or ~/.kube/config
      --port int                port to listen on; 0 picks a free one (default ${DEFAULTS.port})
      --storage string          where clusters keep their objects by default: sqlite or etcd (default "${DEFAULTS.storage}")

  For clusters whose pods run on a host cluster (kubevisor create --host-kubeconfig):
      --dns-listen string       HOST:PORT the DNS server for synced pods listens on (default "HOST:53")
      --pod-api-address string  HOST:PORT synced pods reach this server at, e.g. a host Service in
                                front of it (default: --host and --port)
      --pod-dns-address string  the nameserver synced pods are given; port 53 there must reach
                                --dns-listen without source NAT (default: --host)
${HPA_HELP}`;

export const UP_HELP = `Start a virtual cluster's API server, and point kubectl at it once it answers.

The first start creates certificates and an admin identity under the data
directory; later starts reuse them and the cluster's stored state. When the
server is ready, its cluster, user and context are added to your kubeconfig
(or written to --kubeconfig FILE) and made current. Ctrl-C stops the server.

Usage:
  kubevisor up [flags]

Examples:
  # Serve on https://127.0.0.1:6443 and make "kubevisor" the current context
  kubevisor up

  # Any free port, and a kubeconfig of its own instead of ~/.kube/config
  kubevisor up --port 0 --kubeconfig ./kubeconfig

  # Keep the cluster's state in etcd
  kubevisor up --storage etcd --etcd-endpoints http://127.0.0.1:2379

Flags:
      --data-dir string         directory for certificates and cluster state (default "${DEFAULTS.dataDir}")
      --etcd-endpoints string   comma-separated etcd URLs, with --storage etcd (default "${DEFAULTS.etcdEndpoints}")
      --nodes int               simulated nodes that run the cluster's pods (default ${DEFAULTS.nodes})
  -h, --help                    help for up
      --host string             address to listen on (default "${DEFAULTS.host}")
      --kubeconfig string       write a standalone kubeconfig to this file instead of
                                merging into the first file of $KUBECONFIG or ~/.kube/config
      --name string             the cluster's name; its context is "kubevisor" for the
                                default name, "kubevisor-NAME" otherwise (default "${DEFAULTS.name}")
      --port int                port to listen on; 0 picks a free one (default ${DEFAULTS.port})
      --storage string          where cluster state lives: sqlite or etcd (default "${DEFAULTS.storage}")
${HPA_HELP}`;

/**
 * `serve --config FILE`: a YAML or JSON mapping of the flags' settings, by flag
 * name or in camelCase (`dataDir`, `etcdEndpoints` as a list or a comma-separated string).
 */
function readServeConfig(path: string, known: readonly string[], command: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(expandHome(path), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, command);
  }
  let doc: unknown;
  try {
    doc = createRequire(import.meta.url)('yaml').parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`the config file ${path} is not YAML or JSON: ${(e as Error).message}`, command);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`the config file ${path} must hold a mapping of settings`, command);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (!known.includes(flag) || flag === 'config' || flag === 'help') {
      throw new UsageError(`unknown setting "${key}" in the config file ${path}`, command);
    }
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[flag] = value.join(',');
    else if (typeof value === 'string' || typeof value === 'number') out[flag] = String(value);
    else throw new UsageError(`setting "${key}" in the config file ${path} must be a string or a number`, command);
  }
  return out;
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

/** The options `up` runs with, or 'help'. Throws UsageError for bad flags. */
export function parseUpArgs(args: readonly string[]): UpOptions | 'help' {
  return parseServerArgs(args, 'up');
}

/** The options `serve` runs with (`up`'s, less the cluster's name and nodes), or 'help'. */
export function parseServeArgs(args: readonly string[]): UpOptions | 'help' {
  return parseServerArgs(args, 'serve');
}

function parseServerArgs(args: readonly string[], mode: 'up' | 'serve'): UpOptions | 'help' {
  const COMMAND = `kubevisor ${mode}`;
  const flags: FlagSpecs = mode === 'serve'
    ? {
      ...Object.fromEntries(Object.entries(FLAGS).filter(([k]) => k !== 'name' && k !== 'nodes')), config: { type: 'string' },
      'dns-listen': { type: 'string' }, 'pod-api-address': { type: 'string' }, 'pod-dns-address': { type: 'string' },
    }
    : FLAGS;
  const parsed = parseFlags(args, flags, COMMAND);
  const { positionals } = parsed;
  if (parsed.values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, COMMAND);
  // Flags given on the command line win over the config file's settings.
  const values = typeof parsed.values.config === 'string'
    ? { ...readServeConfig(parsed.values.config, Object.keys(flags), COMMAND), ...parsed.values }
    : parsed.values;
  const str = (name: string, fallback: string): string => {
    const value = values[name];
    if (value === undefined) return fallback;
    if (value === true || value.trim() === '') throw invalidFlag(name, value === true ? '' : value, 'must not be empty', COMMAND);
    return value;
  };

  const portText = str('port', String(DEFAULTS.port));
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw invalidFlag('port', portText, 'must be a port number from 0 to 65535', COMMAND);

  const storage = str('storage', DEFAULTS.storage);
  if (storage !== 'sqlite' && storage !== 'etcd') throw invalidFlag('storage', storage, 'must be "sqlite" or "etcd"', COMMAND);
  if (values['etcd-endpoints'] !== undefined && storage !== 'etcd') {
    throw new UsageError('--etcd-endpoints is only used with --storage etcd', COMMAND);
  }
  const endpointsText = str('etcd-endpoints', DEFAULTS.etcdEndpoints);
  const etcdEndpoints = endpointsText.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const endpoint of etcdEndpoints) {
    let ok = false;
    try {
      const url = new URL(endpoint);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) throw invalidFlag('etcd-endpoints', endpointsText, `"${endpoint}" is not an http:// or https:// URL`, COMMAND);
  }
  if (etcdEndpoints.length === 0) throw invalidFlag('etcd-endpoints', endpointsText, 'no endpoint given', COMMAND);

  const name = str('name', DEFAULTS.name);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw invalidFlag('name', name, 'must be lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters', COMMAND);
  }

  const kubeconfig = values.kubeconfig === undefined ? undefined : resolve(expandHome(str('kubeconfig', '')));
  const nodesText = str('nodes', String(DEFAULTS.nodes));
  if (!/^\d+$/.test(nodesText) || Number(nodesText) > 1000) throw invalidFlag('nodes', nodesText, 'must be a whole number from 0 to 1000', COMMAND);
  const hostPort = (flag: string): { host: string; port: number } | undefined => {
    if (values[flag] === undefined) return undefined;
    const text = str(flag, '');
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
    const p = m ? Number(m[2]) : NaN;
    if (!m || !(p >= 1 && p <= 65535)) throw invalidFlag(flag, text, 'must be HOST:PORT', COMMAND);
    return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: p };
  };
  const hpa: Record<string, number> = {};
  for (const [flag, key] of [
    ['sync-period', 'syncPeriodMs'], ['downscale-stabilization', 'downscaleStabilizationMs'],
    ['cpu-initialization-period', 'cpuInitializationPeriodMs'], ['initial-readiness-delay', 'initialReadinessDelayMs'],
  ] as const) {
    const name = `horizontal-pod-autoscaler-${flag}`;
    if (values[name] === undefined) continue;
    const text = str(name, '');
    const ms = parseDuration(text);
    if (ms === undefined) throw invalidFlag(name, text, 'must be a duration such as 15s or 1m30s', COMMAND);
    if (flag === 'sync-period' && ms <= 0) throw invalidFlag(name, text, 'must be more than 0s', COMMAND);
    hpa[key] = ms;
  }
  if (values['horizontal-pod-autoscaler-tolerance'] !== undefined) {
    const text = str('horizontal-pod-autoscaler-tolerance', '');
    const t = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
    if (!(t >= 0)) throw invalidFlag('horizontal-pod-autoscaler-tolerance', text, 'must be a number of at least 0', COMMAND);
    hpa.tolerance = t;
  }
  const podDns = values['pod-dns-address'] === undefined ? undefined : str('pod-dns-address', '');
  if (podDns !== undefined && !/^[0-9.]+$|^[0-9a-fA-F:]+$/.test(podDns)) throw invalidFlag('pod-dns-address', podDns, 'must be an IP address', COMMAND);
  return {
    podApiAddress: hostPort('pod-api-address'),
    podDnsAddress: podDns,
    dnsListen: hostPort('dns-listen'),
    ...(Object.keys(hpa).length > 0 ? { horizontalPodAutoscaler: hpa as HorizontalOptions } : {}),
    mode,
    nodes: Number(nodesText),
    port,
    host: str('host', DEFAULTS.host),
    dataDir: resolve(expandHome(str('data-dir', DEFAULTS.dataDir))),
    kubeconfig,
    storage,
    etcdEndpoints,
    name,
  };
}

/** The kubeconfig context of the admin API (what `kubevisor create`, `list`, ... talk to). */
export const ADMIN_CONTEXT = 'kubevisor-admin';

/** Name of the kubeconfig cluster, user and context for a cluster. */
export function contextName(clusterName: string): string {
  return clusterName === DEFAULTS.name ? DEFAULTS.name : `kubevisor-${clusterName}`;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function describeStartError(err: unknown, o: UpOptions): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') {
    return `cannot listen on ${o.host}:${o.port}: the address is in use\nIs another kubevisor running? Pick another port with --port (0 picks a free one).`;
  }
  if (e?.code === 'EACCES') return `cannot listen on ${o.host}:${o.port}: permission denied\nPick a port above 1023 with --port.`;
  if (e?.code === 'EADDRNOTAVAIL') return `cannot listen on ${o.host}: no such address on this machine`;
  return e instanceof Error ? e.message : String(err);
}

export interface UpIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Ends the process; tests may replace it. */
  readonly exit: (code: number) => void;
}

const processIo: UpIo = { out: process.stdout, err: process.stderr, exit: (code) => process.exit(code) };

/**
 * Run the server until a signal. Prints `kubevisor: ready URL (N ms)` to stdout
 * once the kubeconfig is written, N counted from process start.
 */
export async function runUp(o: UpOptions, io: UpIo = processIo): Promise<void> {
  // Start loading what comes later while the PKI and store get ready.
  const runtimeModule = import('../server-runtime.ts');
  const kubeconfigModule = import('../kubeconfig.ts');
  for (const p of [runtimeModule, kubeconfigModule]) p.catch(() => {});

  // KUBEVISOR_TRACE_STARTUP=1 prints when each startup step finished, in ms since process start.
  const marks: string[] = [];
  const mark = (step: string) => { marks.push(`${step} ${Math.round(performance.now())}`); };
  mark('main');

  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let server: RunningServer | undefined;

  const stop = async (code: number): Promise<void> => {
    const timer = setTimeout(() => {
      io.err.write('error: the server did not close within 10s\n');
      io.exit(1);
    }, 10_000);
    timer.unref();
    try {
      if (server) await server.close();
    } catch (err) {
      io.err.write(`error: while shutting down: ${(err as Error).message}\n`);
      code = 1;
    }
    clearTimeout(timer);
    io.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (phase === 'stopping') {
      io.err.write(`kubevisor: ${signal} again, exiting without closing\n`);
      io.exit(1);
      return;
    }
    const wasRunning = phase === 'running';
    phase = 'stopping';
    io.err.write(`kubevisor: ${signal}: shutting down\n`);
    // While starting, the startup sequence notices at its next step and stops.
    if (wasRunning) void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  installHeapReport();
  const stopping = () => phase === 'stopping';

  try {
    const pki = await ensurePki(o.dataDir, { hosts: certificateHosts(o.host) });
    mark(pki.generated.length > 0 ? `pki(generated ${pki.generated.join(',')})` : 'pki');
    if (stopping()) return stop(0);

    const storeLabel = o.storage === 'sqlite'
      ? `sqlite ${join(o.dataDir, 'clusters', o.name, 'state.db')}`
      : `etcd ${o.etcdEndpoints.join(',')} under /kubevisor/${o.name}/`;
    const { startKubevisorServer } = await runtimeModule;
    mark('server-module');
    const running = await startKubevisorServer({
      host: o.host,
      port: o.port,
      dataDir: o.dataDir,
      storage: o.storage === 'etcd' ? { backend: 'etcd', endpoints: o.etcdEndpoints } : { backend: 'sqlite' },
      pki,
      // `up` is a single user's server: pods may name host files, commands and addresses. `serve`
      // hosts many tenants: such annotations would let any of them run commands on this machine.
      podHostAccess: o.mode !== 'serve',
      podAccess: { apiServer: o.podApiAddress, dnsIP: o.podDnsAddress, dns: o.dnsListen },
      horizontalPodAutoscaler: o.horizontalPodAutoscaler,
    }).catch((err: unknown) => {
      throw new Error(describeStartError(err, o));
    });
    server = running.server;
    mark('listening');
    if (stopping()) return stop(0);
    if (o.mode !== 'serve') {
      await running.ensureCluster(o.name, { nodes: o.nodes, storage: o.storage });
      mark('cluster');
      if (stopping()) return stop(0);
    }

    const url = running.url;
    await waitUntilReady(url, { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey });
    mark('readyz');
    if (stopping()) return stop(0);

    const { writeKubeconfig } = await kubeconfigModule;
    const standalone = o.kubeconfig !== undefined;
    const context = o.mode === 'serve' ? ADMIN_CONTEXT : contextName(o.name);
    // The admin API, and for `up` the cluster, made current.
    const adminEntry = { name: ADMIN_CONTEXT, server: url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey, token: pki.adminToken };
    let written;
    if (o.mode === 'serve') {
      written = await writeKubeconfig(adminEntry, { file: o.kubeconfig });
    } else {
      const creds = await running.manager.credentials(o.name);
      written = await writeKubeconfig(
        {
          name: context,
          server: `${url}/clusters/${o.name}`,
          caCert: pki.caCert,
          clientCert: creds.certChainPem,
          clientKey: creds.keyPem,
          namespace: 'default',
          token: creds.token,
        },
        { file: o.kubeconfig, also: [adminEntry] },
      );
    }
    mark('kubeconfig');
    if (stopping()) return stop(0);
    if (process.env.KUBEVISOR_TRACE_STARTUP) io.err.write(`kubevisor: startup ms: ${marks.join(', ')}\n`);

    const kubectl = standalone ? `kubectl --kubeconfig ${shellQuote(written.path)}` : 'kubectl';
    const lines = [
      o.mode === 'serve'
        ? `kubevisor: serving virtual clusters at ${url}/clusters/NAME, the admin API at ${url} (data in ${o.dataDir})`
        : `kubevisor: cluster "${o.name}" is serving at ${url}/clusters/${o.name} (${storeLabel})`,
      standalone
        ? `kubevisor: wrote kubeconfig ${shellQuote(written.path)} (context "${context}")`
        : `kubevisor: context "${context}" written to ${written.path} and made current`,
      o.mode === 'serve' ? `kubevisor: try: kubevisor create dev` : `kubevisor: try: ${kubectl} get namespaces`,
      `kubevisor: press Ctrl-C to stop`,
      `kubevisor: ready ${url} (${Math.round(performance.now())}ms)`,
    ];
    io.out.write(lines.join('\n') + '\n');
    phase = 'running';
    // Save compiled modules now: a server usually runs until killed, and the
    // cache is otherwise written only at a clean exit.
    setImmediate(flushCompileCache);
  } catch (err) {
    io.err.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    phase = 'stopping';
    return stop(1);
  }
}
