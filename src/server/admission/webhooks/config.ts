// The webhooks of a cluster's MutatingWebhookConfigurations and
// ValidatingWebhookConfigurations, compiled once per stored object and kept
// in an index the watch cache feeds: a write reads them without a list.
//
// As upstream's configuration managers: configurations in name order, each
// one's webhooks in their own order, every webhook known by
// `CONFIGURATION/WEBHOOK/N` (N counting webhooks of the same name in that
// configuration). Fields a stored configuration lacks take the API's
// defaults (the strategy defaults them on write already).

import type { KubeObject } from '../../../api/types.ts';
import type { LabelSelector } from '../../../api/selectors/labels.ts';
import { resourcePrefix } from '../../../registry/generic/keys.ts';
import type { CacheEvent, WatchCache } from '../../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { parseSelector, type Rule } from '../matching.ts';

export type { Rule } from '../matching.ts';

export interface ServiceReference {
  readonly namespace: string;
  readonly name: string;
  /** '' when none. */
  readonly path: string;
  readonly port: number;
}

export interface ClientConfig {
  readonly url?: string;
  readonly service?: ServiceReference;
  /** PEM certificates (clientConfig.caBundle decoded); undefined: the system's roots. */
  readonly caBundle?: string;
}

export interface MatchCondition {
  readonly name: string;
  readonly expression: string;
}

export interface Webhook {
  /** `CONFIGURATION/NAME/N`: tells apart webhooks of one name in one configuration. */
  readonly uid: string;
  readonly configuration: string;
  readonly name: string;
  readonly mutating: boolean;
  readonly rules: readonly Rule[];
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly matchPolicy: 'Equivalent' | 'Exact';
  /** The parsed selector, or the error parsing it gave (a 500 when the webhook would be considered). */
  readonly namespaceSelector: LabelSelector | Error;
  readonly objectSelector: LabelSelector | Error;
  /** None, NoneOnDryRun, Some, Unknown (undefined when unset). */
  readonly sideEffects: string | undefined;
  readonly timeoutSeconds: number;
  readonly admissionReviewVersions: readonly string[];
  readonly reinvocationPolicy: 'Never' | 'IfNeeded';
  readonly clientConfig: ClientConfig;
  readonly matchConditions: readonly MatchCondition[];
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function clientConfig(v: unknown): ClientConfig {
  const cc = obj(v) ?? {};
  const out: { url?: string; service?: ServiceReference; caBundle?: string } = {};
  const url = str(cc.url);
  if (url !== undefined) out.url = url;
  const svc = obj(cc.service);
  if (svc) {
    out.service = {
      namespace: str(svc.namespace) ?? '', name: str(svc.name) ?? '', path: str(svc.path) ?? '',
      port: typeof svc.port === 'number' && svc.port > 0 ? svc.port : 443,
    };
  }
  const ca = str(cc.caBundle);
  if (ca !== undefined && ca !== '') out.caBundle = Buffer.from(ca, 'base64').toString('utf8');
  return out;
}

/** The webhooks of one configuration object, in order. */
export function compileConfiguration(config: KubeObject, mutating: boolean): Webhook[] {
  const name = config.metadata.name ?? '';
  const seen = new Map<string, number>();
  const out: Webhook[] = [];
  for (const raw of Array.isArray((config as Obj).webhooks) ? (config as Obj).webhooks as unknown[] : []) {
    const w = obj(raw);
    if (!w) continue;
    const hookName = str(w.name) ?? '';
    const n = seen.get(hookName) ?? 0;
    seen.set(hookName, n + 1);
    out.push({
      uid: `${name}/${hookName}/${n}`,
      configuration: name,
      name: hookName,
      mutating,
      rules: (Array.isArray(w.rules) ? w.rules : []).map((r) => {
        const o = obj(r) ?? {};
        return {
          operations: strings(o.operations), apiGroups: strings(o.apiGroups), apiVersions: strings(o.apiVersions),
          resources: strings(o.resources), scope: str(o.scope) ?? '*',
        };
      }),
      failurePolicy: w.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
      matchPolicy: w.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
      namespaceSelector: parseSelector(w.namespaceSelector),
      objectSelector: parseSelector(w.objectSelector),
      sideEffects: str(w.sideEffects),
      timeoutSeconds: typeof w.timeoutSeconds === 'number' && w.timeoutSeconds > 0 ? w.timeoutSeconds : 10,
      admissionReviewVersions: strings(w.admissionReviewVersions),
      reinvocationPolicy: mutating && w.reinvocationPolicy === 'IfNeeded' ? 'IfNeeded' : 'Never',
      clientConfig: clientConfig(w.clientConfig),
      matchConditions: (Array.isArray(w.matchConditions) ? w.matchConditions : []).map((c) => {
        const o = obj(c) ?? {};
        return { name: str(o.name) ?? '', expression: str(o.expression) ?? '' };
      }),
    });
  }
  return out;
}

/** One kind of configuration (mutating or validating) of one cluster, kept current from the watch cache. */
class ConfigurationSet {
  private readonly byName = new Map<string, Webhook[]>();
  private sorted: readonly Webhook[] | undefined = [];
  private readonly compiled = new WeakMap<KubeObject, Webhook[]>();
  private readonly mutating: boolean;
  constructor(mutating: boolean) {
    this.mutating = mutating;
  }

  set(config: KubeObject): void {
    let hooks = this.compiled.get(config);
    if (!hooks) this.compiled.set(config, (hooks = compileConfiguration(config, this.mutating)));
    this.byName.set(config.metadata.name ?? '', hooks);
    this.sorted = undefined;
  }

  remove(config: KubeObject): void {
    if (this.byName.delete(config.metadata.name ?? '')) this.sorted = undefined;
  }

  /** Every webhook, configurations in name order. */
  webhooks(): readonly Webhook[] {
    if (this.sorted) return this.sorted;
    const names = [...this.byName.keys()].sort();
    this.sorted = names.flatMap((n) => this.byName.get(n) ?? []);
    return this.sorted;
  }
}

/** The webhooks of one cluster, indexed from its watch cache. */
export class WebhookIndex {
  readonly mutating = new ConfigurationSet(true);
  readonly validating = new ConfigurationSet(false);
  private readonly stops: Array<() => void> = [];

  constructor(cache: WatchCache, mutatingDef: ResourceDef | undefined, validatingDef: ResourceDef | undefined) {
    for (const [def, set] of [[mutatingDef, this.mutating], [validatingDef, this.validating]] as const) {
      if (!def) continue;
      const prefix = resourcePrefix(def);
      // scan and subscribe in one synchronous step: no event falls between them.
      for (const c of cache.scan(prefix)) set.set(c.obj);
      this.stops.push(cache.subscribe({
        prefix,
        onEvent: (ev: CacheEvent) => {
          if (ev.type === 'DELETED') set.remove(ev.obj);
          else set.set(ev.obj);
        },
      }));
    }
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}
