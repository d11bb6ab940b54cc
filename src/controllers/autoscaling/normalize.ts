// From the replicas the metrics ask for to the replicas the autoscaler sets:
// stabilization over recent recommendations, the bounds (min/max replicas), and
// the rate of change — without spec.behavior (a downscale stabilization
// window, scale-up to at most max(2 × current, 4)) or with it (per-direction
// stabilization windows and Pods/Percent policies over their periods). Pure
// functions over an autoscaler's remembered recommendations and scale events.

/** A recommendation the metrics made, and when. */
export interface Recommendation {
  replicas: number;
  atMs: number;
}

/** A change the autoscaler made (replicas added or removed, never negative), and when. */
export interface ScaleEvent {
  change: number;
  atMs: number;
  outdated: boolean;
}

export interface ScalingPolicy {
  type: string;
  value: number;
  periodSeconds: number;
}

/** HPAScalingRules with its defaults filled in. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: string;
  policies: ScalingPolicy[];
}

/** What a normalization decided, and the AbleToScale and ScalingLimited conditions it implies. */
export interface Normalized {
  replicas: number;
  /** AbleToScale (True): ScaleUpStabilized, ScaleDownStabilized or ReadyForNewScale. */
  ableReason: string;
  ableMessage: string;
  /** ScalingLimited: True when the bounds or the rate changed the count. */
  limited: boolean;
  limitReason: string;
  limitMessage: string;
}

const readyForNewScale = { ableReason: 'ReadyForNewScale', ableMessage: 'recommended size matches current size' };
const scaleDownStabilized = {
  ableReason: 'ScaleDownStabilized',
  ableMessage: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const scaleUpStabilized = {
  ableReason: 'ScaleUpStabilized',
  ableMessage: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const withinRange = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const tooMany = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const tooFew = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const scaleUpLimit = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const scaleDownLimit = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** Record `replicas` now, reusing the slot of a recommendation older than both cutoffs. */
function record(recs: Recommendation[], replicas: number, nowMs: number, isOld: (r: Recommendation) => boolean): void {
  let old = -1;
  recs.forEach((r, i) => { if (isOld(r)) old = i; });
  if (old >= 0) recs[old] = { replicas, atMs: nowMs };
  else recs.push({ replicas, atMs: nowMs });
}

/** The highest recommendation within the window (and `desired`); records `desired`. */
export function stabilizeDownscale(recs: Recommendation[], desired: number, windowMs: number, nowMs: number): number {
  const cutoff = nowMs - windowMs;
  let max = desired;
  for (const r of recs) if (r.atMs >= cutoff && r.replicas > max) max = r.replicas;
  record(recs, desired, nowMs, (r) => r.atMs < cutoff);
  return max;
}

/** Bounds without behavior: min, max, and a scale-up of at most max(2 × current, 4). */
export function limitWithoutBehavior(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const upLimit = Math.trunc(Math.max(2 * current, 4));
  const [maximum, cap] = max > upLimit ? [upLimit, scaleUpLimit] : [max, tooMany];
  if (desired < min) return { replicas: min, ...tooFew };
  if (desired > maximum) return { replicas: maximum, ...cap };
  return { replicas: desired, ...withinRange };
}

/** Normalization without spec.behavior (normalizeDesiredReplicas). */
export function normalizeWithoutBehavior(recs: Recommendation[], args: {
  current: number; desired: number; min: number; max: number; downscaleWindowMs: number; nowMs: number;
}): Normalized {
  const stabilized = stabilizeDownscale(recs, args.desired, args.downscaleWindowMs, args.nowMs);
  const able = stabilized !== args.desired ? scaleDownStabilized : readyForNewScale;
  const limit = limitWithoutBehavior(args.current, stabilized, args.min, args.max);
  return { replicas: limit.replicas, ...able, limited: limit.replicas !== stabilized, limitReason: limit.reason, limitMessage: limit.message };
}

/**
 * Stabilization with behavior: the lowest recommendation within the scale-up
 * window and the highest within the scale-down window bound the current count.
 * Records `desired`.
 */
export function stabilizeWithBehavior(recs: Recommendation[], args: {
  current: number; desired: number; upWindowSeconds: number; downWindowSeconds: number; nowMs: number;
}): { replicas: number; ableReason: string; ableMessage: string } {
  const { desired, nowMs } = args;
  const upCutoff = nowMs - args.upWindowSeconds * 1000;
  const downCutoff = nowMs - args.downWindowSeconds * 1000;
  let up = desired, down = desired;
  for (const r of recs) {
    if (r.atMs > upCutoff) up = Math.min(up, r.replicas);
    if (r.atMs > downCutoff) down = Math.max(down, r.replicas);
  }
  let replicas = args.current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  record(recs, desired, nowMs, (r) => r.atMs < upCutoff && r.atMs < downCutoff);
  const text = desired >= args.current ? scaleUpStabilized : scaleDownStabilized;
  return { replicas, ...text };
}

/** The replicas changed by events within the last `periodSeconds`. */
export function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.atMs > cutoff) sum += e.change;
  return sum;
}

/**
 * The replicas a direction's policies allow now, from what the replicas were
 * each policy's period ago: scaling up, the most (selectPolicy Max) or fewest
 * (Min) of the policies' limits; scaling down, the fewest (Max: the biggest
 * change) or most (Min).
 */
function limitWithRules(up: boolean, current: number, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // Max allows the biggest change: the highest limit up, the lowest down; Min the other way.
  const highest = up === (rules.selectPolicy !== 'Min');
  let result = highest ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(upEvents, p.periodSeconds, nowMs) + changeInPeriod(downEvents, p.periodSeconds, nowMs);
    let proposed = 0;
    if (p.type === 'Pods') proposed = up ? start + p.value : start - p.value;
    else if (p.type === 'Percent') proposed = up ? Math.ceil(start * (1 + p.value / 100)) : Math.trunc(start * (1 - p.value / 100));
    result = highest ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** The most replicas the scale-up policies allow now. */
export function scaleUpLimitWithRules(current: number, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  return limitWithRules(true, current, upEvents, downEvents, rules, nowMs);
}

/** The fewest replicas the scale-down policies allow now. */
export function scaleDownLimitWithRules(current: number, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  return limitWithRules(false, current, upEvents, downEvents, rules, nowMs);
}

/** The bounds and rate policies with behavior (convertDesiredReplicasWithBehaviorRate). */
export function limitWithBehavior(args: {
  current: number; desired: number; min: number; max: number; scaleUp: ScalingRules; scaleDown: ScalingRules;
  upEvents: readonly ScaleEvent[]; downEvents: readonly ScaleEvent[]; nowMs: number;
}): { replicas: number; reason: string; message: string } {
  const { current, desired } = args;
  if (desired > current) {
    const limit = Math.max(scaleUpLimitWithRules(current, args.upEvents, args.downEvents, args.scaleUp, args.nowMs), current);
    const [maximum, cap] = args.max > limit ? [limit, scaleUpLimit] : [args.max, tooMany];
    if (desired > maximum) return { replicas: maximum, ...cap };
  } else if (desired < current) {
    const limit = Math.min(scaleDownLimitWithRules(current, args.upEvents, args.downEvents, args.scaleDown, args.nowMs), current);
    const [minimum, cap] = args.min < limit ? [limit, scaleDownLimit] : [args.min, tooFew];
    if (desired < minimum) return { replicas: minimum, ...cap };
  }
  return { replicas: desired, ...withinRange };
}

/** Normalization with spec.behavior (normalizeDesiredReplicasWithBehaviors). */
export function normalizeWithBehavior(recs: Recommendation[], args: {
  current: number; desired: number; min: number; max: number; scaleUp: ScalingRules; scaleDown: ScalingRules;
  upEvents: readonly ScaleEvent[]; downEvents: readonly ScaleEvent[]; nowMs: number;
}): Normalized {
  const stab = stabilizeWithBehavior(recs, {
    current: args.current, desired: args.desired, nowMs: args.nowMs,
    upWindowSeconds: args.scaleUp.stabilizationWindowSeconds, downWindowSeconds: args.scaleDown.stabilizationWindowSeconds,
  });
  const able = stab.replicas !== args.desired ? { ableReason: stab.ableReason, ableMessage: stab.ableMessage } : readyForNewScale;
  const limit = limitWithBehavior({ ...args, desired: stab.replicas });
  return { replicas: limit.replicas, ...able, limited: limit.replicas !== stab.replicas, limitReason: limit.reason, limitMessage: limit.message };
}

/** Remember a change the autoscaler made, reusing the slot of one older than the longest policy period. */
export function storeScaleEvent(events: ScaleEvent[], rules: ScalingRules, change: number, nowMs: number): void {
  const longest = rules.policies.reduce((m, p) => Math.max(m, p.periodSeconds), 0);
  const cutoff = nowMs - longest * 1000;
  let old = -1;
  events.forEach((e, i) => {
    if (e.atMs < cutoff) e.outdated = true;
    if (e.outdated) old = i;
  });
  const ev = { change, atMs: nowMs, outdated: false };
  if (old >= 0) events[old] = ev;
  else events.push(ev);
}
