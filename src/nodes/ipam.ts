// Addresses for simulated nodes and their pods (IPv4 only): each node gets a
// /24 of the cluster's pod CIDR, as the node IPAM controller hands them out, and
// pods get addresses from their node's range, never two live pods the same one.

export interface Cidr { base: number; prefix: number }

export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(s: string): Cidr {
  const [ip, bits] = s.split('/');
  const base = parseIPv4(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 30) {
    throw new Error(`simulated nodes: pod CIDR ${JSON.stringify(s)} is not an IPv4 CIDR with a prefix of at most /30`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (base & mask) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** The `index`-th node range of a cluster CIDR: /24s, or the whole range when it is smaller. */
export function nodeRange(cluster: Cidr, index: number): Cidr {
  const prefix = Math.max(24, cluster.prefix);
  const count = 2 ** (prefix - cluster.prefix);
  const i = index % count;
  return { base: (cluster.base + i * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** The address a simulated node reports as InternalIP (kind-like 172.18.0.0/16). */
export function nodeAddress(index: number): string {
  return formatIPv4((parseIPv4('172.18.0.2') as number) + index);
}

/** Pod addresses of one node: handed out round-robin, skipping those in use. */
export class PodAddresses {
  private readonly first: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  private cursor = 0;

  constructor(range: Cidr) {
    // .0 is the network, .1 the node's gateway, the last the broadcast address.
    this.first = range.base + 2;
    this.size = Math.max(0, 2 ** (32 - range.prefix) - 3);
  }

  allocate(): string | undefined {
    for (let i = 0; i < this.size; i++) {
      const n = this.first + ((this.cursor + i) % this.size);
      if (this.used.has(n)) continue;
      this.used.add(n);
      this.cursor = (n - this.first + 1) % this.size;
      return formatIPv4(n);
    }
    return undefined;
  }

  /** Mark an address taken (pods found running when the node starts). */
  reserve(ip: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined || n < this.first || n >= this.first + this.size || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  release(ip: string | undefined): void {
    if (ip === undefined) return;
    const n = parseIPv4(ip);
    if (n !== undefined) this.used.delete(n);
  }

  get inUse(): number {
    return this.used.size;
  }
}
