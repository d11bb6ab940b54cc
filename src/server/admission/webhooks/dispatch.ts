// Calling a write's webhooks, as upstream's dispatchers do:
//
// Mutating (in order, configurations by name): each matching webhook is sent
// the object as the previous ones left it; its JSONPatch is applied and the
// result read as the kind reads a body and defaulted. If a webhook changed
// the object, the webhooks with reinvocationPolicy IfNeeded called before it
// are called once more, after the first round (upstream's reinvocation). A
// connect request (CONNECT: exec, attach, port-forward, proxy) is sent its
// options, and a patch changes what it connects with (../connect.ts).
// Validating: every matching webhook at once; the first failure to come back
// is the answer.
//
// A dry run is sent only to webhooks whose sideEffects is None or
// NoneOnDryRun. A webhook that cannot be called fails the write under
// failurePolicy Fail and is passed over under Ignore; a denial, a patch that
// does not apply, and a selector that cannot be evaluated always fail it.

import { ApiError, errors } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import type { AdmissionRequest } from '../../../registry/generic/admission.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { AnswerError, decodeAnswer, goSeconds, post, requestPath, TransportError, type HttpAnswer, type WebhookPost } from './client.ts';
import type { Webhook, WebhookIndex } from './config.ts';
import { CallingError, callingFailure, cannotModify, denied, dryRunUnsupported } from './errors.ts';
import { evaluateMatchConditions } from './match-conditions.ts';
import { applyJsonPatchTo, applyOptionsPatch, applyWebhookPatch, decodePatch } from './patch.ts';
import { admissionRequest, admissionReview, celRequest, InvalidResponse, reviewVersion, verifyResponse, type AdmissionResponse, type ReviewInput } from './review.ts';
import { attributesOf, namespaceLabels } from '../matching.ts';
import { keepIdentity, mutationView, replaceInPlace } from '../mutation.ts';
import { convertObject, equivalentResources, invocationFor, type Attributes, type Invocation } from './rules.ts';
import { serviceDialerOf } from '../../service-dial.ts';
import { dialedRoute, serviceHost, serviceRouteOf, type ServiceRoute } from './service.ts';
import { reachableAddress } from './url-reach.ts';

export interface DispatchContext {
  readonly vc: VirtualCluster;
  readonly index: WebhookIndex;
  /** How the cluster reaches a Service when nothing else set a route (its simulated pods). */
  readonly defaultRoute: ServiceRoute;
  /** Whether a URL webhook may be at any address (a single-user server) or only at public ones (url-reach.ts). */
  readonly anyUrlAddress: boolean;
}

/** The webhooks of `hooks` to call for the write, in order; a refusal when a selector or match condition fails closed. */
function invocations(ctx: DispatchContext, hooks: readonly Webhook[], a: Attributes, req: AdmissionRequest): Invocation[] {
  const labelsOf = namespaceLabels(ctx.vc);
  let eqs: readonly ResourceDef[] | undefined;
  const equivalents = () => (eqs ??= equivalentResources(ctx.vc.registry, a.def));
  const out: Invocation[] = [];
  for (const w of hooks) {
    const inv = invocationFor(w, a, labelsOf, equivalents);
    if (inv instanceof ApiError) throw inv;
    if (!inv || !conditionsMatch(inv, a, req)) continue;
    out.push(inv);
  }
  return out;
}

function reviewInput(inv: Invocation, a: Attributes, req: AdmissionRequest, object: KubeObject | undefined): ReviewInput {
  return {
    attributes: a, def: inv.def, object: object && convertObject(a.def, inv.def, object),
    oldObject: a.oldObject && convertObject(a.def, inv.def, a.oldObject), user: req.user, dryRun: req.dryRun, options: req.options,
  };
}

/** The webhook's matchConditions: false skips it; a failure skips it (Ignore) or refuses the write (Fail, 403). */
function conditionsMatch(inv: Invocation, a: Attributes, req: AdmissionRequest): boolean {
  const conditions = inv.webhook.matchConditions;
  if (conditions.length === 0) return true;
  const input = reviewInput(inv, a, req, a.object);
  const { object: _o, oldObject: _p, ...request } = admissionRequest('', input);
  const r = evaluateMatchConditions(conditions, { object: input.object ?? null, oldObject: input.oldObject ?? null, request: celRequest(request) });
  if ('error' in r) {
    if (inv.webhook.failurePolicy === 'Ignore') return false;
    throw errors.forbidden({ group: a.def.group, resource: a.def.plural }, a.name, r.error);
  }
  return r.matches;
}

const lastLogged = new Map<string, number>();

/** A webhook passed over under failurePolicy Ignore: logged, at most once a minute per webhook. */
function logFailOpen(vc: VirtualCluster, w: Webhook, e: CallingError): void {
  const key = `${vc.name}/${w.uid}`;
  const now = Date.now();
  if ((lastLogged.get(key) ?? 0) > now - 60_000) return;
  if (lastLogged.size > 10_000) lastLogged.clear();
  lastLogged.set(key, now);
  console.error(`kubevisor: cluster ${vc.name}: failing open: ${e.message}`);
}

/** The URL a webhook is called at (shown in transport errors) and how to send to it. */
function target(ctx: DispatchContext, w: Webhook): { url: string; send: (p: WebhookPost) => Promise<HttpAnswer> } {
  const cc = w.clientConfig;
  const timeout = `?timeout=${goSeconds(w.timeoutSeconds)}`;
  if (cc.service) {
    const s = cc.service;
    const path = requestPath(s.path) + timeout;
    const dialer = serviceDialerOf(ctx.vc);
    const route = serviceRouteOf(ctx.vc) ?? (dialer ? dialedRoute(dialer) : ctx.defaultRoute);
    return { url: `https://${serviceHost(s)}:${s.port}${path}`, send: (p) => route(s, cc.caBundle, { ...p, path }) };
  }
  if (cc.url === undefined) throw new CallingError(w.name, 'could not get REST client: webhook configuration must have either service or URL');
  let u: URL;
  try {
    u = new URL(cc.url);
  } catch (e) {
    throw new CallingError(w.name, `could not get REST client: Unparsable URL: ${(e as Error).message}`);
  }
  const path = requestPath(u.pathname) + timeout;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? 443 : Number(u.port);
  if (u.protocol !== 'https:') {
    throw new CallingError(w.name, `failed to call webhook: Post ${JSON.stringify(`${u.protocol}//${u.host}${path}`)}: only https webhooks are called`);
  }
  const url = `https://${u.host}${path}`;
  return {
    url,
    // A refused address fails as a call that could not connect would (the caller words it).
    send: async (p) => post({ host: await reachableAddress(host, ctx.anyUrlAddress), port, serverName: host, hostHeader: u.host, ca: cc.caBundle }, { ...p, path }),
  };
}

/** One call: the review sent, the answer checked. Throws CallingError (failure policy applies) or ApiError. */
async function call(ctx: DispatchContext, inv: Invocation, input: ReviewInput, req: AdmissionRequest): Promise<AdmissionResponse> {
  const w = inv.webhook;
  if (req.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') {
    if (w.sideEffects === undefined) throw new CallingError(w.name, 'Webhook SideEffects is nil');
    throw dryRunUnsupported(w.name);
  }
  const version = reviewVersion(w.admissionReviewVersions);
  if (!version) throw new CallingError(w.name, 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const { uid, review } = admissionReview(version, input);
  const t = target(ctx, w);
  const signal = AbortSignal.timeout(w.timeoutSeconds * 1000);
  let answer: HttpAnswer;
  try {
    answer = await t.send({
      path: '', body: Buffer.from(JSON.stringify(review)), signal,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'User-Agent': 'kube-apiserver-admission' },
    });
  } catch (e) {
    const text = e instanceof TransportError ? e.message : signal.aborted ? 'context deadline exceeded' : (e as Error).message;
    throw new CallingError(w.name, `failed to call webhook: Post ${JSON.stringify(t.url)}: ${text}`);
  }
  let body: unknown;
  try {
    body = decodeAnswer(answer);
  } catch (e) {
    if (e instanceof AnswerError) throw new CallingError(w.name, `failed to call webhook: ${e.message}`);
    throw e;
  }
  let res: AdmissionResponse;
  try {
    res = verifyResponse(body, version, uid, w.mutating);
  } catch (e) {
    if (e instanceof InvalidResponse) throw new CallingError(w.name, `received invalid webhook response: ${e.message}`);
    throw e;
  }
  for (const warning of res.warnings) req.warn(warning);
  return res;
}

/** Runs `fn` for a webhook; a CallingError is passed over (Ignore) or becomes the 500 (Fail). */
async function guarded<T>(ctx: DispatchContext, w: Webhook, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof CallingError)) throw e;
    if (w.failurePolicy === 'Ignore') {
      logFailOpen(ctx.vc, w, e);
      return undefined;
    }
    throw callingFailure(e);
  }
}

export async function dispatchValidating(ctx: DispatchContext, req: AdmissionRequest): Promise<void> {
  const a = attributesOf(req);
  const invs = invocations(ctx, ctx.index.validating.webhooks(), a, req);
  if (invs.length === 0) return;
  const failures: unknown[] = [];
  await Promise.all(invs.map(async (inv) => {
    try {
      const res = await guarded(ctx, inv.webhook, () => call(ctx, inv, reviewInput(inv, a, req, a.object), req));
      if (res && !res.allowed) failures.push(denied(inv.webhook.name, res.result));
    } catch (e) {
      failures.push(e);
    }
  }));
  if (failures.length > 0) throw failures[0];
}

/** Calls one mutating webhook; true when it changed req.object. */
async function callMutating(ctx: DispatchContext, inv: Invocation, a: Attributes, req: AdmissionRequest): Promise<boolean> {
  const w = inv.webhook;
  const obj = req.object;
  // A CONNECT's options, or another kind's view of the object (a Scale) or a subresource's body (a
  // Binding, an Eviction, a TokenRequest): sent and patched as it is, not converted or defaulted.
  const other = req.kind !== undefined;
  const shown = obj && (other ? mutationView(req, obj) : convertObject(a.def, inv.def, mutationView(req, obj)));
  const res = await call(ctx, inv, { ...reviewInput(inv, a, req, undefined), object: shown }, req);
  if (!res.allowed) throw denied(w.name, res.result);
  if (!res.patch) return false;
  const patch = decodePatch(res.patch);
  if (typeof patch === 'string') throw new CallingError(w.name, patch);
  if (patch.length === 0) return false;
  if (!obj || !shown) throw cannotModify(w.name);
  if (res.patchType !== 'JSONPatch') throw new CallingError(w.name, `unsupported patch type ${JSON.stringify(res.patchType)}`);
  let patched: KubeObject;
  if (req.operation === 'CONNECT') {
    // The options the connection goes on with: no identity, no defaults.
    patched = applyOptionsPatch(req.kind?.kind ?? String(obj.kind), shown, patch);
  } else if (other) {
    patched = applyJsonPatchTo(shown, patch);
    keepIdentity(req, obj, patched);
  } else {
    patched = convertObject(inv.def, a.def, applyWebhookPatch(inv.def, shown, patch));
    keepIdentity(req, obj, patched);
    req.def.strategy.defaults?.(patched);
  }
  return replaceInPlace(obj, patched);
}

export async function dispatchMutating(ctx: DispatchContext, req: AdmissionRequest): Promise<boolean> {
  const hooks = ctx.index.mutating.webhooks();
  let changedAny = false;
  // Upstream's reinvocation: IfNeeded webhooks called before a change are called again after the first round.
  const invokedReinvocable = new Set<string>();
  const reinvoke = new Set<string>();
  for (let round = 0; round < 2; round++) {
    if (round === 1 && reinvoke.size === 0) break;
    for (const w of hooks) {
      if (round === 1 && !reinvoke.has(w.uid)) continue;
      // Matched against the object as the webhooks before left it.
      const a = attributesOf(req);
      const [inv] = invocations(ctx, [w], a, req);
      if (!inv) continue;
      const changed = await guarded(ctx, w, () => callMutating(ctx, inv, a, req));
      if (changed) {
        changedAny = true;
        for (const uid of invokedReinvocable) reinvoke.add(uid);
        invokedReinvocable.clear();
      }
      if (w.reinvocationPolicy === 'IfNeeded') invokedReinvocable.add(w.uid);
    }
  }
  return changedAny;
}
