import { request } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { mapWithConcurrency } from '../concurrency.js';
import type { DnsProbeFact, NodeAgentFact, NodeFact, NodeKernelFacts, Protocol, TransferProbeFact } from '../model/index.js';

// Asks the node agent on each node for its kernel facts. An agent that does not answer, answers
// 401 or answers garbage becomes a NodeAgentFact with that status — a finding, never a hang and
// never a silent gap.

export interface FetchNodeAgentsOptions {
  port: number;
  token: string;
  /** Whole-request deadline per node (connect + response). */
  timeoutMs: number;
  /** Where to reach a node's agent; defaults to the node's InternalIP. */
  address?: (node: NodeFact) => string | undefined;
  /** How many agents are asked at once. */
  concurrency?: number;
  /** Service addresses (ClusterIP:port/protocol) to read kube-proxy's rules and conntrack entries for. */
  services?: { ip: string; port: number; protocol: Protocol }[];
}

/** The agent reads at most this many Service addresses per request (lib/agent/service-address.ts). */
const MAX_SERVICES_PER_REQUEST = 32;

const DEFAULT_AGENT_CONCURRENCY = 32;
/** Facts of one node are a few KB; anything this large is not an agent answering. */
const MAX_BODY_BYTES = 1024 * 1024;

const portSchema = z.number().int().min(1).max(65535);
const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);

const nodeKernelFactsSchema = z.object({
  ipForward: z.boolean().nullable(),
  ipv6Forward: z.boolean().nullable(),
  bridgeNetfilterLoaded: z.boolean().nullable(),
  bridgeNfCallIptables: z.boolean().nullable(),
  bridgeNfCallIp6tables: z.boolean().nullable(),
  conntrack: z.object({ count: z.number().int().nonnegative(), max: z.number().int().nonnegative() }).nullable(),
  rpFilter: z.object({
    all: z.number().int().nullable(),
    default: z.number().int().nullable(),
    interfaces: z.record(z.string(), z.number().int()),
  }),
  interfaces: z.array(
    z.object({
      name: z.string(),
      mtu: z.number().int().nonnegative(),
      kind: z.enum(['primary', 'cni', 'pod', 'other']),
      up: z.boolean().optional(),
    }),
  ),
  routes: z.array(z.object({ destination: z.string(), gateway: z.string().optional(), device: z.string().optional() })),
  // Optional: an agent older than the netfilter reader still answers with valid facts.
  netfilter: z
    .object({
      sources: z.array(z.enum(['nft', 'iptables-nft', 'iptables-legacy'])),
      forwardPolicy: z.enum(['accept', 'drop']).nullable(),
      forwardDropChains: z.array(z.string()),
      foreignDrops: z.array(
        z.object({
          table: z.string(),
          chain: z.string(),
          hook: z.string().optional(),
          verdict: z.enum(['drop', 'reject']),
          text: z.string(),
        }),
      ),
      legacyRuleCount: z.number().int().nonnegative(),
      kubeProxyMode: z.enum(['iptables', 'nftables', 'ipvs']).nullable(),
    })
    .nullable()
    .optional(),
  serviceRules: z
    .array(
      z.object({
        ip: z.string(),
        port: portSchema,
        protocol: protocolSchema,
        mode: z.enum(['iptables', 'nftables', 'ipvs', 'unknown']),
        found: z.boolean(),
        backends: z.array(z.string()),
        rejects: z.boolean(),
        detail: z.string().optional(),
      }),
    )
    .optional(),
  conntrackEntries: z
    .array(
      z.object({
        ip: z.string(),
        port: portSchema,
        protocol: protocolSchema,
        total: z.number().int().nonnegative(),
        unreplied: z.number().int().nonnegative(),
        unrepliedTo: z.record(z.string(), z.number().int().nonnegative()),
        samples: z.array(z.string()),
      }),
    )
    .optional(),
  // Optional: agents older than the CNI config reader.
  cniConfig: z
    .object({
      dir: z.string(),
      files: z.array(
        z.object({
          file: z.string(),
          name: z.string().optional(),
          plugins: z.array(z.object({ type: z.string(), portMappings: z.boolean() })),
          unknown: z.string().optional(),
        }),
      ),
      truncated: z.boolean().optional(),
      unknown: z.string().optional(),
    })
    .optional(),
  unknown: z.record(z.string(), z.string()),
  readAt: z.string(),
}) satisfies z.ZodType<NodeKernelFacts>;

const transferSchema = z.object({
  from: z.string(),
  to: z.string(),
  bytes: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  outcome: z.enum(['complete', 'stalled', 'refused', 'error', 'skipped']),
  detail: z.string().optional(),
  ms: z.number().nonnegative(),
}) satisfies z.ZodType<TransferProbeFact>;

/** Nothing listens there, or no route to it; a reset or anything else after connecting is an error. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

type FetchResult = { status: number; body: string } | { failure: 'timeout' | 'unreachable' | 'error'; detail: string };

function getFacts(url: URL, token: string, timeoutMs: number): Promise<FetchResult> {
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const req = request(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy();
          resolve({ failure: 'error', detail: `answer larger than ${MAX_BODY_BYTES} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => resolve(classifyRequestError(error, signal, timeoutMs)));
    });
    req.on('error', (error) => resolve(classifyRequestError(error, signal, timeoutMs)));
    req.end();
  });
}

function classifyRequestError(error: Error, signal: AbortSignal, timeoutMs: number): FetchResult {
  if (signal.aborted) return { failure: 'timeout', detail: `no answer within ${timeoutMs} ms` };
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ETIMEDOUT') return { failure: 'timeout', detail: `${code}: ${error.message}` };
  if (UNREACHABLE_CODES.has(code)) return { failure: 'unreachable', detail: `${code}: ${error.message}` };
  return { failure: 'error', detail: code ? `${code}: ${error.message}` : error.message };
}

async function askAgent(node: NodeFact, options: FetchNodeAgentsOptions): Promise<NodeAgentFact> {
  const address = options.address ? options.address(node) : node.internalIP;
  if (!address) return { node: node.name, status: 'unreachable', detail: 'the node has no InternalIP to reach its agent at' };
  const family = isIP(address);
  if (family === 0) return { node: node.name, status: 'error', detail: `agent address "${address}" is not an IP address` };
  const url = new URL(`http://${family === 6 ? `[${address}]` : address}:${options.port}/facts`);
  for (const service of servicesQuery(options.services)) url.searchParams.append('service', service);

  const result = await getFacts(url, options.token, options.timeoutMs);
  if ('failure' in result) return { node: node.name, status: result.failure, detail: `${url.host}: ${result.detail}` };
  if (result.status === 401 || result.status === 403) {
    return { node: node.name, status: 'unauthorized', detail: `${url.host} answered ${result.status}: the agent token differs from ours` };
  }
  if (result.status !== 200) {
    return { node: node.name, status: 'error', detail: `${url.host} answered HTTP ${result.status}: ${result.body.slice(0, 200)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    return { node: node.name, status: 'error', detail: `${url.host} answered something that is not JSON: ${result.body.slice(0, 80)}` };
  }
  const parsed = nodeKernelFactsSchema.safeParse(body);
  if (!parsed.success) {
    return { node: node.name, status: 'error', detail: `${url.host} answered JSON that is not node facts: ${describeZodError(parsed.error)}` };
  }
  return { node: node.name, status: 'ok', facts: parsed.data };
}

/** `ip:port/protocol` per distinct address, IPv6 bracketed; invalid ones are left out (the agent would answer 400). */
function servicesQuery(services: FetchNodeAgentsOptions['services']): string[] {
  const seen = new Set<string>();
  for (const { ip, port, protocol } of services ?? []) {
    const family = isIP(ip);
    if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    seen.add(`${family === 6 ? `[${ip}]` : ip}:${port}/${protocol.toLowerCase()}`);
  }
  return [...seen].slice(0, MAX_SERVICES_PER_REQUEST);
}

/**
 * Fetch kernel facts from the agents on `nodeNames` (in that order). Names with no NodeFact
 * come back as `error` so the caller sees every node it asked about.
 */
export async function fetchNodeAgents(nodes: NodeFact[], nodeNames: string[], opts: FetchNodeAgentsOptions): Promise<NodeAgentFact[]> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new Error(`agent port must be 1–65535 (got ${opts.port})`);
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error(`agent timeoutMs must be positive (got ${opts.timeoutMs})`);
  const byName = new Map(nodes.map((node) => [node.name, node]));
  return mapWithConcurrency([...new Set(nodeNames)], opts.concurrency ?? DEFAULT_AGENT_CONCURRENCY, async (name) => {
    const node = byName.get(name);
    if (!node) return { node: name, status: 'error', detail: `node ${name} is not among the nodes read from the API` };
    return askAgent(node, opts);
  });
}

export interface TransferOptions {
  port: number;
  token: string;
  /** Whole-request deadline; the agents get a little less for the transfer itself. */
  timeoutMs: number;
  bytes: number;
  /** Where to reach a node's agent; defaults to the node's InternalIP. */
  address?: (node: NodeFact) => string | undefined;
}

/** Below this the agent's own stall window (2 s) would not fit inside the deadline. */
const MIN_TRANSFER_TIMEOUT_MS = 1_000;
const TRANSFER_MARGIN_MS = 500;
const MAX_AGENT_TRANSFER_TIMEOUT_MS = 30_000;

/**
 * Ask `from`'s agent to fetch `bytes` from `to`'s agent (GET /transfer → peer's /bulk). Never
 * throws: an agent that cannot be asked becomes outcome 'error' with the reason. `from` and `to`
 * in the result are the Kubernetes node names, whatever the agents call themselves.
 */
export async function transferBetween(from: NodeFact, to: NodeFact, options: TransferOptions): Promise<TransferProbeFact> {
  const started = performance.now();
  const failed = (detail: string, outcome: TransferProbeFact['outcome'] = 'error'): TransferProbeFact => ({
    from: from.name,
    to: to.name,
    bytes: options.bytes,
    received: 0,
    outcome,
    detail,
    ms: Math.round(performance.now() - started),
  });
  try {
    const fromAddress = options.address ? options.address(from) : from.internalIP;
    const toAddress = options.address ? options.address(to) : to.internalIP;
    if (!fromAddress) return failed(`node ${from.name} has no InternalIP to reach its agent at`, 'skipped');
    if (!toAddress) return failed(`node ${to.name} has no InternalIP to reach its agent at`, 'skipped');
    const fromFamily = isIP(fromAddress);
    const toFamily = isIP(toAddress);
    if (fromFamily === 0) return failed(`agent address "${fromAddress}" of ${from.name} is not an IP address`);
    if (toFamily === 0) return failed(`agent address "${toAddress}" of ${to.name} is not an IP address`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) return failed(`agent port must be 1–65535 (got ${options.port})`);
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) return failed(`transfer timeoutMs must be positive (got ${options.timeoutMs})`);

    const agentTimeout = Math.min(MAX_AGENT_TRANSFER_TIMEOUT_MS, Math.max(MIN_TRANSFER_TIMEOUT_MS, options.timeoutMs - TRANSFER_MARGIN_MS));
    const url = new URL(`http://${fromFamily === 6 ? `[${fromAddress}]` : fromAddress}:${options.port}/transfer`);
    url.searchParams.set('peer', `${toFamily === 6 ? `[${toAddress}]` : toAddress}:${options.port}`);
    url.searchParams.set('bytes', String(options.bytes));
    url.searchParams.set('timeoutMs', String(agentTimeout));

    const result = await getFacts(url, options.token, Math.max(options.timeoutMs, agentTimeout + TRANSFER_MARGIN_MS));
    if ('failure' in result) return failed(`asking ${from.name}'s agent (${url.host}): ${result.detail}`);
    if (result.status === 401 || result.status === 403) return failed(`${from.name}'s agent (${url.host}) answered ${result.status}: the agent token differs from ours`);
    if (result.status !== 200) return failed(`${from.name}'s agent (${url.host}) answered HTTP ${result.status}: ${result.body.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(result.body);
    } catch {
      return failed(`${from.name}'s agent (${url.host}) answered something that is not JSON: ${result.body.slice(0, 80)}`);
    }
    const parsed = transferSchema.safeParse(body);
    if (!parsed.success) return failed(`${from.name}'s agent (${url.host}) answered JSON that is not a transfer: ${describeZodError(parsed.error)}`);
    return { ...parsed.data, from: from.name, to: to.name };
  } catch (error) {
    return failed(`transfer from ${from.name} to ${to.name} failed: ${(error as Error).message}`);
  }
}

const podProbeSchema = z.union([
  z.object({
    netns: z.string(),
    results: z.array(
      z.object({
        ip: z.string(),
        port: z.number().int(),
        outcome: z.enum(['connected', 'refused', 'timeout', 'unreachable', 'error', 'skipped']),
        detail: z.string().optional(),
        ms: z.number(),
      }),
    ),
  }),
  z.object({ unknown: z.string() }),
]);

export type PodProbeAnswer = z.infer<typeof podProbeSchema>;

/**
 * Ask the agent on the client pod's node to run TCP connects from inside that pod's network
 * namespace (the opt-in /probe). Never throws: anything but an answer is `unknown` with the reason.
 */
export async function probeFromPodVia(
  node: NodeFact,
  podIP: string,
  targets: readonly { ip: string; port: number }[],
  options: { port: number; token: string; timeoutMs: number; probeTimeoutMs: number },
): Promise<PodProbeAnswer> {
  const address = node.internalIP;
  if (!address || isIP(address) === 0) return { unknown: `unknown, because node ${node.name} has no InternalIP to reach its agent at` };
  const host = isIP(address) === 6 ? `[${address}]` : address;
  const url = new URL(`http://${host}:${options.port}/probe`);
  url.searchParams.set('pod', podIP);
  url.searchParams.set('timeoutMs', String(options.probeTimeoutMs));
  for (const t of targets) url.searchParams.append('target', isIP(t.ip) === 6 ? `[${t.ip}]:${t.port}` : `${t.ip}:${t.port}`);
  const result = await getFacts(url, options.token, options.timeoutMs + options.probeTimeoutMs);
  if ('failure' in result) return { unknown: `unknown, because ${node.name}'s agent did not answer the pod probe (${result.detail})` };
  if (result.status !== 200) return { unknown: `unknown, because ${node.name}'s agent answered HTTP ${result.status} to the pod probe: ${result.body.slice(0, 200)}` };
  try {
    const parsed = podProbeSchema.safeParse(JSON.parse(result.body));
    return parsed.success ? parsed.data : { unknown: `unknown, because ${node.name}'s agent answered a pod probe netcheck cannot read: ${describeZodError(parsed.error)}` };
  } catch {
    return { unknown: `unknown, because ${node.name}'s agent answered the pod probe with something that is not JSON` };
  }
}

const resolveSchema = z.object({
  name: z.string(),
  server: z.string(),
  outcome: z.enum(['resolved', 'nxdomain', 'timeout', 'refused', 'servfail', 'error']),
  addresses: z.array(z.string()).optional(),
  detail: z.string().optional(),
  ms: z.number(),
});

/**
 * Ask `node`'s agent to resolve `name` through `server` from the node's own network (GET
 * /resolve). Never throws: an agent that cannot be asked is a skipped probe saying why, never a
 * DNS failure of the node.
 */
export async function resolveVia(
  node: NodeFact,
  server: { host: string; port: number },
  name: string,
  options: { port: number; token: string; timeoutMs: number; probeTimeoutMs: number; purpose?: Extract<DnsProbeFact['purpose'], 'node-resolve' | 'coredns-upstream'> },
): Promise<DnsProbeFact> {
  const serverText = isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  const purpose = options.purpose ?? 'node-resolve';
  const skipped = (detail: string): DnsProbeFact => ({ name, purpose, type: 'A', outcome: 'skipped', server: serverText, node: node.name, detail, ms: 0 });
  const address = node.internalIP;
  if (!address || isIP(address) === 0) return skipped(`node ${node.name} has no InternalIP to reach its agent at`);
  const url = new URL(`http://${isIP(address) === 6 ? `[${address}]` : address}:${options.port}/resolve`);
  url.searchParams.set('server', serverText);
  url.searchParams.set('name', name);
  url.searchParams.set('timeoutMs', String(options.probeTimeoutMs));
  const result = await getFacts(url, options.token, options.timeoutMs + options.probeTimeoutMs);
  if ('failure' in result) return skipped(`${node.name}'s agent did not answer (${result.detail})`);
  if (result.status !== 200) return skipped(`${node.name}'s agent answered HTTP ${result.status}: ${result.body.slice(0, 160)}`);
  try {
    const parsed = resolveSchema.safeParse(JSON.parse(result.body));
    if (!parsed.success) return skipped(`${node.name}'s agent answered a lookup netcheck cannot read: ${describeZodError(parsed.error)}`);
    const { outcome, addresses, detail, ms } = parsed.data;
    return {
      name,
      purpose,
      type: isIP(server.host) === 6 ? 'AAAA' : 'A',
      outcome,
      server: serverText,
      node: node.name,
      ...(addresses ? { addresses } : {}),
      ...(detail ? { detail } : {}),
      ms,
    };
  } catch {
    return skipped(`${node.name}'s agent answered the lookup with something that is not JSON`);
  }
}
