// The records of one virtual cluster's DNS zone, following the Kubernetes DNS
// specification (schema 1.1.0) plus the pod records and details CoreDNS's
// kubernetes plugin gives (SRV on a bare service name, endpoint names of any
// service, dashed-IP names for endpoints without a hostname).
import { addressOfReverseName, canonicalIP, ipBytes, isReverseZoneName } from './ip.ts';
import { CLASS_IN, RRType, recordType, type Question, type RecordData, type ResourceRecord } from './wire.ts';
import type { DnsEndpoint, DnsIPOwner, DnsPort, DnsService, DnsView } from './view.ts';

export const DNS_SCHEMA_VERSION = '1.1.0';
/** The kubeadm Corefile sets `ttl 30` (the plugin's own default is 5). */
export const DEFAULT_TTL = 30;
const MAX_CNAME_CHAIN = 8;

export interface ZoneOptions {
  /** Cluster domain, lowercase, no trailing dot. */
  domain: string;
  ttl: number;
  serial: number;
}

export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** A CNAME left the zone: the caller may resolve this name upstream and append its answers. */
  chase?: { name: string; type: number };
}

/** What a name holds: absent (NXDOMAIN), or present with some records (maybe none: NODATA). */
type NameContent = { exists: false } | { exists: true; records: RecordData[]; additional?: RecordData[][] };

const ABSENT: NameContent = { exists: false };
const EMPTY: NameContent = { exists: true, records: [] };

export function isInDomain(name: string, domain: string): boolean {
  const n = name.toLowerCase();
  return n === domain || n.endsWith('.' + domain);
}

/**
 * Answers a question from a view. Undefined means "not ours, forward it":
 * names outside the cluster domain, and reverse names of addresses the view
 * does not know (as the kubeadm Corefile's `fallthrough in-addr.arpa ip6.arpa`).
 */
export function answerFromZone(view: DnsView, q: Question, opts: ZoneOptions): ZoneAnswer | undefined {
  const lower = q.name.toLowerCase();
  if (isReverseZoneName(lower)) return answerReverse(view, q, lower, opts);
  if (!isInDomain(lower, opts.domain)) return undefined;
  const answers: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  let owner = q.name;
  for (let hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
    const content = lookupName(view, owner.toLowerCase(), opts);
    if (!content.exists) {
      // After a CNAME the answer is the CNAME: the client learns the target does not exist from the rcode.
      return { rcode: 'NXDOMAIN', answers, authority: [soaRecord(opts)], additional };
    }
    const cname = content.records.find((r) => r.kind === 'CNAME');
    if (cname && q.type !== RRType.CNAME && q.type !== RRType.ANY) {
      answers.push(rr(owner, cname, opts.ttl));
      const target = cname.kind === 'CNAME' ? cname.target : '';
      if (isInDomain(target, opts.domain)) { owner = target; continue; }
      return { rcode: 'NOERROR', answers, authority: [], additional, chase: { name: target, type: q.type } };
    }
    content.records.forEach((data, i) => {
      if (q.type !== RRType.ANY && recordType(data) !== q.type) return;
      answers.push(rr(owner, data, opts.ttl));
      for (const extra of content.additional?.[i] ?? []) additional.push(rr(targetOf(data), extra, opts.ttl));
    });
    const authority = answers.length === 0 ? [soaRecord(opts)] : [];
    return { rcode: 'NOERROR', answers, authority, additional: dedupe(additional) };
  }
  return { rcode: 'NOERROR', answers, authority: [], additional }; // chain too long: give what we have
}

function answerReverse(view: DnsView, q: Question, lower: string, opts: ZoneOptions): ZoneAnswer | undefined {
  const ip = addressOfReverseName(lower);
  if (!ip) return undefined;
  const owners = view.ipOwners(ip);
  if (owners.length === 0) return undefined;
  const records = ptrTargets(owners, ip, opts.domain);
  const answers = q.type === RRType.PTR || q.type === RRType.ANY
    ? records.map((target) => rr(q.name, { kind: 'PTR', target }, opts.ttl))
    : [];
  return { rcode: 'NOERROR', answers, authority: [], additional: [] };
}

function ptrTargets(owners: readonly DnsIPOwner[], ip: string, domain: string): string[] {
  // A ClusterIP names its service alone; an endpoint address its names under
  // each service; only a pod no service selects gets its pod name.
  const service = owners.find((o) => o.kind === 'service');
  if (service?.kind === 'service') return [`${service.name}.${service.namespace}.svc.${domain}`];
  const names = new Set<string>();
  for (const o of owners) {
    if (o.kind === 'endpoint') names.add(`${o.hostname ?? dashedIP(ip)}.${o.service}.${o.namespace}.svc.${domain}`);
  }
  if (names.size > 0) return [...names];
  for (const o of owners) if (o.kind === 'pod') names.add(`${dashedIP(ip)}.${o.namespace}.pod.${domain}`);
  return [...names];
}

/** The records and existence of a lowercase name inside the domain. */
function lookupName(view: DnsView, name: string, opts: ZoneOptions): NameContent {
  const rel = name === opts.domain ? [] : name.slice(0, -opts.domain.length - 1).split('.');
  const labels = rel.reverse(); // from the domain down: [svc, NS, SERVICE, ...]
  if (labels.length === 0) return { exists: true, records: [soaData(opts)] };
  const [top, ns, ...rest] = labels as [string, string | undefined, ...string[]];
  if (labels.length === 1 && top === 'dns-version') return { exists: true, records: [{ kind: 'TXT', texts: [DNS_SCHEMA_VERSION] }] };
  if (top !== 'svc' && top !== 'pod') return ABSENT;
  if (ns === undefined) return EMPTY;
  if (!view.namespaceExists(ns)) return ABSENT;
  if (rest.length === 0) return EMPTY;
  if (top === 'pod') return rest.length === 1 ? podName(view, ns, rest[0]!) : ABSENT;
  const svcName = rest[0]!;
  const svc = view.service(ns, svcName);
  if (!svc) return ABSENT;
  const svcFqdn = `${svcName}.${ns}.svc.${opts.domain}`;
  if (rest.length === 1) return serviceName(svc, svcFqdn);
  if (svc.kind === 'externalName') return ABSENT;
  const [, sub, port] = rest;
  if (rest.length === 2 && sub!.startsWith('_')) {
    // `_proto.SERVICE...`: an empty non-terminal above the SRV names.
    return srvRecords(svc, svcFqdn, undefined, sub!.slice(1)).records.length > 0 ? EMPTY : ABSENT;
  }
  if (rest.length === 2) return endpointName(svc, sub!);
  if (rest.length === 3 && sub!.startsWith('_') && port!.startsWith('_')) {
    const srv = srvRecords(svc, svcFqdn, port!.slice(1), sub!.slice(1));
    return srv.records.length > 0 ? { exists: true, ...srv } : ABSENT;
  }
  return ABSENT;
}

function serviceName(svc: DnsService, fqdn: string): NameContent {
  switch (svc.kind) {
    case 'externalName':
      // An address passes the API's validation but makes no CNAME; CoreDNS does not answer it either.
      if (canonicalIP(svc.externalName)) return ABSENT;
      return { exists: true, records: [{ kind: 'CNAME', target: svc.externalName.replace(/\.$/, '') }] };
    case 'clusterIP': {
      const srv = srvRecords(svc, fqdn, undefined, undefined);
      return { exists: true, records: [...addressRecords(svc.clusterIPs), ...srv.records], additional: [...svc.clusterIPs.map(() => []), ...srv.additional] };
    }
    case 'headless': {
      // The specification: a headless service without ready endpoints is NXDOMAIN.
      if (svc.endpoints.length === 0) return ABSENT;
      const srv = srvRecords(svc, fqdn, undefined, undefined);
      const ips = unique(svc.endpoints.map((e) => e.ip));
      return { exists: true, records: [...addressRecords(ips), ...srv.records], additional: [...ips.map(() => []), ...srv.additional] };
    }
  }
}

function endpointName(svc: Exclude<DnsService, { kind: 'externalName' }>, label: string): NameContent {
  const ips = svc.endpoints.filter((e) => endpointHostname(e) === label).map((e) => e.ip);
  return ips.length > 0 ? { exists: true, records: addressRecords(unique(ips)) } : ABSENT;
}

/** SRV records of a service for a port name and protocol (undefined matches any, as a bare service name asks). */
function srvRecords(svc: Exclude<DnsService, { kind: 'externalName' }>, fqdn: string, portName: string | undefined, proto: string | undefined): { records: RecordData[]; additional: RecordData[][] } {
  const matches = (p: DnsPort) => p.name !== '' &&
    (portName === undefined || p.name.toLowerCase() === portName) &&
    (proto === undefined || p.protocol.toLowerCase() === proto);
  const found: { port: number; target: string; ips: string[] }[] = [];
  if (svc.kind === 'clusterIP') {
    for (const p of svc.ports) if (matches(p)) found.push({ port: p.port, target: fqdn, ips: [...svc.clusterIPs] });
  } else {
    for (const e of svc.endpoints) {
      for (const p of e.ports) if (matches(p)) found.push({ port: p.port, target: `${endpointHostname(e)}.${fqdn}`, ips: [e.ip] });
    }
  }
  // RFC 2782: equal priority, weights sharing 100 (at least 1 each).
  const weight = Math.max(1, Math.floor(100 / Math.max(found.length, 1)));
  return {
    records: found.map((f) => ({ kind: 'SRV', priority: 0, weight, port: f.port, target: f.target })),
    additional: found.map((f) => addressRecords(f.ips)),
  };
}

function podName(view: DnsView, ns: string, label: string): NameContent {
  // A-B-C-D for IPv4; IPv6 with dashes for colons (2001-db8--1), as CoreDNS reads them.
  const text = (label.match(/-/g)?.length === 3 && !label.includes('--')) ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  const ip = canonicalIP(text);
  if (!ip || text.includes('%')) return ABSENT;
  if (view.podExists && !view.podExists(ns, ip)) return ABSENT;
  return { exists: true, records: addressRecords([ip]) };
}

export function endpointHostname(e: DnsEndpoint): string {
  return e.hostname ? e.hostname.toLowerCase() : dashedIP(e.ip);
}

/** 10.1.2.3 -> 10-1-2-3, 2001:db8::1 -> 2001-db8--1 (a trailing "-" gets a "0", so the label stays valid). */
export function dashedIP(ip: string): string {
  const d = ip.replaceAll('.', '-').replaceAll(':', '-');
  return d.endsWith('-') ? d + '0' : d;
}

function addressRecords(ips: readonly string[]): RecordData[] {
  const out: RecordData[] = [];
  for (const ip of ips) {
    const b = ipBytes(ip);
    if (!b) continue; // a malformed address in the cluster data is skipped, not fatal
    out.push(b.length === 4 ? { kind: 'A', address: canonicalIP(ip)! } : { kind: 'AAAA', address: canonicalIP(ip)! });
  }
  return out;
}

export function soaData(opts: ZoneOptions): RecordData {
  // Shape of CoreDNS's SOA: refresh 2h, retry 30m, expire 1d, negative TTL = record TTL.
  return { kind: 'SOA', mname: `ns.dns.${opts.domain}`, rname: `hostmaster.${opts.domain}`, serial: opts.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: opts.ttl };
}

function soaRecord(opts: ZoneOptions): ResourceRecord {
  return rr(opts.domain, soaData(opts), opts.ttl);
}

function rr(name: string, data: RecordData, ttl: number): ResourceRecord {
  return { name, class: CLASS_IN, ttl, data };
}

function targetOf(d: RecordData): string {
  return d.kind === 'SRV' ? d.target : '';
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function dedupe(records: ResourceRecord[]): ResourceRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = `${r.name.toLowerCase()} ${JSON.stringify(r.data)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
