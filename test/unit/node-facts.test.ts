import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { classifyInterface, parseProcNetRoute, readNodeFacts } from '../../lib/agent/node-facts.js';

// A fake /proc and /sys tree per test: the reader must work from any root and must report
// every file it could not read instead of treating it as a pass.

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';

let root: string;
let proc: string;
let sys: string;

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

async function writeHealthyNode(): Promise<void> {
  await put(join(proc, 'sys/net/ipv4/ip_forward'), '1\n');
  await put(join(proc, 'sys/net/ipv6/conf/all/forwarding'), '0\n');
  await put(join(proc, 'sys/net/bridge/bridge-nf-call-iptables'), '1\n');
  await put(join(proc, 'sys/net/bridge/bridge-nf-call-ip6tables'), '1\n');
  await put(join(proc, 'sys/net/netfilter/nf_conntrack_count'), '42\n');
  await put(join(proc, 'sys/net/netfilter/nf_conntrack_max'), '262144\n');
  await put(join(proc, 'sys/net/ipv4/conf/all/rp_filter'), '0\n');
  await put(join(proc, 'sys/net/ipv4/conf/default/rp_filter'), '1\n');
  await put(join(proc, 'sys/net/ipv4/conf/eth0/rp_filter'), '1\n');
  await put(join(proc, 'sys/net/ipv4/conf/cni0/rp_filter'), '2\n');
  await put(join(proc, 'sys/net/ipv4/conf/flannel.1/rp_filter'), '0\n');
  await put(
    join(proc, 'net/route'),
    [
      ROUTE_HEADER,
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
      'cni0\t0001F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'flannel.1\t0002F40A\t0002F40A\t0043\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      '',
    ].join('\n'),
  );
  for (const [name, mtu, flags] of [
    ['eth0', '9001', '0x1003'],
    ['cni0', '8951', '0x1003'],
    ['flannel.1', '8951', '0x1002'],
    ['lo', '65536', '0x9'],
  ] as const) {
    await put(join(sys, 'class/net', name, 'mtu'), `${mtu}\n`);
    await put(join(sys, 'class/net', name, 'flags'), `${flags}\n`);
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'netcheck-node-facts-'));
  proc = join(root, 'proc');
  sys = join(root, 'sys');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readNodeFacts', () => {
  it('reads a healthy node completely, with nothing unknown', async () => {
    await writeHealthyNode();
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.unknown).toEqual({});
    expect(facts).toMatchObject({
      ipForward: true,
      ipv6Forward: false,
      bridgeNetfilterLoaded: true,
      bridgeNfCallIptables: true,
      bridgeNfCallIp6tables: true,
      conntrack: { count: 42, max: 262144 },
      rpFilter: { all: 0, default: 1, interfaces: { eth0: 1, cni0: 2, 'flannel.1': 0 } },
    });
    expect(facts.interfaces).toEqual([
      { name: 'cni0', mtu: 8951, kind: 'cni', up: true },
      { name: 'eth0', mtu: 9001, kind: 'primary', up: true },
      { name: 'flannel.1', mtu: 8951, kind: 'cni', up: false },
      { name: 'lo', mtu: 65536, kind: 'other', up: true },
    ]);
    expect(facts.routes).toEqual([
      { destination: 'default', gateway: '192.168.1.1', device: 'eth0' },
      { destination: '192.168.1.0/24', device: 'eth0' },
      { destination: '10.244.1.0/24', device: 'cni0' },
      { destination: '10.244.2.0/24', gateway: '10.244.2.0', device: 'flannel.1' },
    ]);
    expect(Number.isNaN(Date.parse(facts.readAt))).toBe(false);
  });

  it('reports ip_forward=0 and bridge-nf-call-iptables=0 as false, not unknown', async () => {
    await writeHealthyNode();
    await put(join(proc, 'sys/net/ipv4/ip_forward'), '0\n');
    await put(join(proc, 'sys/net/bridge/bridge-nf-call-iptables'), '0\n');
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.ipForward).toBe(false);
    expect(facts.bridgeNfCallIptables).toBe(false);
    expect(facts.bridgeNfCallIp6tables).toBe(true);
    expect(facts.unknown).toEqual({});
  });

  it('says br_netfilter is not loaded when /proc/sys/net/bridge is missing, and leaves the bridge settings unknown', async () => {
    await writeHealthyNode();
    await rm(join(proc, 'sys/net/bridge'), { recursive: true });
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.bridgeNetfilterLoaded).toBe(false);
    expect(facts.bridgeNfCallIptables).toBeNull();
    expect(facts.bridgeNfCallIp6tables).toBeNull();
    expect(facts.unknown.bridgeNfCallIptables).toBe(`unknown, because ${join(proc, 'sys/net/bridge')} does not exist (br_netfilter not loaded)`);
  });

  it('says br_netfilter is not loaded when /proc/sys/net/bridge is empty (a mount hiding it)', async () => {
    await writeHealthyNode();
    await rm(join(proc, 'sys/net/bridge'), { recursive: true });
    await mkdir(join(proc, 'sys/net/bridge'));
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.bridgeNetfilterLoaded).toBe(false);
    expect(facts.bridgeNfCallIptables).toBeNull();
    expect(facts.unknown.bridgeNfCallIp6tables).toBe(`unknown, because ${join(proc, 'sys/net/bridge')} has no bridge-nf-call-iptables (br_netfilter not loaded)`);
    expect(facts.unknown.bridgeNetfilterLoaded).toBeUndefined();
  });

  it('leaves conntrack unknown with the reason when nf_conntrack_max cannot be read', async () => {
    await writeHealthyNode();
    await rm(join(proc, 'sys/net/netfilter/nf_conntrack_max'));
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.conntrack).toBeNull();
    expect(facts.unknown.conntrack).toBe(`unknown, because ${join(proc, 'sys/net/netfilter/nf_conntrack_max')} does not exist`);
  });

  it('never passes an empty tree: every field is null or empty with a reason', async () => {
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts).toMatchObject({
      ipForward: null,
      ipv6Forward: null,
      bridgeNetfilterLoaded: false,
      bridgeNfCallIptables: null,
      conntrack: null,
      rpFilter: { all: null, default: null, interfaces: {} },
      interfaces: [],
      routes: [],
    });
    expect(Object.keys(facts.unknown).sort()).toEqual(
      ['bridgeNfCallIp6tables', 'bridgeNfCallIptables', 'conntrack', 'interfaces', 'ipForward', 'ipv6Forward', 'routes', 'rpFilter.all', 'rpFilter.default'].sort(),
    );
    expect(facts.unknown.ipForward).toBe(`unknown, because ${join(proc, 'sys/net/ipv4/ip_forward')} does not exist`);
  });

  it('rejects garbage in a sysctl file instead of reading it as a number', async () => {
    await writeHealthyNode();
    await put(join(proc, 'sys/net/ipv4/ip_forward'), 'yes please\n');
    const facts = await readNodeFacts({ procRoot: proc, sysRoot: sys });
    expect(facts.ipForward).toBeNull();
    expect(facts.unknown.ipForward).toMatch(/holds "yes please", not an integer/);
  });
});

describe('parseProcNetRoute', () => {
  it('skips malformed lines and finds the default-route device', () => {
    const parsed = parseProcNetRoute(
      [ROUTE_HEADER, 'garbage', 'ens5\tZZZZZZZZ\t00000000\t0001\t0\t0\t0\t00FFFFFF', 'ens5\t00000000\t0100000A\t0003\t0\t0\t0\t00000000'].join('\n'),
    );
    expect(parsed).toEqual({ routes: [{ destination: 'default', gateway: '10.0.0.1', device: 'ens5' }], defaultDevice: 'ens5' });
  });

  it('rejects non-contiguous masks', () => {
    expect(parseProcNetRoute([ROUTE_HEADER, 'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FF00FF'].join('\n')).routes).toEqual([]);
  });
});

describe('classifyInterface', () => {
  for (const [name, kind] of [
    ['flannel.1', 'cni'],
    ['cni0', 'cni'],
    ['cbr0', 'cni'],
    // The node's end of a pod's veth: its MTU is the pod's.
    ['cali12ab34cd', 'pod'],
    ['cilium_host', 'cni'],
    ['lxc1234', 'pod'],
    ['lxc_health', 'cni'],
    ['veth3f2a1b', 'pod'],
    ['weave', 'cni'],
    ['vxlan.calico', 'cni'],
    ['tunl0', 'cni'],
    ['eth1', 'other'],
    ['lo', 'other'],
  ] as const) {
    it(`${name} is ${kind}`, () => {
      expect(classifyInterface(name, 'eth0')).toBe(kind);
    });
  }

  it('the default-route device is primary even when its name looks like a CNI device', () => {
    expect(classifyInterface('cbr0', 'cbr0')).toBe('primary');
  });
});
