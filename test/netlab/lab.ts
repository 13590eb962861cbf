import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { build as bundle } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import type { NetnsCall } from './netns-call.js';

// A two-node Kubernetes data plane built from Linux network namespaces, so the faults netcheck
// diagnoses (ip_forward=0, bridge netfilter off, kube-proxy REJECT, dropped packets, DNS down)
// happen on real sockets. Nothing touches the host's network: every address lives inside the
// namespaces created here, every veth is created directly inside them, and teardown removes the
// namespaces by name and kills our child processes by pid.
//
//   pod ns ──veth── cbr0 [node-1 ns] eth0 ════ eth0 [node-2 ns] cbr0 ──veth── pod ns
//   10.244.1.0/24      10.250.0.1                  10.250.0.2       10.244.2.0/24

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLUSTER_DOMAIN = 'cluster.local';
const SERVICE_CIDR = '10.96.0.0/16';
const NODE_LINK_PREFIX = 24;

export interface LabNode {
  index: number;
  /** Kubernetes node name. */
  name: string;
  /** Network namespace name. */
  ns: string;
  internalIP: string;
  podCIDR: string;
  bridgeIP: string;
}

export interface LabPod {
  name: string;
  namespace: string;
  ns: string;
  node: LabNode;
  ip: string;
  labels: Record<string, string>;
}

export interface LabServicePort {
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Where kube-proxy sends it on each endpoint. */
  targetPort: number;
}

export interface LabService {
  clusterIP: string;
  ports: LabServicePort[];
  /** Endpoint pod IPs; empty = kube-proxy's REJECT rule. */
  endpoints: string[];
}

/** A filter rule standing in for a NetworkPolicy or a firewall: matching new packets are dropped. */
export interface LabDrop {
  destination?: string;
  protocol: 'tcp' | 'udp';
  port: number;
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

const REQUIRED_COMMANDS = ['ip', 'iptables-nft-restore', 'dnsmasq', 'sysctl', 'mount'];

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
  if (missing.length > 0) return `missing commands: ${missing.join(', ')} (Debian: apt-get install iproute2 iptables dnsmasq-base procps)`;
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
  describe.skipIf(missing !== undefined)(title, body);
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

let labCounter = 0;

export class Lab {
  readonly prefix: string;
  readonly nodes: LabNode[];
  readonly pods = new Map<string, LabPod>();
  readonly timings: LabTimings = { buildMs: 0, bundleMs: 0 };
  private readonly namespaces: string[] = [];
  /** Our long-running children, each with a promise that settles when it has exited. */
  private readonly children = new Map<ChildProcess, Promise<void>>();
  private readonly services = new Map<string, LabService>();
  private readonly drops = new Map<number, LabDrop[]>();
  private nextHost = new Map<number, number>();
  /** Our entry points bundled once per lab: tsx in every namespace would cost seconds per start. */
  private toolsDir: string | undefined;

  constructor() {
    // Unique per process and lab, so parallel test files never meet. Interface names never derive
    // from it (veths are named inside the namespaces), so it need not fit in 15 characters.
    this.prefix = `nc${process.pid}-${labCounter++}`;
    this.nodes = [1, 2].map((index) => ({
      index,
      name: `node-${index}`,
      ns: `${this.prefix}-n${index}`,
      internalIP: `10.250.0.${index}`,
      podCIDR: `10.244.${index}.0/24`,
      bridgeIP: `10.244.${index}.1`,
    }));
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

  /** Run a command inside a namespace. */
  exec(ns: string, command: string, args: string[], options: { input?: string } = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, command, ...args], options);
  }

  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await this.exec(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
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
    await run('ip', ['link', 'add', 'eth0', 'netns', first.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', second.ns]);
    for (const [node, peer] of [
      [first, second],
      [second, first],
    ] as const) {
      await this.ip(node.ns, [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${node.internalIP}/${NODE_LINK_PREFIX}`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['link', 'add', 'cbr0', 'type', 'bridge'],
        ['addr', 'add', `${node.bridgeIP}/24`, 'dev', 'cbr0'],
        ['link', 'set', 'cbr0', 'up'],
        ['route', 'add', peer.podCIDR, 'via', peer.internalIP],
        // Service IPs need a route or the node answers "no route" before kube-proxy's REJECT
        // sees them; real nodes have a default route that plays this part.
        ['route', 'add', SERVICE_CIDR, 'via', peer.internalIP],
      ]);
      await this.sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
    await this.applyNetfilter();
    this.timings.buildMs = Math.round(performance.now() - started);
    return this;
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
    await this.ip(node.ns, [
      ['link', 'set', hostSide, 'master', 'cbr0'],
      ['link', 'set', hostSide, 'up'],
    ]);
    await this.ip(ns, [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
      ['route', 'add', 'default', 'via', node.bridgeIP],
    ]);
    const pod: LabPod = { name, namespace: options.namespace ?? 'default', ns, node, ip, labels: options.labels ?? {} };
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

  /** Packet drops on one node's FORWARD path (what a NetworkPolicy or a firewall does). */
  async setDrops(nodeName: string, drops: LabDrop[]): Promise<void> {
    this.drops.set(this.node(nodeName).index, drops);
    await this.applyNetfilter();
  }

  private netfilterRules(node: LabNode): string {
    const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', '-A PREROUTING -j KUBE-SERVICES', '-A OUTPUT -j KUBE-SERVICES'];
    const filter = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':NETLAB-DROPS - [0:0]',
      '-A INPUT -m conntrack --ctstate NEW -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -j KUBE-SERVICES',
      '-A OUTPUT -m conntrack --ctstate NEW -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -j NETLAB-DROPS',
    ];
    for (const service of this.services.values()) {
      for (const port of service.ports) {
        const match = `-d ${service.clusterIP}/32 -p ${port.protocol.toLowerCase()} -m ${port.protocol.toLowerCase()} --dport ${port.port}`;
        if (service.endpoints.length === 0) {
          filter.push(`-A KUBE-SERVICES ${match} -j REJECT --reject-with icmp-port-unreachable`);
          continue;
        }
        service.endpoints.forEach((endpoint, index) => {
          const remaining = service.endpoints.length - index;
          // kube-proxy's equal split: rule i takes 1/(n-i) of what rules before it left over.
          const split = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(5)}` : '';
          nat.push(`-A KUBE-SERVICES ${match}${split} -j DNAT --to-destination ${endpoint}:${port.targetPort}`);
        });
      }
    }
    for (const drop of this.drops.get(node.index) ?? []) {
      const destination = drop.destination ? ` -d ${drop.destination}/32` : '';
      filter.push(`-A NETLAB-DROPS${destination} -p ${drop.protocol} -m ${drop.protocol} --dport ${drop.port} -j DROP`);
    }
    return [...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n');
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

  /** dnsmasq answering for cluster.local from a pod, like CoreDNS. */
  startDns(podName: string, records: Record<string, string>): Promise<LabChild> {
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
    ];
    return this.spawnIn(pod.ns, 'dnsmasq', args, { ready: /started, version/ });
  }

  /** The node agent (bin/agent.ts, bundled) inside a node namespace, bound to the node's InternalIP. */
  startAgent(nodeName: string, options: { token: string; port: number; maskBridgeSysctls?: boolean }): Promise<LabChild> {
    const node = this.node(nodeName);
    return this.spawnIn(node.ns, process.execPath, [this.tool('agent')], {
      ready: /netcheck agent listening/,
      env: { PATH: process.env.PATH ?? '', NETCHECK_AGENT_TOKEN: options.token, NETCHECK_AGENT_PORT: String(options.port), NODE_IP: node.internalIP },
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

  /** The netcheck CLI (bin/netcheck.ts) run from inside a pod, so its probes leave from that pod. */
  runNetcheck(podName: string, args: string[], env: Record<string, string>): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.pod(podName).ns, process.execPath, this.tool('netcheck'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      acceptExitCodes: [1, 2],
      timeoutMs: 60_000,
    });
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
export async function buildLab(): Promise<Lab> {
  const lab = new Lab();
  try {
    return await lab.build();
  } catch (error) {
    await lab.teardown().catch(() => undefined);
    throw error;
  }
}
