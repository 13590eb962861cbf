import { readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { mapWithConcurrency } from '../concurrency.js';
import type { TcpOutcome } from '../model/index.js';
import { runTool, type ToolRunner } from './tools.js';

// Opt-in (NETCHECK_AGENT_POD_PROBES=on): TCP probes from inside a client pod's network namespace,
// so its own routes, its node's forwarding and the policies on its packets are what the probe
// meets. The runtime pins pod namespaces under /var/run/netns; the agent finds the client's by
// its IP and runs a fixed connect script there with `ip netns exec` (needs CAP_SYS_ADMIN and that
// directory mounted — more than reading, hence off by default).

export interface PodProbeTarget {
  ip: string;
  port: number;
}

export interface PodProbeResult extends PodProbeTarget {
  outcome: TcpOutcome;
  detail?: string;
  ms: number;
}

export const MAX_POD_PROBE_TARGETS = 16;
const MAX_NAMESPACES = 512;

/** Connects to every "ip:port" argument at once and prints one JSON array; the arguments are validated before. */
const CONNECT_SCRIPT = `
const net = require('node:net');
const [timeoutMs, ...targets] = process.argv.slice(1);
const codes = { ECONNREFUSED: 'refused', EHOSTUNREACH: 'unreachable', ENETUNREACH: 'unreachable' };
Promise.all(targets.map((target) => new Promise((resolve) => {
  const at = target.lastIndexOf(':');
  const ip = target.slice(0, at), port = Number(target.slice(at + 1)), start = Date.now();
  const socket = net.connect({ host: ip, port });
  const done = (outcome, detail) => { clearTimeout(timer); socket.destroy(); resolve({ ip, port, outcome, ...(detail ? { detail } : {}), ms: Date.now() - start }); };
  const timer = setTimeout(() => done('timeout', 'no SYN-ACK within ' + timeoutMs + ' ms'), Number(timeoutMs));
  socket.once('connect', () => done('connected'));
  socket.once('error', (e) => done(codes[e.code] || 'error', e.code || e.message));
}))).then((results) => process.stdout.write(JSON.stringify(results)));
`;

export interface PodProbeOptions {
  run?: ToolRunner;
  netnsDir?: string;
  /** Only pinned namespaces whose name starts with this are candidates (containerd and CRI-O pin theirs as `cni-…`). */
  netnsPrefix?: string;
  nodeBinary?: string;
}

/** The pinned network namespace holding `podIP`, or why none was found. */
export async function findPodNetns(podIP: string, options: PodProbeOptions = {}): Promise<{ netns: string } | { unknown: string }> {
  const run = options.run ?? runTool;
  const dir = options.netnsDir ?? '/var/run/netns';
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => !options.netnsPrefix || name.startsWith(options.netnsPrefix)).slice(0, MAX_NAMESPACES);
  } catch (error) {
    return { unknown: `unknown, because ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): is it mounted into the agent?` };
  }
  const holders = await mapWithConcurrency(names, 8, async (name) => {
    const result = await run({ command: 'ip', args: ['-n', name, '-j', 'addr', 'show'], timeoutMs: 2_000, maxBytes: 256 * 1024 });
    if (!result.ok) return undefined;
    try {
      const links = JSON.parse(result.stdout) as { addr_info?: { local?: string }[] }[];
      return links.some((link) => link.addr_info?.some((a) => a.local === podIP)) ? name : undefined;
    } catch {
      return undefined;
    }
  });
  const found = holders.filter((n): n is string => n !== undefined);
  // A pod IP is unique on its node; two holders mean something else pins namespaces here, and
  // probing the wrong one would report another network's path as the pod's.
  if (found.length > 1)
    return { unknown: `unknown, because ${found.length} network namespaces under ${dir} hold ${podIP} (${found.slice(0, 3).join(', ')}): cannot tell which is the pod's` };
  return found[0] ? { netns: found[0] } : { unknown: `unknown, because no network namespace under ${dir} holds ${podIP}` };
}

export async function probeFromPod(
  podIP: string,
  targets: readonly PodProbeTarget[],
  timeoutMs: number,
  options: PodProbeOptions = {},
): Promise<{ netns: string; results: PodProbeResult[] } | { unknown: string }> {
  if (isIP(podIP) === 0) return { unknown: `unknown, because "${podIP}" is not an IP address` };
  const found = await findPodNetns(podIP, options);
  if ('unknown' in found) return found;
  const args = ['netns', 'exec', found.netns, options.nodeBinary ?? process.execPath, '-e', CONNECT_SCRIPT, String(timeoutMs), ...targets.map((t) => `${t.ip}:${t.port}`)];
  const result = await (options.run ?? runTool)({ command: 'ip', args, timeoutMs: timeoutMs + 5_000, maxBytes: 256 * 1024 });
  if (!result.ok) return { unknown: `unknown, because the probe in ${found.netns} failed: ${result.reason}` };
  try {
    return { netns: found.netns, results: JSON.parse(result.stdout) as PodProbeResult[] };
  } catch {
    return { unknown: `unknown, because the probe in ${found.netns} printed no result` };
  }
}
