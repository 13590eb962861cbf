import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { build as bundle } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, it } from '@jest/globals';
import type { NetnsCall } from './netns-call.js';

// A two-node Kubernetes data plane built from Linux network namespaces, so the faults netcheck
// diagnoses (ip_forward=0, bridge netfilter off, kube-proxy REJECT or stale rules, dropped packets,
// a FORWARD DROP policy, missing routes, rp_filter with asymmetric routes, MTU black holes, DNS
// down) happen on real sockets. Nothing touches the host's network: every address lives inside the
// namespaces created here, every veth is created directly inside them, and teardown removes the
// namespaces by name and kills our child processes by pid.
//
// Default (cni 'bridge', no router):
//   pod ns ──veth── cbr0 [node-1 ns] eth0 ════ eth0 [node-2 ns] cbr0 ──veth── pod ns
//   10.244.1.0/24      10.250.0.1                  10.250.0.2       10.244.2.0/24
//
// cni 'routed' (Calico's design): no bridge; each pod's veth sits in the node namespace with a /32
// route to the pod, the pod's default gateway is 169.254.1.1 and the node's veth answers its ARP
// by proxy ARP.
//
// router option: the nodes sit on two links of a router namespace (the router→node-2 interface at
// the chosen MTU, optionally swallowing the ICMP "fragmentation needed" it would send):
//   [node-1] eth0 10.250.1.1 ═══ 10.250.1.254 to-node-1 [router] to-node-2 10.250.2.254 ═══ 10.250.2.2 eth0 [node-2]
//
// addSecondaryLink(): eth1 between the nodes (10.251.0.1 ⇄ 10.251.0.2), node-1 routing node-2's
// pod CIDR over it while node-2 answers over eth0: asymmetric routing for rp_filter.

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLUSTER_DOMAIN = 'cluster.local';
const SERVICE_CIDR = '10.96.0.0/16';
const NODE_LINK_PREFIX = 24;
/** The whole cluster's pod range (kube-proxy's --cluster-cidr). */
export const CLUSTER_CIDR = '10.244.0.0/16';
/** The routed CNI's link-local gateway every pod routes through (Calico's). */
export const ROUTED_POD_GATEWAY = '169.254.1.1';
/** The secondary node link made by addSecondaryLink(). */
export const SECONDARY_LINK = { device: 'eth1', prefix: 24, ips: { 'node-1': '10.251.0.1', 'node-2': '10.251.0.2' } } as const;

export interface LabNode {
  index: number;
  /** Kubernetes node name. */
  name: string;
  /** Network namespace name. */
  ns: string;
  /** Address of eth0, where the agents bind: 10.250.0.<i>, or 10.250.<i>.<i> behind the router. */
  internalIP: string;
  podCIDR: string;
  /** cbr0's address (cni 'bridge' only). */
  bridgeIP?: string;
  /** The pods' default gateway: cbr0's address, or 169.254.1.1 (proxy ARP) with cni 'routed'. */
  podGateway: string;
}

export type LabCni = 'bridge' | 'routed';

export interface LabRouterOptions {
  /** MTU of the router's interface towards node-2 (default 1500); the nodes' eth0 and the pods stay at 1500. */
  mtu?: number;
  /** Drop the ICMP fragmentation-needed the router sends (a PMTUD black hole). Default false. */
  dropFragNeeded?: boolean;
}

export interface LabOptions {
  /** 'bridge' (default): pods on cbr0. 'routed': Calico-style /32 routes and proxy ARP, no bridge. */
  cni?: LabCni;
  /** Put a router namespace between the nodes instead of one shared link. */
  router?: LabRouterOptions;
}

export interface LabRouter {
  ns: string;
  /** The router's side of each node's link. */
  links: { node: string; device: string; ip: string; subnet: string }[];
  /** Current MTU of the interface towards node-2. */
  mtu: number;
  dropFragNeeded: boolean;
}

export interface LabPod {
  name: string;
  namespace: string;
  ns: string;
  node: LabNode;
  ip: string;
  labels: Record<string, string>;
  /** The node's end of the pod's veth (vethN in the node namespace). */
  hostVeth: string;
}

export interface LabServicePort {
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Where kube-proxy sends it on each endpoint. */
  targetPort: number;
  /** The Service port's name, used in kube-proxy's comments and chain hashes; default "p<port>", "" = unnamed. */
  name?: string;
}

export interface LabService {
  clusterIP: string;
  ports: LabServicePort[];
  /** Endpoint pod IPs; empty = kube-proxy's REJECT rule. */
  endpoints: string[];
  /** Kubernetes namespace of the Service; default "shop". */
  namespace?: string;
  /** Kubernetes name of the Service; default the key it was set under. */
  name?: string;
  /** Local: each node's kube-proxy uses only the endpoints on that node, and DROPs when it has none. */
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

/**
 * A drop rule in NETLAB-POLICY, the chain standing in for a CNI's NetworkPolicy enforcement
 * (the agent treats chains named NETLAB-POLICY* as CNI-owned): matching new packets are dropped.
 */
export interface LabDrop {
  destination?: string;
  protocol: 'tcp' | 'udp';
  port: number;
}

/**
 * A DROP rule directly in the filter FORWARD chain, ahead of kube-proxy's jumps: what a hardening
 * script or a host firewall leaves, owned by neither kube-proxy nor the CNI.
 */
export interface LabForeignDrop {
  /** Address or CIDR; a bare address means /32. */
  source?: string;
  destination?: string;
  /** Default 'tcp' when a port is given. */
  protocol?: 'tcp' | 'udp';
  port?: number;
  comment?: string;
}

export type LabForwardPolicy = 'ACCEPT' | 'DROP';

export interface LabTcpTarget {
  ip: string;
  port: number;
}

/** One TCP connect from a namespace, classified by the socket's own result. */
export interface LabTcpResult extends LabTcpTarget {
  /** refused: ECONNREFUSED (RST or ICMP port unreachable); unreachable: EHOSTUNREACH/ENETUNREACH (ICMP); timeout: nothing came back. */
  outcome: 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';
  /** The errno name, when the socket reported one. */
  code?: string;
  ms: number;
}

/** A bulk HTTP GET: moves more than one packet, so an MTU black hole shows as a stall after the handshake. */
export interface LabTransferResult {
  /** stalled: connected, but the body did not arrive before the deadline; timeout: not even connected. */
  outcome: 'complete' | 'stalled' | 'timeout' | 'refused' | 'unreachable' | 'error';
  code?: string;
  connected: boolean;
  /** Body bytes received, and what Content-Length announced (once headers arrived). */
  received: number;
  expected?: number;
  ms: number;
}

export interface LabChild {
  pid: number;
  /** stdout + stderr seen so far. */
  output: () => string;
  stop: () => Promise<void>;
}

export interface LabTimings {
  /** Namespaces, links, addresses, routes, sysctls and netfilter rules. */
  buildMs: number;
  /** esbuild bundling of the entry points run inside namespaces. */
  bundleMs: number;
  teardownMs?: number;
}

/** Entry points the lab runs inside namespaces. */
const LAB_TOOLS = {
  agent: 'bin/agent.ts',
  netcheck: 'bin/netcheck.ts',
  'netns-call': 'test/netlab/netns-call.ts',
  'kube-api': 'test/netlab/kube-api.ts',
} as const;
export type LabTool = keyof typeof LAB_TOOLS;

const REQUIRED_COMMANDS = ['ip', 'iptables-nft-restore', 'nft', 'dnsmasq', 'sysctl', 'mount', 'conntrack'];

function findOnPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Why the lab cannot run here, or undefined when it can. */
function missingLabCapability(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the network lab needs root (network namespaces, veth, iptables)';
  const missing = REQUIRED_COMMANDS.filter((command) => findOnPath(command) === undefined);
  if (missing.length > 0) return `missing commands: ${missing.join(', ')} (Debian: apt-get install iproute2 iptables nftables conntrack dnsmasq-base procps)`;
  return undefined;
}

/**
 * `describe` for lab tests: skips with one line saying why when the lab cannot run, unless
 * NETCHECK_REQUIRE_NETLAB=1 (CI), where a missing capability is a failure.
 */
export function describeNetlab(title: string, body: () => void): void {
  const missing = missingLabCapability();
  if (missing !== undefined && process.env.NETCHECK_REQUIRE_NETLAB === '1') {
    describe(title, () => {
      it('has what the network lab needs (NETCHECK_REQUIRE_NETLAB=1)', () => {
        throw new Error(missing);
      });
    });
    return;
  }
  if (missing !== undefined) console.warn(`[netlab] skipping "${title}": ${missing}`);
  (missing === undefined ? describe : describe.skip)(title, body);
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a command (argument array, no shell); reject with its stderr on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; acceptExitCodes?: number[] } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== null && (code === 0 || options.acceptExitCodes?.includes(code))) resolve({ stdout, stderr, code });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
    });
    // A command that exits without reading its input closes the pipe; its exit status tells.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** RFC 4648 base32 (what Go's base32.StdEncoding prints), for kube-proxy's chain hashes. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * kube-proxy's iptables chain names: KUBE-SVC-<16 chars of base32(sha256(ns/svc:port + protocol))>,
 * KUBE-SEP-<same over ns/svc:port + protocol + ip:port>, as proxier.go computes them (so the
 * well-known "default/kubernetes:https" is KUBE-SVC-NPX46M4PTMTKRN6Y here too).
 */
export function kubeProxyChain(kind: 'SVC' | 'SEP', servicePortName: string, protocol: 'TCP' | 'UDP', endpoint?: string): string {
  const input = servicePortName + protocol.toLowerCase() + (kind === 'SEP' ? (endpoint ?? '') : '');
  return `KUBE-${kind}-${base32(createHash('sha256').update(input).digest()).slice(0, 16)}`;
}

/** "ns/svc:port" as kube-proxy's ServicePortName prints it ("ns/svc" for an unnamed port). */
export function servicePortName(namespace: string, name: string, portName: string): string {
  return portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
}

/** A bare address means a host. */
const asCidr = (address: string): string => (address.includes('/') ? address : `${address}/32`);

/** Text we put between double quotes in iptables-restore input. */
function quotable(text: string): string {
  if (/["\n\\]/.test(text)) throw new Error(`not usable in an iptables comment: ${JSON.stringify(text)}`);
  return text;
}

let labCounter = 0;
// Jest runs several test files one after another in one worker process, each with its own copy of
// this module (so the counter starts at 0 again): the pid alone does not tell their labs apart.
const moduleInstance = randomBytes(3).toString('hex');

export class Lab {
  readonly prefix: string;
  readonly nodes: LabNode[];
  readonly pods = new Map<string, LabPod>();
  readonly timings: LabTimings = { buildMs: 0, bundleMs: 0 };
  readonly cni: LabCni;
  /** Present when built with the router option. */
  readonly router: LabRouter | undefined;
  /** Whether addSecondaryLink() is in effect. */
  secondaryLink = false;
  private readonly namespaces: string[] = [];
  /** Our long-running children, each with a promise that settles when it has exited. */
  private readonly children = new Map<ChildProcess, Promise<void>>();
  private readonly services = new Map<string, LabService>();
  /** Per node index: Service name → what that node's kube-proxy programs instead (a stale view). */
  private readonly serviceOverrides = new Map<number, Map<string, Partial<LabService>>>();
  private readonly drops = new Map<number, LabDrop[]>();
  private readonly foreignDrops = new Map<number, LabForeignDrop>();
  private readonly forwardPolicies = new Map<number, LabForwardPolicy>();
  private nextHost = new Map<number, number>();
  /** Our entry points bundled once per lab: tsx in every namespace would cost seconds per start. */
  private toolsDir: string | undefined;

  constructor(options: LabOptions = {}) {
    // Unique per process, test file and lab, so test files never meet. Interface names never derive
    // from it (veths are named inside the namespaces), so it need not fit in 15 characters.
    this.prefix = `nc${process.pid}-${moduleInstance}-${labCounter++}`;
    this.cni = options.cni ?? 'bridge';
    const routed = this.cni === 'routed';
    this.nodes = [1, 2].map((index) => ({
      index,
      name: `node-${index}`,
      ns: `${this.prefix}-n${index}`,
      // Behind a router each node has its own link (10.250.<i>.0/24); otherwise one shared /24.
      internalIP: options.router ? `10.250.${index}.${index}` : `10.250.0.${index}`,
      podCIDR: `10.244.${index}.0/24`,
      ...(routed ? {} : { bridgeIP: `10.244.${index}.1` }),
      podGateway: routed ? ROUTED_POD_GATEWAY : `10.244.${index}.1`,
    }));
    this.router = options.router
      ? {
          ns: `${this.prefix}-r`,
          links: this.nodes.map((node) => ({ node: node.name, device: `to-${node.name}`, ip: `10.250.${node.index}.254`, subnet: `10.250.${node.index}.0/24` })),
          mtu: options.router.mtu ?? 1500,
          dropFragNeeded: options.router.dropFragNeeded ?? false,
        }
      : undefined;
  }

  node(name: string): LabNode {
    const found = this.nodes.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no lab node ${name}`);
    return found;
  }

  pod(name: string): LabPod {
    const found = this.pods.get(name);
    if (!found) throw new Error(`no lab pod ${name}`);
    return found;
  }

  /** The network namespace of a pod, a node, or 'router'. */
  netns(name: string): string {
    const pod = this.pods.get(name);
    if (pod) return pod.ns;
    if (name === 'router') {
      if (!this.router) throw new Error('this lab has no router');
      return this.router.ns;
    }
    return this.node(name).ns;
  }

  /** Run a command inside a namespace. */
  exec(ns: string, command: string, args: string[], options: { input?: string; acceptExitCodes?: number[] } = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, command, ...args], options);
  }

  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await this.exec(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  /** Several sysctls in one process. */
  async sysctls(ns: string, values: Record<string, string | number>): Promise<void> {
    await this.exec(ns, 'sysctl', ['-q', '-w', ...Object.entries(values).map(([key, value]) => `${key}=${value}`)]);
  }

  /** Run `ip` commands inside a namespace in one process (`ip -n <ns> -batch -`). */
  async ip(ns: string, commands: string[][]): Promise<void> {
    await run('ip', ['-n', ns, '-batch', '-'], { input: commands.map((command) => command.join(' ')).join('\n') + '\n' });
  }

  private async addNamespace(ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
  }

  tool(name: LabTool): string {
    if (!this.toolsDir) throw new Error('the lab is not built');
    return join(this.toolsDir, `${name}.mjs`);
  }

  async build(): Promise<this> {
    const bundleStarted = performance.now();
    // Inside the repository so the bundles' package imports resolve from its node_modules.
    const cacheDir = join(REPO_ROOT, 'node_modules/.cache/netcheck-netlab');
    await mkdir(cacheDir, { recursive: true });
    this.toolsDir = await mkdtemp(join(cacheDir, `${this.prefix}-`));
    await bundle({
      entryPoints: Object.fromEntries(Object.entries(LAB_TOOLS).map(([name, path]) => [name, join(REPO_ROOT, path)])),
      outdir: this.toolsDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    });
    this.timings.bundleMs = Math.round(performance.now() - bundleStarted);
    const started = performance.now();
    const [first, second] = this.nodes as [LabNode, LabNode];
    for (const node of this.nodes) await this.addNamespace(node.ns);
    if (this.router) {
      await this.addNamespace(this.router.ns);
      for (const link of this.router.links) {
        await run('ip', ['link', 'add', 'eth0', 'netns', this.node(link.node).ns, 'type', 'veth', 'peer', 'name', link.device, 'netns', this.router.ns]);
      }
      await this.ip(this.router.ns, [
        ['link', 'set', 'lo', 'up'],
        ...this.router.links.flatMap((link) => [
          ['addr', 'add', `${link.ip}/${NODE_LINK_PREFIX}`, 'dev', link.device],
          ['link', 'set', link.device, 'up'],
          // The router knows every node's pod CIDR (a BGP peer of the CNI, or static routes).
          ['route', 'add', this.node(link.node).podCIDR, 'via', this.node(link.node).internalIP],
        ]),
        // Only the router's side of the link to node-2 gets the small MTU: node-2's eth0 stays at
        // 1500, so node-2 still advertises MSS 1460 and node-1 sends frames the router must refuse.
        // One-directional: node-2's bulk towards node-1 still arrives (veth accepts GSO frames
        // above its MTU, and the link to node-1 is at 1500).
        ['link', 'set', `to-${second.name}`, 'mtu', String(this.router.mtu)],
      ]);
      await this.sysctl(this.router.ns, 'net.ipv4.ip_forward', 1);
      await this.applyRouterNetfilter();
    } else {
      await run('ip', ['link', 'add', 'eth0', 'netns', first.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', second.ns]);
    }
    for (const node of this.nodes) {
      await this.ip(node.ns, [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${node.internalIP}/${NODE_LINK_PREFIX}`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ...(this.cni === 'bridge'
          ? [
              ['link', 'add', 'cbr0', 'type', 'bridge'],
              ['addr', 'add', `${node.bridgeIP}/24`, 'dev', 'cbr0'],
              ['link', 'set', 'cbr0', 'up'],
            ]
          : []),
        ...this.nodeRoutes(node).map((route) => ['route', 'add', ...route]),
      ]);
      await this.sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
    await this.applyNetfilter();
    this.timings.buildMs = Math.round(performance.now() - started);
    return this;
  }

  /** Where a node sends traffic for the other node's pods: the peer node, or the router. */
  private uplinkGateway(node: LabNode): string {
    if (this.router) return this.router.links.find((link) => link.node === node.name)?.ip ?? '';
    return this.nodes.find((candidate) => candidate !== node)?.internalIP ?? '';
  }

  /** The routes a node has when healthy (arguments after `ip route add|replace`). */
  private nodeRoutes(node: LabNode): string[][] {
    const peer = this.nodes.find((candidate) => candidate !== node) as LabNode;
    const gateway = this.uplinkGateway(node);
    const routes: string[][] = [
      this.secondaryLink && node.index === 1 ? [peer.podCIDR, 'via', SECONDARY_LINK.ips['node-2'], 'dev', SECONDARY_LINK.device] : [peer.podCIDR, 'via', gateway],
      // Service IPs need a route or the node answers "no route" before kube-proxy's REJECT
      // sees them; real nodes have a default route that plays this part.
      [SERVICE_CIDR, 'via', gateway],
    ];
    if (this.router) routes.push([this.router.links.find((link) => link.node === peer.name)?.subnet ?? '', 'via', gateway]);
    if (this.cni === 'routed') {
      routes.push(
        // Proxy ARP answers only for addresses the node routes out of another interface; Calico's
        // nodes route 169.254.1.1 through their default route, ours have none, so lo plays that part.
        [`${ROUTED_POD_GATEWAY}/32`, 'dev', 'lo'],
        // Calico's blackhole for its own block: an address in it with no pod is dropped silently.
        ['blackhole', node.podCIDR],
        ...[...this.pods.values()].filter((pod) => pod.node === node).map((pod) => [`${pod.ip}/32`, 'dev', pod.hostVeth]),
      );
    }
    return routes;
  }

  /** Remove one route from a node (e.g. the other node's pod CIDR); restoreRoutes() puts them back. */
  async deleteRoute(nodeName: string, cidr: string): Promise<void> {
    await this.ip(this.node(nodeName).ns, [['route', 'del', cidr]]);
  }

  /** Put back every route the node has when healthy (idempotent: `ip route replace`). */
  async restoreRoutes(nodeName: string): Promise<void> {
    const node = this.node(nodeName);
    await this.ip(
      node.ns,
      this.nodeRoutes(node).map((route) => ['route', 'replace', ...route]),
    );
  }

  /**
   * eth1 between the nodes (10.251.0.1/24 on node-1, .2 on node-2) with node-1 routing node-2's pod
   * CIDR over it, while node-2 keeps answering node-1's pods over eth0: asymmetric routing, so
   * node-2 receives node-1's pod traffic on an interface its route back does not use. rp_filter
   * starts off (0) on node-2 so only the test's own sysctl decides; the kernel applies
   * max(conf.all.rp_filter, conf.<iface>.rp_filter).
   */
  async addSecondaryLink(): Promise<void> {
    if (this.secondaryLink) return;
    const [first, second] = this.nodes as [LabNode, LabNode];
    const device = SECONDARY_LINK.device;
    await run('ip', ['link', 'add', device, 'netns', first.ns, 'type', 'veth', 'peer', 'name', device, 'netns', second.ns]);
    for (const node of [first, second]) {
      await this.ip(node.ns, [
        ['addr', 'add', `${SECONDARY_LINK.ips[node.name as 'node-1' | 'node-2']}/${SECONDARY_LINK.prefix}`, 'dev', device],
        ['link', 'set', device, 'up'],
      ]);
      await this.sysctls(node.ns, { 'net.ipv4.conf.all.rp_filter': 0, [`net.ipv4.conf.${device}.rp_filter`]: 0, 'net.ipv4.conf.eth0.rp_filter': 0 });
    }
    this.secondaryLink = true;
    await this.restoreRoutes(first.name);
  }

  /** Delete eth1 (both ends) and route node-1 over eth0 again. */
  async removeSecondaryLink(): Promise<void> {
    if (!this.secondaryLink) return;
    const first = this.nodes[0] as LabNode;
    this.secondaryLink = false;
    await this.ip(first.ns, [['link', 'del', SECONDARY_LINK.device]]);
    await this.restoreRoutes(first.name);
  }

  /** The router's MTU towards node-2. Both nodes forget learned path MTUs, so the new value is seen fresh. */
  async setRouterMtu(mtu: number): Promise<void> {
    const router = this.requireRouter();
    const towardsSecond = router.links.find((link) => link.node === this.nodes[1]?.name)?.device ?? '';
    await this.ip(router.ns, [['link', 'set', towardsSecond, 'mtu', String(mtu)]]);
    router.mtu = mtu;
    await this.flushRouteCaches();
  }

  /** Whether the router swallows the ICMP fragmentation-needed it sends (the PMTUD black hole). */
  async setRouterDropFragNeeded(drop: boolean): Promise<void> {
    const router = this.requireRouter();
    router.dropFragNeeded = drop;
    await this.applyRouterNetfilter();
    await this.flushRouteCaches();
  }

  private requireRouter(): LabRouter {
    if (!this.router) throw new Error('this lab was built without a router');
    return this.router;
  }

  /**
   * `ip route flush cache` in every node and pod namespace: it also drops learned PMTU exceptions,
   * which a sender would otherwise keep for 10 minutes (a pod serving a transfer is a sender too).
   */
  private async flushRouteCaches(): Promise<void> {
    const namespaces = [...this.nodes.map((node) => node.ns), ...[...this.pods.values()].map((pod) => pod.ns)];
    await Promise.all(namespaces.map((ns) => this.ip(ns, [['route', 'flush', 'cache']])));
  }

  private async applyRouterNetfilter(): Promise<void> {
    const router = this.requireRouter();
    const rules = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    // The router's own ICMP errors leave through OUTPUT.
    if (router.dropFragNeeded) rules.push('-A OUTPUT -p icmp -m icmp --icmp-type fragmentation-needed -j DROP');
    await this.exec(router.ns, 'iptables-nft-restore', [], { input: [...rules, 'COMMIT', ''].join('\n') });
  }

  async addPod(name: string, options: { node: string; namespace?: string; labels?: Record<string, string>; host?: number }): Promise<LabPod> {
    const node = this.node(options.node);
    const host = options.host ?? this.nextHost.get(node.index) ?? 10;
    this.nextHost.set(node.index, Math.max(host, this.nextHost.get(node.index) ?? 10) + 1);
    const ns = `${this.prefix}-p${this.pods.size}`;
    const ip = `10.244.${node.index}.${host}`;
    await this.addNamespace(ns);
    const hostSide = `veth${this.pods.size}`;
    await run('ip', ['link', 'add', hostSide, 'netns', node.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    if (this.cni === 'bridge') {
      await this.ip(node.ns, [
        ['link', 'set', hostSide, 'master', 'cbr0'],
        ['link', 'set', hostSide, 'up'],
      ]);
      await this.ip(ns, [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['route', 'add', 'default', 'via', node.podGateway],
      ]);
    } else {
      await this.ip(node.ns, [
        ['link', 'set', hostSide, 'up'],
        ['route', 'add', `${ip}/32`, 'dev', hostSide],
      ]);
      // proxy_delay 0 as Calico sets it: otherwise the proxy ARP reply waits up to 0.8 s.
      await this.sysctls(node.ns, { [`net.ipv4.conf.${hostSide}.proxy_arp`]: 1, [`net.ipv4.neigh.${hostSide}.proxy_delay`]: 0 });
      await this.ip(ns, [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${ip}/32`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['route', 'add', 'default', 'via', node.podGateway, 'dev', 'eth0', 'onlink'],
      ]);
    }
    const pod: LabPod = { name, namespace: options.namespace ?? 'default', ns, node, ip, labels: options.labels ?? {}, hostVeth: hostSide };
    this.pods.set(name, pod);
    return pod;
  }

  /** kube-proxy's view of a Service: DNAT to endpoints, or REJECT when there are none. */
  async setService(name: string, service: LabService): Promise<void> {
    await this.setServices({ [name]: service });
  }

  /** Several Services at once: one rule reload per node instead of one per Service. */
  async setServices(services: Record<string, LabService>): Promise<void> {
    for (const [name, service] of Object.entries(services)) this.services.set(name, service);
    await this.applyNetfilter();
  }

  /**
   * What one node's kube-proxy programs for a Service instead of the real thing (undefined: back to
   * the real one): a stale kube-proxy that missed an endpoint change, e.g. still DNATing to a pod IP
   * that no longer exists while the other node programs the current endpoints.
   */
  async setServiceOverride(nodeName: string, serviceName: string, override: Partial<LabService> | undefined): Promise<void> {
    const index = this.node(nodeName).index;
    const overrides = this.serviceOverrides.get(index) ?? new Map<string, Partial<LabService>>();
    if (override) overrides.set(serviceName, override);
    else overrides.delete(serviceName);
    this.serviceOverrides.set(index, overrides);
    await this.applyNetfilter();
  }

  /** Packet drops on one node's FORWARD path in NETLAB-POLICY (what a CNI's NetworkPolicy does). */
  async setDrops(nodeName: string, drops: LabDrop[]): Promise<void> {
    this.drops.set(this.node(nodeName).index, drops);
    await this.applyNetfilter();
  }

  /**
   * The filter FORWARD chain's policy (`iptables -P FORWARD DROP`, as a hardening script or a
   * container engine leaves it). With DROP, new forwarded flows die: kube-proxy's KUBE-FORWARD only
   * accepts RELATED,ESTABLISHED (and its own masquerade-marked packets). With bridge-nf-call-iptables=1
   * bridged same-node pod traffic crosses FORWARD too, so it dies as well.
   */
  async setForwardPolicy(nodeName: string, policy: LabForwardPolicy): Promise<void> {
    this.forwardPolicies.set(this.node(nodeName).index, policy);
    await this.applyNetfilter();
  }

  /** One DROP rule at the top of a node's FORWARD chain, owned by neither kube-proxy nor the CNI (undefined: none). */
  async setForeignDrop(nodeName: string, drop: LabForeignDrop | undefined): Promise<void> {
    const index = this.node(nodeName).index;
    if (drop) this.foreignDrops.set(index, drop);
    else this.foreignDrops.delete(index);
    await this.applyNetfilter();
  }

  /**
   * `conntrack -L -p tcp -d <ip> --dport <port>` in a node namespace (stdout). Entries are per
   * namespace and the DNAT happens on the client's node, so a ClusterIP's entries live there; a
   * SYN the far end never answered stays `[UNREPLIED]` (SYN_SENT, 120 s) — e.g. after probing a
   * ClusterIP from a node-1 pod while node-2 drops the packets.
   */
  async conntrack(nodeName: string, ip: string, port: number): Promise<string> {
    const { stdout } = await this.exec(this.node(nodeName).ns, 'conntrack', ['-L', '-p', 'tcp', '-d', ip, '--dport', String(port)]);
    return stdout;
  }

  /** Forget a node's conntrack entries (`conntrack -F`), so one test's entries do not meet the next's. */
  async conntrackFlush(nodeName: string): Promise<void> {
    await this.exec(this.node(nodeName).ns, 'conntrack', ['-F']);
  }

  /** A Service as one node's kube-proxy sees it. */
  private serviceView(node: LabNode, name: string, service: LabService): LabService {
    return { ...service, ...this.serviceOverrides.get(node.index)?.get(name) };
  }

  /** kube-proxy's iptables-mode rules (the shape `iptables-save` shows on a real node) plus the lab's own. */
  private netfilterRules(node: LabNode): string {
    const natChains = [
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-POSTROUTING - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
    ];
    const nat = [
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ];
    const policy = this.forwardPolicies.get(node.index) ?? 'ACCEPT';
    const filterChains = [':INPUT ACCEPT [0:0]', `:FORWARD ${policy} [0:0]`, ':OUTPUT ACCEPT [0:0]', ':KUBE-FORWARD - [0:0]', ':KUBE-SERVICES - [0:0]', ':NETLAB-POLICY - [0:0]'];
    const filter: string[] = ['-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'];
    const foreign = this.foreignDrops.get(node.index);
    if (foreign) {
      const protocol = foreign.protocol ?? (foreign.port !== undefined ? 'tcp' : undefined);
      filter.push(
        [
          '-A FORWARD',
          foreign.source ? `-s ${asCidr(foreign.source)}` : '',
          foreign.destination ? `-d ${asCidr(foreign.destination)}` : '',
          protocol ? `-p ${protocol}` : '',
          protocol && foreign.port !== undefined ? `-m ${protocol} --dport ${foreign.port}` : '',
          foreign.comment ? `-m comment --comment "${quotable(foreign.comment)}"` : '',
          '-j DROP',
        ]
          .filter(Boolean)
          .join(' '),
      );
    }
    filter.push(
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -j NETLAB-POLICY',
      '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    );
    for (const [key, real] of this.services) {
      const service = this.serviceView(node, key, real);
      const namespace = service.namespace ?? 'shop';
      const name = service.name ?? key;
      // internalTrafficPolicy Local: only this node's endpoints; none here (but some elsewhere) is
      // kube-proxy's "has no local endpoints" DROP in the filter table, not the REJECT.
      const endpoints =
        service.internalTrafficPolicy === 'Local'
          ? service.endpoints.filter((ip) => [...this.pods.values()].some((p) => p.ip === ip && p.node.index === node.index))
          : service.endpoints;
      for (const port of service.ports) {
        const protocol = port.protocol.toLowerCase();
        const spn = quotable(servicePortName(namespace, name, port.name ?? `p${port.port}`));
        const match = `-d ${service.clusterIP}/32 -p ${protocol} -m comment --comment "${spn}`;
        if (service.endpoints.length === 0) {
          filter.push(`-A KUBE-SERVICES ${match} has no endpoints" -m ${protocol} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`);
          continue;
        }
        if (endpoints.length === 0) {
          filter.push(`-A KUBE-SERVICES ${match} has no local endpoints" -m ${protocol} --dport ${port.port} -j DROP`);
          continue;
        }
        const svcChain = kubeProxyChain('SVC', spn, port.protocol);
        natChains.push(`:${svcChain} - [0:0]`);
        nat.push(`-A KUBE-SERVICES ${match} cluster IP" -m ${protocol} --dport ${port.port} -j ${svcChain}`);
        endpoints.forEach((endpoint, index) => {
          const target = `${endpoint}:${port.targetPort}`;
          const sepChain = kubeProxyChain('SEP', spn, port.protocol, target);
          const remaining = endpoints.length - index;
          // kube-proxy's equal split: rule i takes 1/(n-i) of what rules before it left over.
          const split = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(10)}` : '';
          natChains.push(`:${sepChain} - [0:0]`);
          nat.push(
            `-A ${svcChain} -m comment --comment "${spn} -> ${target}"${split} -j ${sepChain}`,
            // Hairpin: a pod reaching itself through its Service must be masqueraded.
            `-A ${sepChain} -s ${endpoint}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`,
            `-A ${sepChain} -p ${protocol} -m comment --comment "${spn}" -m ${protocol} -j DNAT --to-destination ${target}`,
          );
        });
      }
    }
    for (const drop of this.drops.get(node.index) ?? []) {
      const destination = drop.destination ? ` -d ${drop.destination}/32` : '';
      filter.push(`-A NETLAB-POLICY${destination} -p ${drop.protocol} -m ${drop.protocol} --dport ${drop.port} -j DROP`);
    }
    return ['*nat', ...natChains, ...nat, 'COMMIT', '*filter', ...filterChains, ...filter, 'COMMIT', ''].join('\n');
  }

  private async applyNetfilter(): Promise<void> {
    for (const node of this.nodes) await this.exec(node.ns, 'iptables-nft-restore', [], { input: this.netfilterRules(node) });
  }

  /**
   * Start a long-running process inside a namespace and wait until its output matches `ready`
   * (or fail when it exits first or the deadline passes). The child is killed by pid at teardown.
   */
  async spawnIn(
    ns: string,
    command: string,
    args: string[],
    options: { ready: RegExp; env?: NodeJS.ProcessEnv; timeoutMs?: number; maskBridgeSysctls?: boolean },
  ): Promise<LabChild> {
    // `ip netns exec` gives each invocation its own mount namespace, so a tmpfs over
    // /proc/sys/net/bridge hides br_netfilter from this child only, as on a node without it.
    const argv = options.maskBridgeSysctls
      ? ['netns', 'exec', ns, 'sh', '-c', 'mount -t tmpfs tmpfs /proc/sys/net/bridge && exec "$@"', 'sh', command, ...args]
      : ['netns', 'exec', ns, command, ...args];
    const child = spawn('ip', argv, { cwd: REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.children.set(child, exited);
    child.once('exit', () => this.children.delete(child));
    const timeoutMs = options.timeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} in ${ns} not ready within ${timeoutMs} ms; output: ${output}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (options.ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${command} in ${ns} exited (${code ?? signal}) before it was ready; output: ${output}`));
      });
    }).catch(async (error: unknown) => {
      await stopChild(child, exited);
      throw error;
    });
    return { pid: child.pid as number, output: () => output, stop: () => stopChild(child, exited) };
  }

  /** TCP listeners in a pod (the application behind a Service). */
  startTcpServer(podName: string, ports: number[]): Promise<LabChild> {
    const script = `
      const net = require('node:net');
      let pending = process.argv.length - 1;
      for (const port of process.argv.slice(1).map(Number)) {
        // A probe hangs up as soon as it is connected, often before the greeting is out: the reset
        // must not take the whole listener down with an unhandled socket error.
        net.createServer((socket) => {
          socket.on('error', () => {});
          socket.end('hello from ' + port + '\\n');
        }).listen(port, '0.0.0.0', () => {
          if (--pending === 0) console.log('ready');
        });
      }`;
    return this.spawnIn(this.pod(podName).ns, process.execPath, ['-e', script, ...ports.map(String)], { ready: /^ready$/m });
  }

  /**
   * TCP connects from a pod, node or 'router' namespace, all in parallel in one process; each is
   * classified by what the socket itself reported within `timeoutMs` (default 1500).
   */
  async probeTcp(from: string, targets: LabTcpTarget[], options: { timeoutMs?: number } = {}): Promise<LabTcpResult[]> {
    const script = `
      const net = require('node:net');
      const { timeoutMs, targets } = JSON.parse(process.argv[1]);
      const kinds = { ECONNREFUSED: 'refused', EHOSTUNREACH: 'unreachable', ENETUNREACH: 'unreachable' };
      Promise.all(targets.map(({ ip, port }) => new Promise((resolve) => {
        const started = performance.now();
        const socket = net.connect({ host: ip, port });
        let settled = false;
        const done = (outcome, code) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          socket.destroy();
          resolve({ ip, port, outcome, ...(code ? { code } : {}), ms: Math.round(performance.now() - started) });
        };
        const timer = setTimeout(() => done('timeout'), timeoutMs);
        socket.once('connect', () => done('connected'));
        socket.once('error', (error) => done(kinds[error.code] ?? 'error', error.code));
      }))).then((results) => process.stdout.write(JSON.stringify(results)));`;
    const timeoutMs = options.timeoutMs ?? 1500;
    const { stdout } = await this.exec(this.netns(from), process.execPath, ['-e', script, JSON.stringify({ timeoutMs, targets })]);
    return JSON.parse(stdout) as LabTcpResult[];
  }

  /** An HTTP server in a pod or node namespace answering every GET with `bytes` bytes (a bulk transfer's source). */
  startBulkServer(from: string, options: { ip: string; port: number; bytes: number }): Promise<LabChild> {
    const script = `
      const http = require('node:http');
      const [ip, port, bytes] = process.argv.slice(1);
      const body = Buffer.alloc(Number(bytes), 120);
      const server = http.createServer((request, response) => {
        response.on('error', () => {});
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        response.end(body);
      });
      server.on('clientError', (error, socket) => socket.destroy());
      server.listen(Number(port), ip, () => console.log('ready'));`;
    return this.spawnIn(this.netns(from), process.execPath, ['-e', script, options.ip, String(options.port), String(options.bytes)], { ready: /^ready$/m });
  }

  /**
   * GET `url` from a pod or node namespace and read the whole body within `deadlineMs` (default
   * 3000): 'stalled' when the connection was made but the body did not all arrive in time.
   */
  async fetchBulk(from: string, url: string, options: { deadlineMs?: number } = {}): Promise<LabTransferResult> {
    const script = `
      const http = require('node:http');
      const { url, deadlineMs } = JSON.parse(process.argv[1]);
      const kinds = { ECONNREFUSED: 'refused', EHOSTUNREACH: 'unreachable', ENETUNREACH: 'unreachable' };
      const started = performance.now();
      let connected = false, received = 0, expected, settled = false;
      const finish = (outcome, code) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        process.stdout.write(JSON.stringify({ outcome, ...(code ? { code } : {}), connected, received, ...(expected !== undefined ? { expected } : {}), ms: Math.round(performance.now() - started) }));
      };
      const request = http.get(url, { agent: false }, (response) => {
        expected = Number(response.headers['content-length']);
        response.on('data', (chunk) => (received += chunk.length));
        response.on('end', () => finish(received === expected ? 'complete' : 'error'));
        response.on('error', (error) => finish('error', error.code));
      });
      request.on('socket', (socket) => socket.once('connect', () => (connected = true)));
      request.on('error', (error) => finish(kinds[error.code] ?? 'error', error.code));
      const timer = setTimeout(() => finish(connected ? 'stalled' : 'timeout'), deadlineMs);`;
    const deadlineMs = options.deadlineMs ?? 3000;
    const { stdout } = await this.exec(this.netns(from), process.execPath, ['-e', script, JSON.stringify({ url, deadlineMs })]);
    return JSON.parse(stdout) as LabTransferResult;
  }

  /**
   * dnsmasq answering for cluster.local from a pod, like CoreDNS; with `upstreams` it forwards every
   * other name to them, all at once (--all-servers), first answer wins — the outcome CoreDNS's forward
   * reaches once its health check has taken a dead upstream out, without the wait.
   */
  startDns(podName: string, records: Record<string, string>, options: { upstreams?: string[] } = {}): Promise<LabChild> {
    const pod = this.pod(podName);
    const args = [
      '-k',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--user=root',
      '--log-facility=-',
      `--listen-address=${pod.ip}`,
      '--bind-interfaces',
      '--port=53',
      `--local=/${CLUSTER_DOMAIN}/`,
      ...Object.entries(records).map(([name, ip]) => `--host-record=${name},${ip}`),
      ...(options.upstreams?.length ? ['--all-servers', ...options.upstreams.map((ip) => `--server=${ip}`)] : []),
    ];
    return this.spawnIn(pod.ns, 'dnsmasq', args, { ready: /started, version/ });
  }

  /** The node agent (bin/agent.ts, bundled) inside a node namespace, bound to the node's InternalIP. */
  /** The node agent; `podProbes` turns on its opt-in probes from pod namespaces (pinned under /var/run/netns, as the lab's are). */
  startAgent(nodeName: string, options: { token: string; port: number; maskBridgeSysctls?: boolean; podProbes?: boolean; cniConfDir?: string }): Promise<LabChild> {
    const node = this.node(nodeName);
    return this.spawnIn(node.ns, process.execPath, [this.tool('agent')], {
      ready: /netcheck agent listening/,
      env: {
        PATH: process.env.PATH ?? '',
        NETCHECK_AGENT_TOKEN: options.token,
        NETCHECK_AGENT_PORT: String(options.port),
        NODE_IP: node.internalIP,
        NODE_NAME: node.name,
        // Labs run side by side and all pin under /var/run/netns: each agent looks only at its own lab's pods.
        ...(options.podProbes ? { NETCHECK_AGENT_POD_PROBES: 'on', NETCHECK_AGENT_NETNS_PREFIX: `${this.prefix}-p` } : {}),
        // A node's /etc/cni/net.d stand-in: the host's real one (if any) says nothing about the lab.
        ...(options.cniConfDir ? { NETCHECK_AGENT_CNI_CONF_DIR: options.cniConfDir } : {}),
      },
      maskBridgeSysctls: options.maskBridgeSysctls ?? false,
    });
  }

  /**
   * Our Kubernetes API server (lib/testkit) inside a node namespace, bound to the node's IP, like a
   * control plane on that node. Its kubeconfig file is readable from every namespace.
   */
  async startKubeApi(nodeName: string, objects: unknown[], port: number): Promise<{ url: string; kubeconfigPath: string; child: LabChild }> {
    const node = this.node(nodeName);
    const objectsFile = join(this.toolsDir ?? '', 'kube-objects.json');
    await writeFile(objectsFile, JSON.stringify(objects));
    const child = await this.spawnIn(node.ns, process.execPath, [this.tool('kube-api'), objectsFile, node.internalIP, String(port)], {
      ready: /"kubeconfigPath":"[^"]+"\}\n/,
    });
    const { url, kubeconfigPath } = JSON.parse(child.output().split('\n')[0] ?? '') as { url: string; kubeconfigPath: string };
    return { url, kubeconfigPath, child };
  }

  /** The netcheck CLI (bin/netcheck.ts) run from inside a pod (or a node), so its probes leave from there. */
  runNetcheck(from: string, args: string[], env: Record<string, string>): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.netns(from), process.execPath, this.tool('netcheck'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      acceptExitCodes: [1, 2],
      timeoutMs: 60_000,
    });
  }

  /** `runNetcheck` with `--output json`: the parsed report, or an error carrying what it printed instead. */
  async runNetcheckJson<T>(from: string, args: string[], env: Record<string, string>): Promise<{ code: number; report: T; stderr: string }> {
    const result = await this.runNetcheck(from, [...args, '--output', 'json'], env);
    try {
      return { code: result.code, report: JSON.parse(result.stdout) as T, stderr: result.stderr };
    } catch {
      throw new Error(`netcheck ${args.join(' ')} exited ${result.code} without a JSON report; stderr: ${result.stderr}`);
    }
  }

  /** Call one of our gatherer functions from inside a namespace and return its JSON result. */
  async callIn<T>(ns: string, call: NetnsCall, args: unknown[], options: { maskBridgeSysctls?: boolean } = {}): Promise<T> {
    const node = [process.execPath, this.tool('netns-call')];
    const argv = options.maskBridgeSysctls
      ? ['netns', 'exec', ns, 'sh', '-c', 'mount -t tmpfs tmpfs /proc/sys/net/bridge && exec "$@"', 'sh', ...node]
      : ['netns', 'exec', ns, ...node];
    const { stdout } = await run('ip', argv, { input: JSON.stringify({ call, args }), timeoutMs: 60_000 });
    return JSON.parse(stdout) as T;
  }

  async teardown(): Promise<void> {
    const started = performance.now();
    await Promise.all([...this.children].map(([child, exited]) => stopChild(child, exited)));
    const failures: string[] = [];
    for (const ns of this.namespaces.reverse()) {
      try {
        await run('ip', ['netns', 'del', ns]);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    this.namespaces.length = 0;
    if (this.toolsDir) await rm(this.toolsDir, { recursive: true, force: true });
    this.timings.teardownMs = Math.round(performance.now() - started);
    if (failures.length > 0) throw new Error(`lab teardown left namespaces behind: ${failures.join('; ')}`);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref())]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Build a lab; if building fails halfway, what was built is torn down before the error surfaces. */
export async function buildLab(options: LabOptions = {}): Promise<Lab> {
  const lab = new Lab(options);
  try {
    return await lab.build();
  } catch (error) {
    await lab.teardown().catch(() => undefined);
    throw error;
  }
}
