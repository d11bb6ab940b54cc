// scratch: verify against upstream test data (not committed)
import { readFileSync } from 'node:fs';
import { decodeYaml } from '../decode/yaml.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import type { SchemaNode } from '../schema/types.ts';
import { isDeepStrictEqual } from 'node:util';
const go = readFileSync('/tmp/smp_test.go', 'utf8');
const sw = JSON.parse(readFileSync('/tmp/smp_swagger.json', 'utf8').replace(/,(\s*[}\]])/g, '$1'));
const defs: Record<string, SchemaNode> = {};
function conv(raw: any): SchemaNode {
  const n: any = {};
  if (raw.type) n.type = raw.type;
  if (raw['x-kubernetes-patch-strategy']) n.patchStrategy = raw['x-kubernetes-patch-strategy'];
  if (raw['x-kubernetes-patch-merge-key']) n.patchMergeKey = raw['x-kubernetes-patch-merge-key'];
  if (raw.items) n.items = conv(raw.items);
  if (raw.additionalProperties) n.additionalProperties = conv(raw.additionalProperties);
  if (raw.$ref) {
    const name = raw.$ref.replace('#/definitions/', '');
    if (name.includes('RawExtension')) { n.opaque = true; }
    else Object.defineProperty(n, 'properties', { get: () => defs[name]!.properties, enumerable: true });
    if (!n.type) n.type = 'object';
  }
  if (raw.properties) { n.properties = {}; for (const [k, v] of Object.entries(raw.properties)) n.properties[k] = conv(v); }
  return n;
}
for (const [k, v] of Object.entries(sw.definitions)) defs[k] = { type: 'object' };
for (const [k, v] of Object.entries(sw.definitions)) Object.assign(defs[k]!, conv(v));
const root = defs['mergeItem']!;
function block(name: string): string { const i = go.indexOf(`var ${name} = []byte(\``); const s = go.indexOf('`', i) + 1; return go.slice(s, go.indexOf('`', s)); }
let pass = 0, fail = 0, orderOnly = 0, errs = 0;
const canon = (v: any): any => Array.isArray(v) ? v.map(canon).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])])) : v;
for (const name of ['customStrategicMergePatchTestCaseData', 'createStrategicMergePatchTestCaseData']) {
  const tc = (decodeYaml(block(name)).value as any).testCases;
  for (const c of tc) {
    const runs: Array<[string, any, any, any]> = [['twoWay', c.original, c.twoWay, c.modified]];
    if (c.threeWay !== undefined && c.current !== undefined) runs.push(['threeWay', c.current, c.threeWay, c.result]);
    for (const [kind, orig, patch, want] of runs) {
      if (patch === undefined || want === undefined) continue;
      try {
        const got = applyStrategicMergePatch(orig ?? {}, patch ?? {}, root);
        if (isDeepStrictEqual(got, want ?? {})) pass++;
        else if (isDeepStrictEqual(canon(got), canon(want ?? {}))) { orderOnly++; }
        else { fail++; console.log('FAIL', name, kind, c.description, JSON.stringify(patch), '\n got ', JSON.stringify(got), '\n want', JSON.stringify(want)); }
      } catch (e) { errs++; console.log('ERR', c.description, kind, (e as Error).message); }
    }
  }
}
console.log({ pass, orderOnly, fail, errs });
// raw cases
{
  let p2 = 0, f2 = 0, e2 = 0, o2 = 0;
  for (const varName of ['strategicMergePatchRawTestCases', 'customStrategicMergePatchRawTestCases']) {
    const start = go.indexOf(`var ${varName} = []StrategicMergePatchRawTestCase{`);
    const end = go.indexOf('\n}\n', start);
    const body = go.slice(start, end);
    const cases = body.split(/\n\t\{\n\t\tDescription: /).slice(1);
    for (const c of cases) {
      const desc = c.slice(0, c.indexOf('\n'));
      const field = (n: string) => { const m = new RegExp(`\\b${n}: \\[\\]byte\\(\`([\\s\\S]*?)\`\\)`).exec(c); return m ? decodeYaml(m[1]!).value : undefined; };
      const errM = /ExpectedError: +"([^"]*)"/.exec(c);
      const runs: Array<[string, any, any, any]> = [];
      const tw = field('TwoWay'); const twr = field('TwoWayResult') ?? field('Modified');
      if (tw !== undefined) runs.push(['twoWay', field('Original'), tw, twr]);
      const th = field('ThreeWay'); const res = field('Result');
      if (th !== undefined && res !== undefined) runs.push(['threeWay', field('Current'), th, res]);
      for (const [kind, orig, patch, want] of runs) {
        try {
          const got = applyStrategicMergePatch((orig ?? {}) as any, (patch ?? {}) as any, root);
          if (errM) { f2++; console.log('NOERR', desc, kind, 'expected', errM[1]); continue; }
          if (isDeepStrictEqual(got, want ?? {})) p2++;
          else if (isDeepStrictEqual(canon(got), canon(want ?? {}))) { o2++; console.log('ORDER', desc, kind, '\n got ', JSON.stringify(got), '\n want', JSON.stringify(want)); }
          else { f2++; console.log('FAIL', desc, kind, JSON.stringify(patch), '\n got ', JSON.stringify(got), '\n want', JSON.stringify(want)); }
        } catch (e) {
          if (errM && (e as Error).message.includes(errM[1]!)) p2++;
          else { e2++; console.log('ERR', desc, kind, (e as Error).message, errM?.[1]); }
        }
      }
    }
  }
  console.log({ p2, o2, f2, e2 });
}
