import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  decodeProtobufObject, decodeProtobufWatchEvent, encodeProtobufObject, encodeProtobufWatchFrame,
  hasProtobufSchema, ProtobufDecodeError, ProtobufEncodeError, type TypeHint,
} from './codec.ts';

const fixtures = fileURLToPath(new URL('../../../../shared/k8s-api/fixtures/', import.meta.url));

/** Fixtures of group/versions that have no generated.proto in ../shared (the OpenAPI has them, the protos moved on). */
const noSchema = new Map([
  ['scheduling.k8s.io.v1alpha2.PodGroup', 'scheduling.k8s.io/v1alpha2 has no generated.proto (the protos have v1alpha3)'],
  ['scheduling.k8s.io.v1alpha2.Workload', 'scheduling.k8s.io/v1alpha2 has no generated.proto (the protos have v1alpha3)'],
]);

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** "apps.v1.Deployment" -> apps/v1 Deployment; "core.v1.Pod" -> v1 Pod. */
function typeOfFixture(base: string): TypeHint {
  const parts = base.replace(/\.after_roundtrip$/, '').split('.');
  const kind = parts.pop()!;
  const version = parts.pop()!;
  const group = parts.join('.');
  return { apiVersion: group === 'core' ? version : `${group}/${version}`, kind };
}

/**
 * X.after_roundtrip.json is what current code makes of the 1.36 X.pb: fields the
 * protos dropped vanish, fields they added appear. Decoding X.pb must give one of the two.
 */
function assertMatchesFixture(actual: unknown, expected: unknown, alternative: unknown, what: string): 'fixture' | 'after_roundtrip' {
  if (alternative !== undefined) {
    try {
      assert.deepStrictEqual(actual, alternative);
      return 'after_roundtrip';
    } catch {
      // fall through to the main expectation for the error message
    }
  }
  assert.deepStrictEqual(actual, expected, what);
  return 'fixture';
}

test('fixtures: protobuf decodes to the JSON fixture and the JSON fixture encodes back', (t) => {
  assert.ok(existsSync(fixtures), `fixtures missing at ${fixtures}`);
  const bases = readdirSync(fixtures).filter((f) => f.endsWith('.pb')).map((f) => f.slice(0, -3)).sort();
  assert.ok(bases.length > 150, 'expected the full fixture set');
  let passed = 0;
  let byteExact = 0;
  const viaAfterRoundtrip: string[] = [];
  const failures: string[] = [];
  for (const base of bases) {
    const pb = readFileSync(`${fixtures}${base}.pb`);
    const json = readJson(`${fixtures}${base}.json`);
    const altPath = `${fixtures}${base}.after_roundtrip.json`;
    const alt = !base.endsWith('.after_roundtrip') && existsSync(altPath) ? readJson(altPath) : undefined;
    const hint = typeOfFixture(base);
    if (noSchema.has(base)) {
      assert.equal(hasProtobufSchema(hint.apiVersion, hint.kind), false);
      assert.throws(() => decodeProtobufObject(pb), ProtobufDecodeError);
      assert.throws(() => encodeProtobufObject(json), ProtobufEncodeError);
      continue;
    }
    try {
      const decoded = decodeProtobufObject(pb, hint);
      if (assertMatchesFixture(decoded, json, alt, `decode ${base}`) === 'after_roundtrip') viaAfterRoundtrip.push(base);
      const encoded = encodeProtobufObject(json, hint);
      assertMatchesFixture(decodeProtobufObject(encoded, hint), json, alt, `round trip ${base}`);
      if (Buffer.compare(Buffer.from(encoded), pb) === 0) byteExact++;
      passed++;
    } catch (e) {
      failures.push(`${base}: ${e instanceof Error ? e.message.split('\n').slice(0, 12).join('\n') : String(e)}`);
    }
  }
  t.diagnostic(`${passed}/${bases.length} fixtures pass (${noSchema.size} have no schema); ${byteExact} re-encode byte for byte`);
  t.diagnostic(`decode to X.after_roundtrip.json, not X.json (the protos changed since 1.36): ${viaAfterRoundtrip.join(', ')}`);
  assert.deepEqual(failures, []);
  // Exactly the fixtures whose type changed since 1.36: Pod (a field dropped), ResourceSlice
  // (fields dropped) and CSINode (a status struct added, which Go writes as {} when the
  // 1.36 bytes lack it).
  assert.deepEqual(viaAfterRoundtrip, [
    'core.v1.Pod', 'resource.k8s.io.v1.ResourceSlice', 'resource.k8s.io.v1beta1.ResourceSlice',
    'resource.k8s.io.v1beta2.ResourceSlice', 'storage.k8s.io.v1.CSINode', 'storage.k8s.io.v1beta1.CSINode',
  ]);
  assert.equal(passed, bases.length - noSchema.size);
});

test('JSON key order follows Go struct order', () => {
  for (const base of ['core.v1.Pod.after_roundtrip', 'apps.v1.Deployment', 'core.v1.PersistentVolume', 'admission.k8s.io.v1.AdmissionReview']) {
    const pb = readFileSync(`${fixtures}${base}.pb`);
    const text = readFileSync(`${fixtures}${base}.json`, 'utf8');
    assert.equal(JSON.stringify(decodeProtobufObject(pb), null, 2), text.trimEnd(), base);
  }
});

test('Go zero values: omitempty drops zeros of value fields, nil lists without omitempty are null, zero creationTimestamp is omitted', () => {
  const obj = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'reader', namespace: '', uid: '', generation: 0, creationTimestamp: null },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: [] }],
  };
  const back = decodeProtobufObject(encodeProtobufObject(obj));
  // namespace, uid (string) and generation (int64) are omitempty values; creationTimestamp
  // is omitzero (Kubernetes 1.36 leaves the zero time out instead of writing null);
  // verbs has no omitempty.
  assert.deepEqual(back, {
    kind: 'ClusterRole',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name: 'reader' },
    rules: [{ verbs: null, apiGroups: [''], resources: ['pods'] }],
  });
});

/** Length-delimited field `num` of a message: [tag, length, ...bytes]. */
const lenField = (num: number, body: number[]): number[] => [(num << 3) | 2, ...varint(body.length), ...body];

test('a Deployment pod template from a Go client: generation 0 on the wire is not JSON (omitempty value field)', () => {
  // What Go's marshaller writes for a template whose ObjectMeta is zero but for a label:
  // every value field (name "", generateName "", ..., generation 0, the zero creationTimestamp).
  const zeroTime = [0x08, ...varint64(-62135596800n), 0x10, 0x00];
  const label = lenField(11, [...lenField(1, [...Buffer.from('app')]), ...lenField(2, [...Buffer.from('d')])]);
  const meta = [
    ...lenField(1, []), ...lenField(2, []), ...lenField(3, []), ...lenField(4, []), ...lenField(5, []), ...lenField(6, []),
    0x38, 0x00, // 7 generation = 0
    ...lenField(8, zeroTime), // creationTimestamp (a value Time: always written)
    ...label,
  ];
  const template = lenField(1, meta); // PodTemplateSpec.metadata
  const spec = [0x08, 0x00, ...lenField(3, template)]; // DeploymentSpec.replicas = 0 (a pointer: set), template
  const raw = [...lenField(1, lenField(1, [...Buffer.from('d')])), ...lenField(2, spec)];
  const d = decodeProtobufObject(envelope('apps/v1', 'Deployment', raw)) as { spec: { replicas?: number; template: { metadata: Record<string, unknown> } } };
  assert.deepEqual(d.spec.template.metadata, { labels: { app: 'd' } });
  assert.equal('generation' in d.spec.template.metadata, false);
  assert.equal(d.spec.replicas, 0, 'replicas is a pointer: an explicit 0 is kept');

  // The same through our own encoder, from the JSON the fixture has with generation 0.
  const json = readJson(`${fixtures}apps.v1.Deployment.json`) as { spec: { template: { metadata: Record<string, unknown> } } };
  json.spec.template.metadata.generation = 0;
  const back = decodeProtobufObject(encodeProtobufObject(json)) as typeof json;
  assert.equal('generation' in back.spec.template.metadata, false);
  assert.equal((back as unknown as { metadata: { generation: number } }).metadata.generation, 7);
});

test('a PVC keeps storageClassName "" (a pointer set to ""), and leaves it out when unset', () => {
  const pvc = (spec: Record<string, unknown>) => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  });
  const set = decodeProtobufObject(encodeProtobufObject(pvc({ storageClassName: '', volumeName: '' }))) as { spec: Record<string, unknown> };
  assert.equal(set.spec.storageClassName, '');
  assert.equal('volumeName' in set.spec, false, 'volumeName is an omitempty string value');
  const unset = decodeProtobufObject(encodeProtobufObject(pvc({}))) as { spec: Record<string, unknown>; status: unknown };
  assert.equal('storageClassName' in unset.spec, false);
  assert.deepEqual(unset.status, {}, 'status is a value struct: Go always writes it');
});

test('explicit zeros of pointers survive, zeros of omitempty values do not, value fields without omitempty always appear', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: {
      replicas: 0,
      minReadySeconds: 0,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          automountServiceAccountToken: false,
          hostNetwork: false,
          containers: [{ name: 'c', image: 'nginx', stdin: false, ports: [{ containerPort: 0, hostPort: 0 }] }],
        },
      },
    },
  };
  const back = decodeProtobufObject(encodeProtobufObject(obj)) as typeof obj & { status: unknown };
  assert.equal(back.spec.replicas, 0); // *int32
  assert.equal('minReadySeconds' in back.spec, false); // int32,omitempty
  assert.equal(back.spec.template.spec.automountServiceAccountToken, false); // *bool
  assert.equal('hostNetwork' in back.spec.template.spec, false); // bool,omitempty
  // stdin (bool,omitempty) and hostPort (int32,omitempty) go; containerPort (int32) and
  // resources (a struct) are always written.
  assert.deepEqual(back.spec.template.spec.containers, [{ name: 'c', image: 'nginx', ports: [{ containerPort: 0 }], resources: {} }]);
  assert.deepEqual(back.status, {});
});

test('absent fields decode as Go unmarshals them: value fields zero, nil pointers without omitempty null', () => {
  // A bare PodDisruptionBudget status: its four int32 fields have no omitempty.
  const pdb = decodeProtobufObject(envelope('policy/v1', 'PodDisruptionBudget', lenField(3, []))) as { status: unknown };
  assert.deepEqual(pdb.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  // TypedLocalObjectReference.apiGroup is a *string without omitempty: nil is null.
  const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { dataSource: { kind: 'VolumeSnapshot', name: 's' } } };
  const back = decodeProtobufObject(encodeProtobufObject(pvc)) as { spec: { dataSource: unknown } };
  assert.deepEqual(back.spec.dataSource, { apiGroup: null, kind: 'VolumeSnapshot', name: 's' });
});

test('an empty ServicePort decodes as Go writes its zero value: port (int32) and targetPort (a struct) appear', () => {
  const svc = decodeProtobufObject(envelope('v1', 'Service', lenField(2, lenField(1, [])))) as { spec: { ports: unknown[] } };
  assert.deepEqual(svc.spec.ports, [{ port: 0, targetPort: 0 }]);
});

test('inline fields flatten into the parent JSON object', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      containers: [{
        name: 'c',
        readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
        env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
      }],
      volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }, { name: 'e', emptyDir: {} }],
    },
  };
  const bytes = encodeProtobufObject(pod);
  // Go writes the value structs the JSON left out: container resources and the pod status.
  const expected = structuredClone(pod) as typeof pod & { status: unknown };
  (expected.spec.containers[0] as Record<string, unknown>).resources = {};
  expected.status = {};
  assert.deepEqual(decodeProtobufObject(bytes), expected);
});

test('well-known types: IntOrString, Quantity, MicroTime, RawExtension, ExtraValue, bytes', () => {
  const sar = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: { user: 'u', extra: { scopes: ['a', 'b'], empty: [] }, resourceAttributes: { verb: 'get' } },
    status: { allowed: true },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(sar)), { ...sar });

  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l' },
    spec: { holderIdentity: 'me', renewTime: '2024-05-06T07:08:09.123456Z', acquireTime: '2024-05-06T07:08:09.000000Z' },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(lease)), { ...lease });

  const rev = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'r' },
    data: { spec: { template: { x: [1, 'two', null, { y: true }] } } },
    revision: 2,
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(rev)), { ...rev });

  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'aGVsbG8=', empty: '' }, type: 'Opaque' };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(secret)), { ...secret });

  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'p' },
    spec: { minAvailable: '50%', maxUnavailable: 1 },
    status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(pdb)), { ...pdb });

  const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: '1500m', pods: '10' } }, status: {} };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(quota)), { ...quota });
});

test('map keys that look like object internals stay plain data', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: JSON.parse('{"__proto__":"x","constructor":"y"}') };
  const back = decodeProtobufObject(encodeProtobufObject(cm)) as { data: Record<string, string> };
  assert.deepEqual(Object.keys(back.data), ['__proto__', 'constructor']);
  assert.equal(back.data['__proto__'], 'x');
  assert.equal(Object.getPrototypeOf(back.data), Object.prototype);
});

test('Status and List kinds', () => {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'pods "x" not found',
    reason: 'NotFound',
    details: { name: 'x', kind: 'pods' },
    code: 404,
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(status)), status);

  const list = {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '12' },
    items: [{ metadata: { name: 'a', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] }, status: {} }],
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(list)), list);

  // An empty list: items is required, so Go writes null.
  const empty = { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '3' }, items: [] };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(empty)), { ...empty, items: null });
});

test('watch frames carry a bare WatchEvent with a protobuf object inside', () => {
  const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', resourceVersion: '5' }, spec: { containers: [{ name: 'c', resources: {} }] }, status: {} };
  const frame = encodeProtobufWatchFrame('ADDED', pod);
  const len = new DataView(frame.buffer, frame.byteOffset).getUint32(0, false);
  assert.equal(len, frame.length - 4);
  assert.deepEqual(decodeProtobufWatchEvent(frame.subarray(4)), { type: 'ADDED', object: pod });
});

// ---------------------------------------------------------------------------
// Malformed input: always a ProtobufDecodeError, never another error or a hang.

const magic = [0x6b, 0x38, 0x73, 0x00];
const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
/** k8s\0 + Unknown{typeMeta{apiVersion, kind}, raw} */
function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  const typeMeta = [0x0a, ...str(apiVersion), 0x12, ...str(kind)];
  return Uint8Array.from([...magic, 0x0a, typeMeta.length, ...typeMeta, 0x12, raw.length, ...raw]);
}

test('malformed input throws ProtobufDecodeError', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty body', new Uint8Array(0), /k8s/],
    ['JSON body', Buffer.from('{"kind":"Pod"}'), /k8s/],
    ['wrong magic', Uint8Array.from([0x6b, 0x38, 0x73, 0x01, 0x0a, 0x00]), /k8s/],
    ['magic only', Uint8Array.from(magic), /no apiVersion and kind/],
    ['truncated varint', Uint8Array.from([...magic, 0x0a, 0x80]), /truncated/],
    ['overlong varint', Uint8Array.from([...magic, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /longer than 10 bytes/],
    ['length past the end', Uint8Array.from([...magic, 0x0a, 0x10, 0x0a]), /past the end/],
    ['unknown kind', envelope('v1', 'Pony', []), /no protobuf schema for apiVersion "v1", kind "Pony"/],
    ['custom resource', envelope('example.com/v1', 'Widget', []), /no protobuf schema/],
    ['wrong wire type', envelope('v1', 'ConfigMap', [0x08, 0x01]), /field 1 of api.core.v1.ConfigMap has wrong wire type 0/],
    ['group wire type', envelope('v1', 'ConfigMap', [0x2b]), /unsupported wire type 3/],
    ['field number 0', envelope('v1', 'ConfigMap', [0x02, 0x00]), /field number 0/],
    ['nested length past its parent', envelope('v1', 'ConfigMap', [0x0a, 0x05, 0x0a, 0x09, 0x61]), /past the end/],
    ['bad IntOrString type', envelope('policy/v1', 'PodDisruptionBudget', [0x12, 0x04, 0x0a, 0x02, 0x08, 0x07]), /IntOrString has invalid type 7/],
    ['RawExtension of garbage', envelope('apps/v1', 'ControllerRevision', [0x12, 0x04, 0x0a, 0x02, 0x7b, 0x7b]), /neither JSON nor protobuf/],
    ['time out of range', envelope('v1', 'ConfigMap', [0x0a, 0x0e, 0x42, 0x0c, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x10, 0x00]), /outside years/],
    ['content encoding', Uint8Array.from([...magic, 0x1a, 0x04, ...Buffer.from('gzip')]), /contentEncoding "gzip"/],
  ];
  for (const [name, body, message] of cases) {
    assert.throws(() => decodeProtobufObject(body), (e: unknown) => e instanceof ProtobufDecodeError && message.test(e.message), name);
  }
});

test('deeply nested input is rejected, not a stack overflow', () => {
  // A JSONless chain: ControllerRevision.data (RawExtension) holding another protobuf object, 200 deep.
  let inner: Uint8Array = envelope('apps/v1', 'ControllerRevision', []);
  for (let i = 0; i < 200; i++) {
    const raw = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
    const data = Buffer.concat([Buffer.from([0x12]), varint(raw.length), raw]);
    const typeMeta = [0x0a, ...str('apps/v1'), 0x12, ...str('ControllerRevision')];
    inner = Buffer.concat([Buffer.from([...magic, 0x0a, typeMeta.length, ...typeMeta, 0x12]), varint(data.length), data]);
  }
  assert.throws(() => decodeProtobufObject(inner), ProtobufDecodeError);
});

/** Two's complement varint of a signed 64-bit value, as Go writes int64. */
function varint64(n: bigint): number[] {
  let u = BigInt.asUintN(64, n);
  const out: number[] = [];
  while (u > 0x7fn) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

test('every truncation and random corruption of a fixture decodes or throws ProtobufDecodeError', () => {
  const pb = readFileSync(`${fixtures}apps.v1.Deployment.pb`);
  const check = (body: Uint8Array, what: string): void => {
    try {
      decodeProtobufObject(body);
    } catch (e) {
      assert.ok(e instanceof ProtobufDecodeError, `${what}: ${String(e)}`);
    }
  };
  for (let n = 0; n < pb.length; n++) check(pb.subarray(0, n), `prefix ${n}`);
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 2000; i++) {
    const body = Uint8Array.from(pb);
    for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) body[4 + Math.floor(rand() * (body.length - 4))] = Math.floor(rand() * 256);
    check(body, `corruption ${i}`);
  }
});

test('unknown fields are skipped; packed repeated numbers are accepted', () => {
  // Unknown field 99 (varint) before ConfigMap.immutable (field 4) = true.
  assert.deepEqual(decodeProtobufObject(envelope('v1', 'ConfigMap', [0x98, 0x06, 0x05, 0x20, 0x01])), {
    kind: 'ConfigMap', apiVersion: 'v1', metadata: {}, immutable: true, // metadata: a value struct
  });
  // PodSecurityContext.supplementalGroups (field 4, int64) packed: Pod.spec(2).securityContext(14).
  const groups = [0x22, 0x03, 0x01, 0x02, 0x03];
  const sc = [0x72, groups.length, ...groups];
  const pod = decodeProtobufObject(envelope('v1', 'Pod', [0x12, sc.length, ...sc])) as { spec: { securityContext: unknown } };
  assert.deepEqual(pod.spec.securityContext, { supplementalGroups: [1, 2, 3] });
});

test('encode rejects values of the wrong type and unknown kinds', () => {
  assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'Nope' }), /no protobuf schema/);
  assert.throws(() => encodeProtobufObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: '3' } }), (e: unknown) =>
    e instanceof ProtobufEncodeError && /spec\.replicas: expected an integer/.test(e.message));
  assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', data: { k: 'not base64!' } }), /data\[k\]: expected base64/);
  assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { creationTimestamp: 'yesterday' } }), /invalid RFC 3339/);
  assert.throws(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: [] }), /metadata: expected an object/);
});

test('decoding a typical Secret takes microseconds', (t) => {
  const pb = readFileSync(`${fixtures}core.v1.Secret.pb`);
  const json = readJson(`${fixtures}core.v1.Secret.json`);
  for (let i = 0; i < 2000; i++) decodeProtobufObject(pb); // warm up
  const n = 20000;
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) decodeProtobufObject(pb);
  const decodeUs = Number(process.hrtime.bigint() - start) / n / 1000;
  start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) encodeProtobufObject(json);
  const encodeUs = Number(process.hrtime.bigint() - start) / n / 1000;
  t.diagnostic(`Secret (${pb.length} bytes): decode ${decodeUs.toFixed(2)} µs, encode ${encodeUs.toFixed(2)} µs`);
  assert.ok(decodeUs < 200, `decode took ${decodeUs} µs`);
});
