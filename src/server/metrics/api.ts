// The Metrics API of a virtual cluster (metrics.k8s.io/v1beta1 nodes and
// pods, get and list), answered as metrics-server answers through the
// aggregation layer:
//
// - the objects come from the cluster's own Nodes and Running Pods (metrics-
//   server watches pods with `status.phase=Running`), chosen by the label
//   selector and the field selectors `metadata.name` / `metadata.namespace`
//   (any other field: 400 `"F" is not a known field selector: only …`); the
//   cluster's MetricsSource gives the usage of those it has metrics of, the
//   others are left out;
// - items carry the node's or pod's name, namespace and labels, a
//   creationTimestamp of now, no uid or resourceVersion, and no kind in lists;
//   nodes sorted by name, pods by namespace and name;
// - a get of a node or pod that is not there (not Running, for pods) is the
//   lister's 404 (`node "x" not found`, `pods "x" not found`); one without
//   metrics `nodemetrics.metrics.k8s.io "x" not found` /
//   `podmetrics.metrics.k8s.io "NS/x" not found`;
// - Tables have metrics-server's columns (Name, then each usage name sorted,
//   then Window), none for an empty list;
// - without a source, or when it cannot answer, the API is unavailable: the
//   aggregator's plain-text 503 `service unavailable`, which clients report as
//   `the server is currently unable to handle the request`.

import type { ServerResponse } from 'node:http';
import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseFieldSelector } from '../../api/selectors/fields.ts';
import { parseLabelSelector } from '../../api/selectors/labels.ts';
import { listPrefix, resourcePrefix } from '../../registry/generic/keys.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import type { ResourceContext } from '../handlers/resource.ts';
import type { Negotiated } from '../http/negotiate.ts';
import { writeObject } from '../http/respond.ts';
import { sumQuantities } from './quantity.ts';
import { metricsApiVersion, metricsGroup, metricsVersion } from './resources.ts';
import { MetricsUnavailable, metricsSourceOf, podKey, type MetricsSource, type NodeSample, type PodSample } from './source.ts';

/** Answer the Metrics API in `vc` (when its registry declares it). */
export function attachMetricsApi(vc: VirtualCluster): void {
  if (!vc.registry.find(metricsGroup, metricsVersion, 'nodes')) return;
  vc.subresources.set(`${metricsGroup}/nodes`, (ctx, neg) => serveNodes(vc, ctx, neg));
  vc.subresources.set(`${metricsGroup}/pods`, (ctx, neg) => servePods(vc, ctx, neg));
}

/** The aggregator's answer while the API's server is unavailable (http.Error: plain text). */
function writeUnavailable(res: ServerResponse): void {
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end('service unavailable\n');
}

/** The source's answer, or undefined once the 503 is written. */
async function ask<T>(ctx: ResourceContext, source: MetricsSource, call: (s: MetricsSource) => T | Promise<T>): Promise<T | undefined> {
  try {
    return await call(source);
  } catch (e) {
    if (!(e instanceof MetricsUnavailable)) throw e;
    writeUnavailable(ctx.res);
    return undefined;
  }
}

const knownFields = ['metadata.name', 'metadata.namespace'];

/** The request's selectors as a predicate over the nodes or pods (metrics-server's filters). */
function selection(query: URLSearchParams, namespaced: boolean): (obj: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  for (const r of fields.requirements) {
    if (!knownFields.includes(r.field)) {
      throw errors.badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
  }
  return (obj) => {
    if (!labels.empty && !labels.matches(obj.metadata.labels ?? {})) return false;
    if (fields.empty) return true;
    return fields.matches((f) => (f === 'metadata.name' ? obj.metadata.name ?? '' : f === 'metadata.namespace' && namespaced ? obj.metadata.namespace ?? '' : ''));
  };
}

function meta(obj: KubeObject, now: string, namespaced: boolean): Record<string, unknown> {
  const m: Record<string, unknown> = { name: obj.metadata.name };
  if (namespaced) m.namespace = obj.metadata.namespace;
  m.creationTimestamp = now;
  if (obj.metadata.labels && Object.keys(obj.metadata.labels).length > 0) m.labels = { ...obj.metadata.labels };
  return m;
}

function nodeMetrics(node: KubeObject, s: NodeSample, now: string): KubeObject {
  return { metadata: meta(node, now, false), timestamp: s.timestamp, window: s.window, usage: { ...s.usage } } as KubeObject;
}

function podMetrics(pod: KubeObject, s: PodSample, now: string): KubeObject {
  return {
    metadata: meta(pod, now, true), timestamp: s.timestamp, window: s.window,
    containers: s.containers.map((c) => ({ name: c.name, usage: { ...c.usage } })),
  } as KubeObject;
}

/** Go's string order; names and namespaces are ASCII, where it is JavaScript's too. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function includeObject(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

/** The usage a table row shows: a node's, or the sum of a pod's containers'. */
function rowUsage(item: KubeObject): Record<string, string> {
  if (item.usage) return item.usage as Record<string, string>;
  const byName = new Map<string, string[]>();
  for (const c of (item.containers as { usage: Record<string, string> }[]) ?? []) {
    for (const [k, v] of Object.entries(c.usage)) {
      let l = byName.get(k);
      if (!l) byName.set(k, (l = []));
      l.push(v);
    }
  }
  return Object.fromEntries([...byName].map(([k, vs]) => [k, sumQuantities(vs)]));
}

/** metrics-server's Table: Name, the usage names of the first item (sorted), Window. */
function toTable(items: readonly KubeObject[], kind: string, version: 'v1' | 'v1beta1', include: 'None' | 'Metadata' | 'Object'): unknown {
  const names = items.length > 0 ? Object.keys(rowUsage(items[0] as KubeObject)).sort() : [];
  const columnDefinitions = items.length === 0 ? [] : [
    { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
    ...names.map((n) => ({ name: n, type: 'string', format: 'quantity', description: '', priority: 0 })),
    { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
  ];
  const rows = items.map((item) => {
    const usage = rowUsage(item);
    const row: Record<string, unknown> = { cells: [item.metadata.name, ...names.map((n) => usage[n] ?? '0'), item.window] };
    if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: item.metadata };
    else if (include === 'Object') row.object = { kind, apiVersion: metricsApiVersion, ...item };
    return row;
  });
  return { kind: 'Table', apiVersion: `meta.k8s.io/${version}`, metadata: {}, columnDefinitions, rows };
}

function writeOne(ctx: ResourceContext, neg: Negotiated, kind: string, item: KubeObject): void {
  let body: unknown;
  switch (neg.shape.kind) {
    case 'object': body = { kind, apiVersion: metricsApiVersion, ...item }; break;
    case 'table': body = toTable([item], kind, neg.shape.version, includeObject(ctx.query)); break;
    case 'partial': body = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${neg.shape.version}`, metadata: item.metadata }; break;
  }
  writeObject(ctx.res, 200, body, neg.encoding);
}

function writeList(ctx: ResourceContext, neg: Negotiated, kind: string, items: KubeObject[]): void {
  let body: unknown;
  switch (neg.shape.kind) {
    case 'object': body = { kind: `${kind}List`, apiVersion: metricsApiVersion, metadata: {}, items }; break;
    case 'table': body = toTable(items, kind, neg.shape.version, includeObject(ctx.query)); break;
    case 'partial': {
      const apiVersion = `meta.k8s.io/${neg.shape.version}`;
      body = { kind: 'PartialObjectMetadataList', apiVersion, metadata: {}, items: items.map((i) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: i.metadata })) };
      break;
    }
  }
  writeObject(ctx.res, 200, body, neg.encoding);
}

function coreDef(vc: VirtualCluster, plural: string): ResourceDef {
  const def = vc.registry.find('', 'v1', plural);
  if (!def) throw errors.pathNotFound();
  return def;
}

async function serveNodes(vc: VirtualCluster, ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const nodesDef = coreDef(vc, 'nodes');
  const source = metricsSourceOf(vc);
  if (!source) return writeUnavailable(ctx.res);
  const name = ctx.info.name;
  if (name !== undefined) {
    const node = vc.store.peek(nodesDef, undefined, name);
    if (!node) throw errors.notFound({ group: '', resource: 'node' }, name);
    const samples = await ask(ctx, source, (s) => s.nodes([node]));
    if (!samples) return;
    const sample = samples.get(name);
    if (!sample) throw errors.notFound({ group: metricsGroup, resource: 'nodemetrics' }, name);
    return writeOne(ctx, neg, 'NodeMetrics', nodeMetrics(node, sample, nowTimestamp()));
  }
  const selected = selection(ctx.query, false);
  const nodes = [...vc.cache.scan(resourcePrefix(nodesDef))].map((c) => c.obj).filter(selected);
  const samples = await ask(ctx, source, (s) => s.nodes(nodes));
  if (!samples) return;
  const now = nowTimestamp();
  const items = nodes.filter((n) => samples.has(n.metadata.name ?? ''))
    .sort((a, b) => compareNames(a.metadata.name ?? '', b.metadata.name ?? ''))
    .map((n) => nodeMetrics(n, samples.get(n.metadata.name ?? '') as NodeSample, now));
  writeList(ctx, neg, 'NodeMetrics', items);
}

/** metrics-server knows the Running pods only. */
function running(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running';
}

async function servePods(vc: VirtualCluster, ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const podsDef = coreDef(vc, 'pods');
  const source = metricsSourceOf(vc);
  if (!source) return writeUnavailable(ctx.res);
  const { name, namespace } = ctx.info;
  if (name !== undefined) {
    const pod = vc.store.peek(podsDef, namespace, name);
    if (!pod || !running(pod)) throw errors.notFound({ group: '', resource: 'pods' }, name);
    const samples = await ask(ctx, source, (s) => s.pods([pod]));
    if (!samples) return;
    const sample = samples.get(podKey(pod));
    if (!sample) throw errors.notFound({ group: metricsGroup, resource: 'podmetrics' }, `${namespace}/${name}`);
    return writeOne(ctx, neg, 'PodMetrics', podMetrics(pod, sample, nowTimestamp()));
  }
  const selected = selection(ctx.query, true);
  const pods = [...vc.cache.scan(listPrefix(podsDef, namespace))].map((c) => c.obj).filter((p) => running(p) && selected(p));
  const samples = await ask(ctx, source, (s) => s.pods(pods));
  if (!samples) return;
  const now = nowTimestamp();
  const items = pods.filter((p) => samples.has(podKey(p)))
    .sort((a, b) => compareNames(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compareNames(a.metadata.name ?? '', b.metadata.name ?? ''))
    .map((p) => podMetrics(p, samples.get(podKey(p)) as PodSample, now));
  writeList(ctx, neg, 'PodMetrics', items);
}
