import type { KubeConfig } from '@kubernetes/client-node';
import { explains, runChecks } from './checks/index.js';
import { fetchNodeAgents, probeFromPodVia, resolveVia, transferBetween } from './gather/agents.js';
import { gatherClusterByNamespace, gatherObjects } from './gather/kube.js';
import { externalProbeName, localAddresses, probeSource, runProbes, type ProbeOptions } from './gather/probes.js';
import type { ObjectFacts } from './gather/types.js';
import { isIP } from 'node:net';
import {
  applySilences,
  isSystemNamespace,
  labelsFromFacts,
  outsideScopeReason,
  type AnyReport,
  type DnsProbeFact,
  type Facts,
  type NamespaceVisibility,
  type NodeAgentFact,
  type ProbeSource,
  type ReadScope,
  type Report,
  type Silence,
  type SweepReport,
  type Target,
  type TransferProbeFact,
} from './model/index.js';
import { externalUpstreams } from './scope/corefile.js';
import { dnsPathNodes, nodesHostingClusterDns, nodesInScope, serviceAddressesOnPath } from './scope/path.js';
import { silenceSweep } from './summary/silence.js';
import { ClusterSweep, probeFlagged } from './summary/sweep.js';
import { buildReport } from './verdict/verdict.js';

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
  /** Known problems to mark silenced (config file, chart, Slack's Silence button). */
  silences?: { list: readonly Silence[]; channel?: string };
  /**
   * The namespaces the report may show (the access policy's scope of the channel it is posted
   * to): suggestions, other namespaces' objects and sweep results outside it are dropped at the
   * gather, before any check or renderer sees them. Unset: everything (the CLI, your own kubeconfig).
   */
  visible?: NamespaceVisibility;
  /**
   * Namespaced mode (the chart's rbac.scope=namespaced): the only namespaces netcheck may read.
   * The gatherers read per namespace and what lies outside is unknown. Unset: cluster-wide.
   */
  readScope?: ReadScope;
  /** Progress for long runs (CLI spinner); never required. */
  onPhase?: (phase: 'gather' | 'probe' | 'check') => void;
}

const NO_AGENT_TOKEN = 'no node-agent token configured (NETCHECK_AGENT_TOKEN / --agent-token)';
/** More than a jumbo frame many times over, small enough to cost milliseconds on a healthy path. */
const TRANSFER_BYTES = 256 * 1024;
const MAX_TRANSFER_PEERS = 3;
/**
 * A sweep diagnoses at most this many flagged services in full, this many at a time: each costs
 * a single diagnosis (about a dozen API reads, its probes, its path's agents), and the slowest
 * job must stay well inside the queue's visibility timeout.
 */
export const SWEEP_PROBE_LIMIT = 20;
const SWEEP_PROBE_CONCURRENCY = 4;

/** The gathered objects with the target and the probe source: what scope planning reads. */
type Planned = ObjectFacts & { target: Target; probes: { source?: ProbeSource } };

async function gatherAgents(scope: Planned, deps: EngineDeps): Promise<NodeAgentFact[]> {
  // Ask exactly the nodes the kernel checks will look at, so none of them reads "unknown" for
  // want of a question, and ask them about the Service addresses the path uses.
  const names = nodesInScope(scope).nodes;
  if (!deps.agents) return names.map((node) => ({ node, status: 'not-deployed', detail: NO_AGENT_TOKEN }));
  const services = serviceAddressesOnPath(scope).map(({ ip, port, protocol }) => ({ ip, port, protocol }));
  return fetchNodeAgents(scope.nodes, names, { ...deps.agents, services });
}

/**
 * Bulk transfers both ways between the probe source's node and the nodes at the other end
 * (endpoints, or DNS pods), through the agents: a handshake passes an MTU black hole, bytes do not.
 */
async function runTransfers(scope: Planned, deps: EngineDeps): Promise<TransferProbeFact[]> {
  const { target, nodes } = scope;
  const source = scope.probes.source;
  if (!deps.probes.enabled || target.kind === 'cluster' || target.kind === 'node') return [];
  const skipped = (detail: string): TransferProbeFact[] => [{ from: source?.node ?? '', to: '', bytes: TRANSFER_BYTES, received: 0, outcome: 'skipped', detail, ms: 0 }];
  if (!deps.agents) return skipped(NO_AGENT_TOKEN);
  const here = source?.node;
  if (!here) return skipped("the probe source's node is unknown");
  const far = (target.kind === 'dns' ? dnsPathNodes(scope) : nodesInScope(scope).nodes).filter((n) => n !== here).slice(0, MAX_TRANSFER_PEERS);
  const node = (name: string) => nodes.find((n) => n.name === name);
  const from = node(here);
  if (!from) return skipped(`node ${here} is not in the node list`);
  if (far.length === 0) return skipped(`the source and the other end share node ${here}`);
  const access = { ...deps.agents, bytes: TRANSFER_BYTES, timeoutMs: Math.max(deps.agents.timeoutMs, 4_000) };
  const pairs = far.flatMap((name) => {
    const peer = node(name);
    return peer ? [transferBetween(from, peer, access), transferBetween(peer, from, access)] : [];
  });
  return Promise.all(pairs);
}

/** Nodes asked to resolve at most: the source's, the DNS pods', then the others in name order. */
const MAX_RESOLVING_NODES = 10;

/**
 * kubernetes.default resolved through kube-dns from the nodes' own network by their agents (dns
 * and node jobs): a node that cannot resolve breaks DNS for its pods while lookups from elsewhere
 * succeed (goldpinger#46). Without agents nothing is asked: the check says why.
 */
async function runNodeResolves(scope: Planned, deps: EngineDeps): Promise<DnsProbeFact[]> {
  const { target } = scope;
  if (!deps.probes.enabled || !deps.agents || (target.kind !== 'dns' && target.kind !== 'node')) return [];
  const service = scope.dns?.service;
  const host = deps.probes.dnsServer?.host ?? service?.clusterIP;
  if (!host || isIP(host) === 0) return [];
  const udp = service?.ports.find((p) => p.protocol === 'UDP' && p.name === 'dns') ?? service?.ports.find((p) => p.protocol === 'UDP');
  const server = { host, port: deps.probes.dnsServer?.port ?? udp?.port ?? 53 };
  const first = target.kind === 'node' ? [target.name] : dnsPathNodes(scope);
  const names = [...new Set([...first, ...(target.kind === 'dns' ? scope.nodes.map((n) => n.name).sort() : [])])].slice(0, MAX_RESOLVING_NODES);
  const agents = deps.agents;
  const name = `kubernetes.default.svc.${deps.probes.clusterDomain}`;
  return Promise.all(
    names.flatMap((n) => {
      const node = scope.nodes.find((candidate) => candidate.name === n);
      return node ? [resolveVia(node, server, name, { port: agents.port, token: agents.token, timeoutMs: agents.timeoutMs, probeTimeoutMs: deps.probes.timeoutMs })] : [];
    }),
  );
}

/** CoreDNS nodes and upstreams asked at most: a handful of each tells a dead upstream from a node that cannot reach it. */
const MAX_UPSTREAM_NODES = 4;
const MAX_UPSTREAMS = 4;

/**
 * The Corefile's `forward .` upstreams asked directly, from each CoreDNS pod's node by its agent
 * (dns jobs): where CoreDNS's own forwarded queries leave from. Loopback, TLS and resolv.conf
 * targets are not asked; the check says so.
 */
async function runUpstreamResolves(scope: Planned, deps: EngineDeps): Promise<DnsProbeFact[]> {
  const text = scope.dns?.corefile?.text;
  if (!deps.probes.enabled || !deps.agents || scope.target.kind !== 'dns' || text === undefined) return [];
  const upstreams = externalUpstreams(text)
    .flatMap((u) => ('ip' in u ? [u] : []))
    .slice(0, MAX_UPSTREAMS);
  const agents = deps.agents;
  const name = externalProbeName(
    deps.probes,
    scope.target,
    scope.namespaces.map((n) => n.name),
  );
  const nodes = nodesHostingClusterDns(scope)
    .slice(0, MAX_UPSTREAM_NODES)
    .flatMap((n) => scope.nodes.filter((candidate) => candidate.name === n));
  return Promise.all(
    nodes.flatMap((node) =>
      upstreams.map((u) =>
        resolveVia(node, { host: u.ip, port: u.port }, name, {
          port: agents.port,
          token: agents.token,
          timeoutMs: agents.timeoutMs,
          probeTimeoutMs: deps.probes.timeoutMs,
          purpose: 'coredns-upstream',
        }),
      ),
    ),
  );
}

/**
 * With --probe-in-pod and a --from client: the TCP probes run inside the client pod's network
 * namespace, through the agent on its node, so they meet exactly what the client's packets meet.
 */
function podProbing(
  objects: ObjectFacts,
  source: ProbeSource | undefined,
  deps: EngineDeps,
): { source: ProbeSource; connectMany: NonNullable<ProbeOptions['connectMany']> } | undefined {
  const pod = source?.pod;
  const node = objects.nodes.find((n) => n.name === source?.node);
  if (!deps.probes.inPod || !deps.agents || !source || !pod?.ip || !node) return undefined;
  const agents = deps.agents;
  const podIP = pod.ip;
  return {
    source: { ...source, description: `pod ${pod.namespace}/${pod.name} (probes ran inside its network namespace, through ${node.name}'s agent)` },
    connectMany: async (targets) => {
      const answer = await probeFromPodVia(node, podIP, targets, { port: agents.port, token: agents.token, timeoutMs: agents.timeoutMs, probeTimeoutMs: deps.probes.timeoutMs });
      return 'unknown' in answer ? answer : answer.results;
    },
  };
}

/** Not one API read succeeded for a network reason: there is nothing to diagnose, only that to say. */
export class ClusterUnreachableError extends Error {}

function assertReachable(objects: ObjectFacts): void {
  const errors = objects.accessErrors;
  const readSomething = objects.nodes.length + objects.namespaces.length + objects.services.length + objects.pods.length > 0;
  if (errors.length === 0 || readSomething || !errors.every((e) => e.status === 0)) return;
  throw new ClusterUnreachableError(`cannot reach the Kubernetes API server: ${errors[0]?.message ?? 'no answer'} (${errors.length} reads failed; nothing was checked)`);
}

/**
 * Drops what the channel may not see: "same name in another namespace" suggestions and other
 * namespaces' pods (a node's pods, a probe source's). System components stay: every diagnosis
 * depends on cluster DNS, kube-proxy and the CNI, and their health is no tenant's secret.
 */
function withinScope(objects: ObjectFacts, visible: NamespaceVisibility): ObjectFacts {
  const labels = new Map(objects.namespaces.map((n) => [n.name, n.labels]));
  const sees = (namespace: string) => visible(namespace, labels.get(namespace));
  const kept = (namespace: string) => isSystemNamespace(namespace) || sees(namespace);
  return {
    ...objects,
    sameNameElsewhere: objects.sameNameElsewhere.filter((s) => sees(s.namespace)),
    namespaces: objects.namespaces.filter((n) => kept(n.name)),
    services: objects.services.filter((s) => kept(s.namespace)),
    pods: objects.pods.filter((p) => kept(p.namespace)),
    endpointSlices: objects.endpointSlices.filter((e) => kept(e.namespace)),
    networkPolicies: objects.networkPolicies.filter((p) => kept(p.namespace)),
  };
}

export async function gatherFacts(target: Target, deps: EngineDeps): Promise<Facts> {
  deps.onPhase?.('gather');
  const placeSource = deps.probes.enabled && !deps.probes.source?.node;
  const gathered = await gatherObjects(deps.kc, target, {
    probeNamespace: deps.probes.source?.namespace,
    ...(placeSource ? { sourceAddresses: [...localAddresses()] } : {}),
    ...(deps.readScope ? { readScope: deps.readScope } : {}),
  });
  assertReachable(gathered);
  const objects = deps.visible ? withinScope(gathered, deps.visible) : gathered;
  deps.onPhase?.('probe');
  const located = probeSource(objects, target, deps.probes);
  const inPod = podProbing(objects, located, deps);
  const source = inPod?.source ?? located;
  // One planning input for both: the scope caches (backend pods, target Service) are per object.
  const scope: Planned = { ...objects, target, probes: source ? { source } : {} };
  const [probed, nodeAgents, transfers, nodeResolves, upstreamResolves] = await Promise.all([
    runProbes(objects, target, { ...deps.probes, ...(source ? { source } : {}), ...(inPod ? { connectMany: inPod.connectMany } : {}) }),
    gatherAgents(scope, deps),
    runTransfers(scope, deps),
    runNodeResolves(scope, deps),
    runUpstreamResolves(scope, deps),
  ]);
  const agentLookups = [...nodeResolves, ...upstreamResolves];
  const probes = agentLookups.length ? { ...probed, dns: [...probed.dns, ...agentLookups] } : probed;
  return { ...objects, target, collectedAt: new Date().toISOString(), probes: transfers.length ? { ...probes, transfers } : probes, nodeAgents };
}

async function diagnose(target: Exclude<Target, { kind: 'cluster' }>, deps: EngineDeps): Promise<Report> {
  const startedAt = new Date();
  const facts = await gatherFacts(target, deps);
  deps.onPhase?.('check');
  const checked = runChecks(facts);
  const silencing = deps.silences
    ? applySilences(checked, deps.silences.list, { now: new Date(), labelsOf: labelsFromFacts(facts), ...(deps.silences.channel ? { channel: deps.silences.channel } : {}) })
    : undefined;
  const report = buildReport(facts, silencing?.findings ?? checked, { startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() }, explains);
  return silencing ? { ...report, silences: { silenced: silencing.silenced, expired: silencing.expired } } : report;
}

/**
 * Cluster sweep: API-level checks for every service, cluster components once, agents on every
 * node; then, with probes, the flagged services diagnosed in full (the same path as `svc`).
 */
async function sweep(target: Extract<Target, { kind: 'cluster' }>, deps: EngineDeps): Promise<SweepReport> {
  const startedAt = new Date().toISOString();
  deps.onPhase?.('gather');
  // The services are checked namespace by namespace while the pods arrive; what needs the agents
  // and probes (the cluster-level checks) runs in finish().
  const probeLimit = deps.probes.enabled ? SWEEP_PROBE_LIMIT : 0;
  const sweeper = new ClusterSweep({
    cluster: target.cluster,
    startedAt,
    probeLimit,
    ...(deps.probes.enabled ? {} : { unprobedReason: deps.probes.skipReason ?? 'probes disabled' }),
    ...(deps.visible ? { visible: deps.visible } : {}),
    ...(target.namespaces ? { namespaces: target.namespaces } : {}),
  });
  const objects = await gatherClusterByNamespace(deps.kc, sweeper, deps.readScope ? { readScope: deps.readScope } : {});
  assertReachable(objects);
  deps.onPhase?.('probe');
  // Probing 10k ClusterIPs would dominate a sweep; it keeps to DNS, which every service depends on.
  const [probes, nodeAgents] = await Promise.all([runProbes(objects, target, deps.probes), gatherAgents({ ...objects, target, probes: {} }, deps)]);
  deps.onPhase?.('check');
  const report = sweeper.finish({ nodeAgents, dnsProbes: probes.dns });
  const readScope = deps.readScope;
  const unseen = readScope ? { unseen: outsideScopeReason(readScope, 'the other namespaces, so their services were not swept, nor the cluster-wide network policies') } : {};
  const silenced = (swept: SweepReport) => {
    const scoped = { ...swept, ...unseen };
    return deps.silences ? silenceSweep(scoped, deps.silences.list, { now: new Date(), ...(deps.silences.channel ? { channel: deps.silences.channel } : {}) }) : scoped;
  };
  if (probeLimit === 0) return silenced(report);
  deps.onPhase?.('probe');
  // Silences apply once, to the finished sweep, so the probed services are diagnosed without them.
  const { onPhase: _quiet, silences: _once, ...single } = deps;
  const probed = await probeFlagged(sweeper, report, {
    limit: probeLimit,
    concurrency: SWEEP_PROBE_CONCURRENCY,
    diagnose: (service) => diagnose({ kind: 'svc', namespace: service.namespace, name: service.name, cluster: target.cluster }, single),
  });
  return silenced({ ...probed, durationMs: Math.max(0, Date.now() - Date.parse(startedAt)) });
}

/** Diagnose one target: a `cluster` target is a sweep, every other a causal diagnosis. */
export function run(target: Extract<Target, { kind: 'cluster' }>, deps: EngineDeps): Promise<SweepReport>;
export function run(target: Exclude<Target, { kind: 'cluster' }>, deps: EngineDeps): Promise<Report>;
export function run(target: Target, deps: EngineDeps): Promise<AnyReport>;
export function run(target: Target, deps: EngineDeps): Promise<AnyReport> {
  return target.kind === 'cluster' ? sweep(target, deps) : diagnose(target, deps);
}
