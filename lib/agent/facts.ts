import { readCniConfig } from './cni-config.js';
import { readConntrackEntries } from './conntrack.js';
import { readNetfilter, type NetfilterSnapshot } from './netfilter.js';
import { readNodeFacts, type NodeFactsRoots } from './node-facts.js';
import type { ServiceAddress } from './service-address.js';
import type { ToolRunner } from './tools.js';
import type { NodeKernelFacts } from '../model/index.js';

// Everything one GET /facts answers: the kernel settings, netfilter, and for the Service
// addresses asked about, kube-proxy's rules and the conntrack entries towards them.

export interface AgentFactsRequest {
  services: readonly ServiceAddress[];
}

export interface AgentFactsOptions extends NodeFactsRoots {
  run?: ToolRunner;
  /** Per tool call. */
  toolTimeoutMs?: number;
  /** Directory standing in for /etc/cni/net.d. */
  cniConfDir?: string;
}

export type ReadAgentFacts = (request: AgentFactsRequest) => Promise<NodeKernelFacts>;

export async function readAgentFacts(request: AgentFactsRequest, options: AgentFactsOptions = {}): Promise<NodeKernelFacts> {
  const node = await readNodeFacts(options);
  const tools = { ...(options.run ? { run: options.run } : {}), ...(options.toolTimeoutMs ? { timeoutMs: options.toolTimeoutMs } : {}) };
  const [netfilter, conntrack, cniConfig] = await Promise.all([
    readNetfilter({ ...tools, ...(options.procRoot ? { procRoot: options.procRoot } : {}), interfaceNames: node.interfaces.map((iface) => iface.name) }),
    readConntrackEntries(request.services, tools),
    readCniConfig(options.cniConfDir ? { dir: options.cniConfDir } : {}),
  ]);
  const serviceRules = await netfilter.serviceRules(request.services);
  return { ...withNetfilter(node, netfilter, serviceRules, conntrack.entries, conntrack.unknown), cniConfig };
}

function withNetfilter(
  node: NodeKernelFacts,
  netfilter: NetfilterSnapshot,
  serviceRules: NodeKernelFacts['serviceRules'],
  conntrackEntries: NodeKernelFacts['conntrackEntries'],
  conntrackUnknown: Record<string, string>,
): NodeKernelFacts {
  return {
    ...node,
    netfilter: netfilter.facts,
    serviceRules: serviceRules ?? [],
    conntrackEntries: conntrackEntries ?? [],
    unknown: { ...node.unknown, ...netfilter.unknown, ...conntrackUnknown },
  };
}
