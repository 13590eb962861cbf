// Node-agent facts for the kernel checks: what each node's agent read (or why it is unknown),
// judged per node, turned into one finding per check that names the nodes on and off the path.
import { nodesInScope, serviceAddressesOnPath, type PathServiceAddress } from '../../scope/path.js';
import type { Check } from '../types.js';
import { finding, skipped } from './finding.js';
import { symptomNodes } from './subjects.js';
import type { Facts, Finding, NodeAgentFact, NodeKernelFacts, Subject, TcpProbeFact } from '../../model/index.js';

export type AgentReading = { node: string; known: true; facts: NodeKernelFacts } | { node: string; known: false; reason: string };

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

export type NodeJudgement = { state: 'problem'; evidence: string; severity?: 'warn' | 'fail' } | { state: 'ok'; evidence: string } | { state: 'unknown'; reason: string };

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
export function kernelFinding(check: Check, facts: Facts, assessment: KernelAssessment, texts: KernelTexts): Finding {
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
  // A symptom that names no node at all may have crossed any node of the target's path.
  const candidates = named.size > 0 ? named : new Set(nodesInScope(facts).nodes);
  return [...candidates].some((n) => bad.has(n));
}

/**
 * Probes that timed out with their packets crossing `node`: from the probe source's node, to a
 * pod on it, or to a ClusterIP whose endpoints it hosts. A node fact that only might drop
 * traffic (a DROP policy that a CNI rule may precede) is confirmed by these.
 */
export function timeoutsThrough(facts: Facts, node: string): TcpProbeFact[] {
  if (!facts.probes.enabled) return [];
  const fromHere = facts.probes.source?.node === node;
  const endpointNodes = new Set(nodesInScope(facts).nodes);
  return facts.probes.tcp.filter(
    (p) => (p.outcome === 'timeout' || p.outcome === 'unreachable') && (fromHere || p.node === node || (p.role === 'clusterIP' && endpointNodes.has(node))),
  );
}

/**
 * What each node of the path reported about each ClusterIP address on it: `pick` finds the
 * reading (kube-proxy's rules, conntrack entries) or returns a reason it is unknown.
 */
export function readingsPerAddress<T>(
  facts: Facts,
  pick: (kernel: NodeKernelFacts, address: PathServiceAddress, node: string) => T | { unknown: string },
): { readings: { node: string; address: PathServiceAddress; value: T }[]; unknown: string[] } {
  const addresses = serviceAddressesOnPath(facts);
  const result = { readings: [] as { node: string; address: PathServiceAddress; value: T }[], unknown: [] as string[] };
  for (const node of nodesInScope(facts).nodes) {
    const reading = agentReading(facts, node);
    if (!reading.known) {
      result.unknown.push(reading.reason);
      continue;
    }
    for (const address of addresses) {
      const value = pick(reading.facts, address, node);
      if (value && typeof value === 'object' && 'unknown' in value) result.unknown.push(value.unknown);
      else result.readings.push({ node, address, value: value as T });
    }
  }
  return result;
}
