// Warning response headers (RFC 7234 style, as Kubernetes clients print them):
// `299 - "text"`, one header field per distinct text, added to the response as
// soon as they are known, so an error answer carries them too. Follows
// kube-apiserver's warning recorder: empty texts and texts with control
// characters are left out, only `"` and `\` are escaped, non-ASCII text goes out
// as UTF-8, and past 4096 characters in all every text is cut to 256 and later
// ones are dropped.

import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.ts';
import { deprecationWarningFor } from '../../registry/crd/versions.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';

/** Characters of warning text a response carries before the texts are cut. */
const TOTAL_CHARS = 4096;
/** What each text keeps once cutting. */
const CUT_CHARS = 256;

interface Recorder {
  seen: Set<string>;
  /** Texts in the order added, for writing them again cut. */
  texts: string[];
  values: string[];
  written: number;
  cutting: boolean;
}

const recorders = new WeakMap<ServerResponse, Recorder>();

/** Unicode control characters (Cc): C0, DEL and C1. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function chars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function cut(text: string): string {
  return chars(text) > CUT_CHARS ? [...text].slice(0, CUT_CHARS).join('') : text;
}

/** The header value for a text, or undefined when the text cannot be sent. Node writes header strings as latin1: the UTF-8 bytes are passed that way. */
function headerValue(text: string): string | undefined {
  if (!text.isWellFormed() || CONTROL.test(text)) return undefined;
  return Buffer.from(`299 - "${text.replace(/["\\]/g, '\\$&')}"`, 'utf8').toString('latin1');
}

/** Add warnings to the response's Warning headers (a no-op once the headers are sent). */
export function addWarnings(res: ServerResponse, texts: Iterable<string>): void {
  if (res.headersSent) return;
  let r = recorders.get(res);
  let changed = false;
  for (const text of texts) {
    if (text === '') continue;
    if (!r) {
      r = { seen: new Set(), texts: [], values: [], written: 0, cutting: false };
      recorders.set(res, r);
    }
    if (r.cutting && r.written >= TOTAL_CHARS) break;
    if (r.seen.has(text)) continue;
    r.seen.add(text);
    r.texts.push(text);
    const t = r.cutting ? cut(text) : text;
    const value = headerValue(t);
    if (value === undefined) continue;
    changed = true;
    const n = chars(t);
    if (r.cutting || r.written + n <= TOTAL_CHARS) {
      r.written += n;
      r.values.push(value);
      continue;
    }
    // Over the limit for the first time: every text so far is written again, cut.
    r.cutting = true;
    r.written = 0;
    r.values = [];
    for (const earlier of r.texts) {
      const c = cut(earlier);
      const v = headerValue(c);
      if (v === undefined) continue;
      r.written += chars(c);
      r.values.push(v);
    }
  }
  if (r && changed) res.setHeader('Warning', r.values);
}

/**
 * The warnings every request to a custom resource's version gets: its CRD's
 * deprecation warning when the version is deprecated. Empty for other resources.
 */
export function versionWarnings(cluster: VirtualCluster, def: ResourceDef): string[] {
  if (!def.custom) return [];
  const crdDef = cluster.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  const crd: KubeObject | undefined = crdDef && cluster.store.peek(crdDef, undefined, def.custom.crdName);
  const w = crd && deprecationWarningFor(crd, def.version);
  return w ? [w] : [];
}
