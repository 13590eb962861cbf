import { request } from 'node:http';
import { isIP } from 'node:net';
import * as z from 'zod';
import { mapWithConcurrency } from './probes.js';
import type { NodeAgentFact, NodeFact, NodeKernelFacts } from '../model/index.js';

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
}

const DEFAULT_AGENT_CONCURRENCY = 32;
/** Facts of one node are a few KB; anything this large is not an agent answering. */
const MAX_BODY_BYTES = 1024 * 1024;

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
      kind: z.enum(['primary', 'cni', 'other']),
      up: z.boolean().optional(),
    }),
  ),
  routes: z.array(z.object({ destination: z.string(), gateway: z.string().optional(), device: z.string().optional() })),
  unknown: z.record(z.string(), z.string()),
  readAt: z.string(),
}) satisfies z.ZodType<NodeKernelFacts>;

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
