import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { NodeKernelFacts } from '../model/index.js';

// Reads the kernel settings that break pod networking while the Kubernetes API still looks
// healthy. Every value that cannot be read becomes null plus an "unknown, because …" entry: an
// unreadable setting must never look like a passing one.

export interface NodeFactsRoots {
  /** Directory standing in for /proc (tests point this at a fake tree). */
  procRoot?: string;
  /** Directory standing in for /sys. */
  sysRoot?: string;
}

type Interface = NodeKernelFacts['interfaces'][number];
type Route = NodeKernelFacts['routes'][number];

/** Interface names CNIs and kube-proxy create; matched by prefix or exact name. */
const CNI_INTERFACE_PATTERNS: readonly RegExp[] = [
  /^flannel[.-]/,
  /^cni\d*$/,
  /^cbr\d*$/,
  /^cilium_/,
  /^lxc_health$/,
  /^weave$/,
  /^vethwe-/,
  /^vxlan/,
  /^tunl\d+$/,
  /^kube-ipvs\d*$/,
  /^kube-bridge$/,
  /^genev_sys_/,
  /^antrea-/,
  /^ovn-k8s-/,
  /^docker\d+$/,
];

/**
 * The node's end of a pod's veth, by the names CNIs give them: plain veths (bridge CNIs, the
 * lab), Calico, Cilium, Weave's per-pod veths, GKE, the AWS VPC CNI and Azure CNI.
 */
const POD_INTERFACE_PATTERNS: readonly RegExp[] = [/^veth(?!we-)/, /^cali[0-9a-f]/, /^lxc(?!_health$)/, /^gke[0-9a-f]/, /^eni[0-9a-f]/, /^azv/];

/** Bridges (and OVS) whose ports are pods' veths, for CNIs that name pod interfaces after the pod (Antrea, OVN). */
const POD_BRIDGE_MASTERS = /^(cni\d*|cbr\d*|kube-bridge|docker\d+|ovs-system|br-int)$/;

const IFF_UP = 0x1;

class Unknown {
  constructor(readonly reason: string) {}
}

async function readText(path: string): Promise<string | Unknown> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    return new Unknown(describeReadError(path, error));
  }
}

function describeReadError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `unknown, because ${path} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `unknown, because ${path} is not readable (${code})`;
  return `unknown, because reading ${path} failed: ${(error as Error).message}`;
}

async function readInteger(path: string): Promise<number | Unknown> {
  const text = await readText(path);
  if (text instanceof Unknown) return text;
  const value = Number.parseInt(text, 10);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    return new Unknown(`unknown, because ${path} holds "${text.slice(0, 40)}", not an integer`);
  }
  return value;
}

/**
 * br_netfilter registers /proc/sys/net/bridge and its bridge-nf-call-* files; either missing
 * means the module is not loaded (a directory emptied by a mount counts as missing too).
 */
async function bridgeNetfilterState(bridgeDir: string): Promise<{ loaded: true } | { loaded: false; reason: string } | Unknown> {
  let entries: string[];
  try {
    entries = await readdir(bridgeDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { loaded: false, reason: `unknown, because ${bridgeDir} does not exist (br_netfilter not loaded)` };
    }
    return new Unknown(describeReadError(bridgeDir, error));
  }
  if (!entries.includes('bridge-nf-call-iptables')) {
    return { loaded: false, reason: `unknown, because ${bridgeDir} has no bridge-nf-call-iptables (br_netfilter not loaded)` };
  }
  return { loaded: true };
}

/** Parse one little-endian hex IPv4 address as written in /proc/net/route. */
function parseProcRouteAddress(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const value = Number.parseInt(hex, 16);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join('.');
}

function prefixLength(hexMask: string): number | undefined {
  const mask = parseProcRouteAddress(hexMask);
  if (mask === undefined) return undefined;
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  if (!/^1*0*$/.test(bits)) return undefined;
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
}

/** Parse /proc/net/route (IPv4 routing table of the reading process's network namespace). */
export function parseProcNetRoute(text: string): { routes: Route[]; defaultDevice?: string } {
  const routes: Route[] = [];
  let defaultDevice: string | undefined;
  for (const line of text.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 8) continue;
    const [device, destinationHex, gatewayHex, , , , , maskHex] = columns as [string, string, string, string, string, string, string, string];
    const destination = parseProcRouteAddress(destinationHex);
    const gateway = parseProcRouteAddress(gatewayHex);
    const prefix = prefixLength(maskHex);
    if (destination === undefined || gateway === undefined || prefix === undefined) continue;
    const route: Route = { destination: prefix === 0 ? 'default' : `${destination}/${prefix}`, device };
    if (gateway !== '0.0.0.0') route.gateway = gateway;
    if (prefix === 0 && defaultDevice === undefined) defaultDevice = device;
    routes.push(route);
  }
  return defaultDevice === undefined ? { routes } : { routes, defaultDevice };
}

/**
 * What an interface is to the node. `master` is the device it is enslaved to (from
 * /sys/class/net/<if>/master), which catches pod veths whose names say nothing.
 */
export function classifyInterface(name: string, defaultDevice: string | undefined, master?: string): Interface['kind'] {
  if (name === defaultDevice) return 'primary';
  if (CNI_INTERFACE_PATTERNS.some((pattern) => pattern.test(name))) return 'cni';
  if (POD_INTERFACE_PATTERNS.some((pattern) => pattern.test(name))) return 'pod';
  if (master !== undefined && POD_BRIDGE_MASTERS.test(master)) return 'pod';
  return 'other';
}

function asFlag(value: number | Unknown, field: string, unknown: Record<string, string>): boolean | null {
  if (value instanceof Unknown) {
    unknown[field] = value.reason;
    return null;
  }
  return value !== 0;
}

export async function readNodeFacts(opts: NodeFactsRoots = {}): Promise<NodeKernelFacts> {
  const proc = opts.procRoot ?? '/proc';
  const sys = opts.sysRoot ?? '/sys';
  const unknown: Record<string, string> = {};

  const ipForward = asFlag(await readInteger(join(proc, 'sys/net/ipv4/ip_forward')), 'ipForward', unknown);
  const ipv6Forward = asFlag(await readInteger(join(proc, 'sys/net/ipv6/conf/all/forwarding')), 'ipv6Forward', unknown);

  const bridgeDir = join(proc, 'sys/net/bridge');
  const bridgeState = await bridgeNetfilterState(bridgeDir);
  let bridgeNetfilterLoaded: boolean | null;
  let bridgeNfCallIptables: boolean | null = null;
  let bridgeNfCallIp6tables: boolean | null = null;
  if (bridgeState instanceof Unknown) {
    bridgeNetfilterLoaded = null;
    unknown.bridgeNetfilterLoaded = bridgeState.reason;
    unknown.bridgeNfCallIptables = bridgeState.reason;
    unknown.bridgeNfCallIp6tables = bridgeState.reason;
  } else if (bridgeState.loaded === false) {
    bridgeNetfilterLoaded = false;
    unknown.bridgeNfCallIptables = bridgeState.reason;
    unknown.bridgeNfCallIp6tables = bridgeState.reason;
  } else {
    bridgeNetfilterLoaded = true;
    bridgeNfCallIptables = asFlag(await readInteger(join(bridgeDir, 'bridge-nf-call-iptables')), 'bridgeNfCallIptables', unknown);
    bridgeNfCallIp6tables = asFlag(await readInteger(join(bridgeDir, 'bridge-nf-call-ip6tables')), 'bridgeNfCallIp6tables', unknown);
  }

  const conntrackCount = await readInteger(join(proc, 'sys/net/netfilter/nf_conntrack_count'));
  const conntrackMax = await readInteger(join(proc, 'sys/net/netfilter/nf_conntrack_max'));
  let conntrack: NodeKernelFacts['conntrack'] = null;
  if (conntrackCount instanceof Unknown) unknown.conntrack = conntrackCount.reason;
  else if (conntrackMax instanceof Unknown) unknown.conntrack = conntrackMax.reason;
  else conntrack = { count: conntrackCount, max: conntrackMax };

  const routeText = await readText(join(proc, 'net/route'));
  let routes: Route[] = [];
  let defaultDevice: string | undefined;
  if (routeText instanceof Unknown) unknown.routes = routeText.reason;
  else ({ routes, defaultDevice } = parseProcNetRoute(routeText));

  const interfaces = await readInterfaces(join(sys, 'class/net'), defaultDevice, unknown);

  const rpFilterAll = await readInteger(join(proc, 'sys/net/ipv4/conf/all/rp_filter'));
  const rpFilterDefault = await readInteger(join(proc, 'sys/net/ipv4/conf/default/rp_filter'));
  if (rpFilterAll instanceof Unknown) unknown['rpFilter.all'] = rpFilterAll.reason;
  if (rpFilterDefault instanceof Unknown) unknown['rpFilter.default'] = rpFilterDefault.reason;
  const rpFilterInterfaces: Record<string, number> = {};
  // Every interface: strict rp_filter on a secondary NIC drops asymmetric replies just as it
  // does on a CNI device. Loopback is exempt from reverse-path filtering in the kernel.
  for (const iface of interfaces.filter((candidate) => candidate.name !== 'lo')) {
    const value = await readInteger(join(proc, 'sys/net/ipv4/conf', iface.name, 'rp_filter'));
    if (value instanceof Unknown) unknown[`rpFilter.interfaces.${iface.name}`] = value.reason;
    else rpFilterInterfaces[iface.name] = value;
  }

  return {
    ipForward,
    ipv6Forward,
    bridgeNetfilterLoaded,
    bridgeNfCallIptables,
    bridgeNfCallIp6tables,
    conntrack,
    rpFilter: {
      all: rpFilterAll instanceof Unknown ? null : rpFilterAll,
      default: rpFilterDefault instanceof Unknown ? null : rpFilterDefault,
      interfaces: rpFilterInterfaces,
    },
    interfaces,
    routes,
    unknown,
    readAt: new Date().toISOString(),
  };
}

async function readInterfaces(classNet: string, defaultDevice: string | undefined, unknown: Record<string, string>): Promise<Interface[]> {
  let names: string[];
  try {
    names = (await readdir(classNet)).sort();
  } catch (error) {
    unknown.interfaces = describeReadError(classNet, error);
    return [];
  }
  const interfaces: Interface[] = [];
  for (const name of names) {
    const mtu = await readInteger(join(classNet, name, 'mtu'));
    if (mtu instanceof Unknown) {
      unknown[`interfaces.${name}`] = mtu.reason;
      continue;
    }
    const iface: Interface = { name, mtu, kind: classifyInterface(name, defaultDevice, await masterOf(join(classNet, name))) };
    const flags = await readText(join(classNet, name, 'flags'));
    if (!(flags instanceof Unknown) && /^0x[0-9a-f]+$/i.test(flags)) iface.up = (Number.parseInt(flags, 16) & IFF_UP) !== 0;
    interfaces.push(iface);
  }
  return interfaces;
}

async function masterOf(interfaceDir: string): Promise<string | undefined> {
  try {
    return basename(await readlink(join(interfaceDir, 'master')));
  } catch {
    // Not enslaved to anything (or no sysfs link): the name alone decides.
    return undefined;
  }
}
