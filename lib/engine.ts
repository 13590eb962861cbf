import type { KubeConfig } from '@kubernetes/client-node';
import { runChecks } from './checks/index.js';
import { nodesInScope } from './checks/lib/nodes.js';
import type { Facts, NodeAgentFact, Target } from './facts/types.js';
import { fetchNodeAgents } from './gather/agents.js';
import { gatherClusterByNamespace, gatherObjects } from './gather/kube.js';
import { runProbes, type ProbeOptions } from './gather/probes.js';
import type { ObjectFacts } from './gather/types.js';
import { ClusterSweep } from './summary/sweep.js';
import type { SweepReport } from './summary/types.js';
import { buildReport } from './verdict/verdict.js';
import type { Report } from './verdict/types.js';

// The one diagnosis engine behind the worker, the CLI and local mode:
// gather (API + probes + agents) → checks → verdict.

export interface AgentAccess {
  port: number;
  token: string;
  timeoutMs: number;
}

export interface EngineDeps {
  kc: KubeConfig;
  probes: ProbeOptions;
  /** Undefined when no agent token is configured: kernel checks then say why they are unknown. */
  agents?: AgentAccess;
  /** Progress for long runs (CLI spinner); never required. */
  onPhase?: (phase: 'gather' | 'probe' | 'check') => void;
}

async function gatherAgents(objects: ObjectFacts, target: Target, deps: EngineDeps): Promise<NodeAgentFact[]> {
  // Ask exactly the nodes the kernel checks will look at (endpoint and backend-pod nodes, DNS pod
  // nodes, or all), so none of them reads "unknown" for want of a question.
  const names = nodesInScope({ ...objects, target, collectedAt: '', probes: { enabled: false, tcp: [], dns: [] }, nodeAgents: [] }).nodes;
  if (!deps.agents) {
    return names.map((node) => ({ node, status: 'not-deployed', detail: 'no node-agent token configured (NETCHECK_AGENT_TOKEN / --agent-token)' }));
  }
  return fetchNodeAgents(objects.nodes, names, deps.agents);
}

export async function gatherFacts(target: Target, deps: EngineDeps): Promise<Facts> {
  deps.onPhase?.('gather');
  const objects = await gatherObjects(deps.kc, target, { probeNamespace: deps.probes.source?.namespace });
  deps.onPhase?.('probe');
  const [probes, nodeAgents] = await Promise.all([runProbes(objects, target, deps.probes), gatherAgents(objects, target, deps)]);
  return { ...objects, target, collectedAt: new Date().toISOString(), probes, nodeAgents };
}

export async function diagnose(target: Target, deps: EngineDeps): Promise<Report> {
  const startedAt = new Date();
  const facts = await gatherFacts(target, deps);
  deps.onPhase?.('check');
  const findings = runChecks(facts);
  return buildReport(facts, findings, { startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() });
}

/** Cluster sweep: API-level checks for every service, cluster components once, agents on every node. */
export async function sweep(cluster: string, deps: EngineDeps): Promise<SweepReport> {
  const startedAt = new Date().toISOString();
  const target: Target = { kind: 'cluster', cluster };
  deps.onPhase?.('gather');
  // The services are checked namespace by namespace while the pods arrive; what needs the agents
  // and probes (the cluster-level checks) runs in finish().
  const sweeper = new ClusterSweep({ cluster, startedAt });
  const objects = await gatherClusterByNamespace(deps.kc, sweeper);
  deps.onPhase?.('probe');
  // Probing 10k ClusterIPs would dominate a sweep; it keeps to DNS, which every service depends on.
  const [probes, nodeAgents] = await Promise.all([runProbes(objects, target, deps.probes), gatherAgents(objects, target, deps)]);
  deps.onPhase?.('check');
  return sweeper.finish({ nodeAgents, dnsProbes: probes.dns });
}
