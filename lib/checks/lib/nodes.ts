import type { EndpointSliceFact, Facts, NodeAgentFact, NodeKernelFacts, PodFact } from '../../facts/types.js';
import type { Check, Finding, Subject } from '../types.js';
import { finding, skipped } from './finding.js';
import { matchesLabels } from './labels.js';
import { targetService } from './service.js';
import { compareText } from './text.js';

/**
 * "unknown, because listing pods in shop failed (403: …)" when a list the check depends on was
 * refused; an error on a cluster-wide list covers every namespace.
 */
export function unreadable(facts: Facts, resource: string, namespace?: string): string | null {
  const error = facts.accessErrors.find(
    (e) => e.resource === resource && (e.namespace === undefined || namespace === undefined || e.namespace === namespace),
  );
  if (!error) return null;
  return `unknown, because ${error.verb === 'get' ? 'reading' : 'listing'} ${resource}${error.namespace ? ` in ${error.namespace}` : ''} failed (${error.status}: ${error.message})`;
}

export function targetEndpointSlices(facts: Facts): EndpointSliceFact[] {
  const service = targetService(facts);
  if (!service) return [];
  return facts.endpointSlices.filter((s) => s.namespace === service.namespace && s.serviceName === service.name);
}

/**
 * Pods behind the target Service: those its EndpointSlices point at, plus those its selector
 * matches (a pod on a NotReady node may already have left the ready endpoints but still matters).
 */
export function backendPods(facts: Facts): PodFact[] {
  const cached = backendPodsCache.get(facts);
  if (cached) return cached;
  const pods = findBackendPods(facts);
  backendPodsCache.set(facts, pods);
  return pods;
}

/** Facts are read-only while checks run; every node and policy check asks for the same pods. */
const backendPodsCache = new WeakMap<Facts, PodFact[]>();

/** A lookup whose map is built on the first call: most callers never need it. */
function lazyIndex(pods: PodFact[], keyOf: (pod: PodFact) => string | undefined): (key: string) => PodFact | undefined {
  let index: Map<string, PodFact> | undefined;
  return (key) => {
    if (!index) {
      index = new Map();
      for (const pod of pods) {
        const k = keyOf(pod);
        if (k !== undefined) index.set(k, pod);
      }
    }
    return index.get(key);
  };
}

function findBackendPods(facts: Facts): PodFact[] {
  const service = targetService(facts);
  if (!service) return [];
  const sameNamespace = (p: PodFact) => p.namespace === service.namespace;
  // A sweep's view holds one namespace's pods already: no copy then.
  const inNamespace = facts.pods.every(sameNamespace) ? facts.pods : facts.pods.filter(sameNamespace);
  // Endpoints nearly always name their pod; the IP index is for those that do not.
  const podNamed = lazyIndex(inNamespace, (p) => p.name);
  const podAt = lazyIndex(inNamespace, (p) => p.podIP || undefined);
  const pods: PodFact[] = [];
  const seen = new Set<string>();
  const add = (pod: PodFact) => {
    if (seen.has(pod.name)) return;
    seen.add(pod.name);
    pods.push(pod);
  };
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) {
      let pod = endpoint.targetRef?.kind === 'Pod' ? podNamed(endpoint.targetRef.name) : undefined;
      for (let i = 0; !pod && i < endpoint.addresses.length; i++) pod = podAt(endpoint.addresses[i] as string);
      if (pod) add(pod);
    }
  }
  if (service.selector) {
    for (const pod of inNamespace) {
      if (matchesLabels(service.selector, pod.labels) && !pod.deletionTimestamp) add(pod);
    }
  }
  // Slices list replicas in name order as a rule: checking that is cheaper than sorting.
  for (let i = 1; i < pods.length; i++) {
    if (compareText((pods[i - 1] as PodFact).name, (pods[i] as PodFact).name) > 0) return pods.sort((a, b) => compareText(a.name, b.name));
  }
  return pods;
}

/** Nodes that host endpoints (or selected pods) of the target Service. */
export function nodesHostingEndpoints(facts: Facts): string[] {
  const nodes = new Set<string>();
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) if (endpoint.nodeName) nodes.add(endpoint.nodeName);
  }
  for (const pod of backendPods(facts)) if (pod.nodeName) nodes.add(pod.nodeName);
  return [...nodes].sort();
}

function nodesHostingClusterDns(facts: Facts): string[] {
  const nodes = new Set<string>();
  for (const slice of facts.dns?.endpointSlices ?? []) {
    for (const endpoint of slice.endpoints) if (endpoint.nodeName) nodes.add(endpoint.nodeName);
  }
  for (const pod of facts.systemPods) {
    if (pod.labels['k8s-app'] === 'kube-dns' && pod.nodeName) nodes.add(pod.nodeName);
  }
  return [...nodes].sort();
}

export interface NodeScope {
  nodes: string[];
  /** Why these nodes, for detail text: "nodes hosting endpoints of shop/payments". */
  description: string;
}

/** The nodes on the target's data path: endpoint nodes (svc), the node itself, cluster DNS nodes, or all nodes. */
export function nodesInScope(facts: Facts): NodeScope {
  const { target } = facts;
  switch (target.kind) {
    case 'svc':
      return { nodes: nodesHostingEndpoints(facts), description: `nodes hosting endpoints of ${target.namespace}/${target.name}` };
    case 'node':
      return { nodes: target.name ? [target.name] : [], description: `node ${target.name}` };
    case 'dns':
      return { nodes: nodesHostingClusterDns(facts), description: 'nodes hosting cluster DNS pods' };
    case 'cluster':
      return { nodes: facts.nodes.map((n) => n.name).sort(), description: 'all nodes' };
  }
}

/** Nodes a symptom finding is about: its node subjects plus the nodes of its pod subjects. */
export function symptomNodes(symptom: Finding, facts: Facts): Set<string> {
  const nodes = new Set<string>();
  for (const subject of symptom.subjects) {
    if (subject.kind === 'node') nodes.add(subject.name);
    if (subject.kind === 'pod') {
      const pod = facts.pods.find((p) => p.name === subject.name && (!subject.namespace || p.namespace === subject.namespace));
      if (pod?.nodeName) nodes.add(pod.nodeName);
    }
  }
  return nodes;
}

export type AgentReading =
  | { node: string; known: true; facts: NodeKernelFacts }
  | { node: string; known: false; reason: string };

/** Kernel facts of one node, or why they are unknown ("unknown, because the agent on node-2 did not answer"). */
export function agentReading(facts: Facts, node: string): AgentReading {
  const agent = facts.nodeAgents.find((a) => a.node === node);
  if (!agent) return { node, known: false, reason: `unknown, because no node agent reported for ${node}` };
  if (agent.status !== 'ok' || !agent.facts) return { node, known: false, reason: agentFailureReason(agent) };
  return { node, known: true, facts: agent.facts };
}

export function agentFailureReason(agent: NodeAgentFact): string {
  const suffix = agent.detail ? ` (${agent.detail})` : '';
  switch (agent.status) {
    case 'timeout':
    case 'unreachable':
      return `unknown, because the agent on ${agent.node} did not answer${suffix}`;
    case 'unauthorized':
      return `unknown, because the agent on ${agent.node} rejected our token${suffix}`;
    case 'not-deployed':
      return `unknown, because no node agent is deployed on ${agent.node}${suffix}`;
    case 'error':
      return `unknown, because the agent on ${agent.node} answered with an error${suffix}`;
    case 'ok':
      return `unknown, because the agent on ${agent.node} sent no facts`;
  }
}

/** Every node we have kernel facts for or should have: agent nodes plus in-scope nodes. */
export function nodesForKernelChecks(facts: Facts): { onPath: Set<string>; all: string[] } {
  const onPath = new Set(nodesInScope(facts).nodes);
  const all = new Set<string>([...onPath, ...facts.nodeAgents.map((a) => a.node)]);
  return { onPath, all: [...all].sort() };
}

export type NodeJudgement =
  | { state: 'problem'; evidence: string; severity?: 'warn' | 'fail' }
  | { state: 'ok'; evidence: string }
  | { state: 'unknown'; reason: string };

export type NodeAssessment = NodeJudgement & { node: string; onPath: boolean };

export interface KernelAssessment {
  /** Problems on nodes of the target's path (severity as judged, default fail). */
  onPath: NodeAssessment[];
  /** Problems on other nodes: reported as warn, "not on this service's path". */
  offPath: NodeAssessment[];
  /** In-scope nodes whose facts are unknown; off-path unknowns are not worth a mention. */
  unknown: NodeAssessment[];
  ok: NodeAssessment[];
  /** Set when no agent reported at all: every kernel check is unknown. */
  noAgents?: string;
}

/** Judge one kernel fact on every node we have (or should have) agent facts for. */
export function assessKernel(facts: Facts, judge: (kernel: NodeKernelFacts, node: string) => NodeJudgement): KernelAssessment {
  const result: KernelAssessment = { onPath: [], offPath: [], unknown: [], ok: [] };
  if (facts.nodeAgents.length === 0) {
    result.noAgents = 'unknown, because no node agent reported (is the netcheck agent DaemonSet deployed?)';
    return result;
  }
  if (facts.nodeAgents.every((a) => a.status === 'not-deployed')) {
    const detail = facts.nodeAgents[0]?.detail;
    result.noAgents = `unknown, because no node agent is deployed${detail ? ` (${detail})` : ''}`;
    return result;
  }
  const { onPath, all } = nodesForKernelChecks(facts);
  for (const node of all) {
    const reading = agentReading(facts, node);
    const judgement: NodeJudgement = reading.known ? judge(reading.facts, node) : { state: 'unknown', reason: reading.reason };
    const assessment: NodeAssessment = { ...judgement, node, onPath: onPath.has(node) };
    if (judgement.state === 'problem') (assessment.onPath ? result.onPath : result.offPath).push(assessment);
    else if (judgement.state === 'unknown') {
      if (assessment.onPath) result.unknown.push(assessment);
    } else result.ok.push(assessment);
  }
  return result;
}

/** A kernel fact that is null: "unknown, because …" from the agent, or a generic reason. */
export function unknownFact(kernel: NodeKernelFacts, field: string, node: string): NodeJudgement {
  return { state: 'unknown', reason: kernel.unknown[field] ?? `unknown, because the agent on ${node} could not read ${field}` };
}

export function problemEvidence(assessments: NodeAssessment[]): string[] {
  return assessments.map((a) => (a.state === 'problem' || a.state === 'ok' ? a.evidence : `${a.node}: ${a.reason}`));
}

const REASONS_SHOWN = 5;

/** Why nodes are unknown, at most a few reasons so a 500-node sweep stays readable. */
function summariseReasons(unknown: NodeAssessment[]): string {
  const reasons = unknown.map((u) => (u.state === 'unknown' ? u.reason : `unknown on ${u.node}`));
  const shown = reasons.slice(0, REASONS_SHOWN).join('; ');
  return reasons.length > REASONS_SHOWN ? `${shown}; and ${reasons.length - REASONS_SHOWN} more nodes` : shown;
}

export interface KernelTexts {
  /** Detail and fix for problems on these nodes; `onPath` tells whether they carry the target's traffic. */
  problem(nodes: NodeAssessment[], onPath: boolean): { detail: string; remediation: string };
  pass: string;
}

/** One finding per kernel check: fail/warn on the target's path, warn elsewhere, skip when unknown, else pass. */
export function kernelFinding(check: Pick<Check, 'code' | 'title' | 'docs'>, facts: Facts, assessment: KernelAssessment, texts: KernelTexts): Finding {
  if (assessment.noAgents) return skipped(check, assessment.noAgents);
  const { onPath, offPath, unknown } = assessment;
  const scope = nodesInScope(facts).description;
  const unknownNote = unknown.length ? ` Also ${summariseReasons(unknown)}.` : '';
  const problems = [...onPath, ...offPath];
  const subjects = problems.map((a): Subject => ({ kind: 'node', name: a.node }));
  if (onPath.length > 0) {
    const main = texts.problem(onPath, true);
    const other = offPath.length ? texts.problem(offPath, false) : null;
    const worst = onPath.some((a) => a.state === 'problem' && (a.severity ?? 'fail') === 'fail') ? 'fail' : 'warn';
    return finding(check, {
      status: worst,
      detail: `${main.detail}${other ? ` Elsewhere (not on this path): ${other.detail}` : ''}${unknownNote}`,
      evidence: [...problemEvidence(problems), ...problemEvidence(unknown)],
      remediation: other ? `${main.remediation}\n${other.remediation}` : main.remediation,
      subjects,
    });
  }
  if (offPath.length > 0) {
    const text = texts.problem(offPath, false);
    return finding(check, {
      status: 'warn',
      detail: `${text.detail} ${offPath.length === 1 ? 'That node is' : 'Those nodes are'} not on this ${facts.target.kind === 'svc' ? "service's" : "target's"} path (${scope}).${unknownNote}`,
      evidence: [...problemEvidence(offPath), ...problemEvidence(unknown)],
      remediation: text.remediation,
      subjects,
    });
  }
  if (unknown.length > 0) return skipped(check, summariseReasons(unknown));
  return finding(check, { status: 'pass', detail: texts.pass, evidence: problemEvidence(assessment.ok) });
}

/** Node causes explain symptoms on the nodes where the fact is bad and that carry the target's traffic. */
export function explainsOnBadNodes(facts: Facts, symptom: Finding, assessment: KernelAssessment): boolean {
  const bad = new Set(assessment.onPath.map((a) => a.node));
  const named = symptomNodes(symptom, facts);
  // A ClusterIP symptom names no node: its traffic goes to any of the target's endpoint nodes.
  const candidates = named.size > 0 ? named : new Set(nodesInScope(facts).nodes);
  return [...candidates].some((n) => bad.has(n));
}
