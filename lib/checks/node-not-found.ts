import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { nodeSubject } from './lib/service.js';
import type { Check } from './types.js';
import { closeMatches, type Facts, type Finding } from '../model/index.js';

// `netcheck node node-9` on a cluster without node-9 must say so, not report its kube-proxy and
// CNI as broken: the other node checks find nothing on a node that is not there.

const check: Check = {
  code: 'node-not-found',
  title: 'Node not found',
  passTitle: 'Node exists',
  layer: 'object',
  docs: 'https://kubernetes.io/docs/concepts/architecture/nodes/',
  appliesTo: ['node'],
  explains: ['kube-proxy-unhealthy', 'cni-unhealthy', 'node-agent-unreachable', 'node-not-ready'],
  run(facts: Facts): Finding[] {
    if (facts.target.kind !== 'node') return [skipped(check, 'the job names no node')];
    const name = facts.target.name;
    const unknown = unreadable(facts, 'nodes');
    if (unknown) return [skipped(check, unknown)];
    if (facts.nodes.some((n) => n.name === name)) return [finding(check, { status: 'pass', detail: `node ${name} exists`, subjects: [nodeSubject(name)] })];
    const names = facts.nodes.map((n) => n.name);
    const close = closeMatches(name, names);
    const known = close.length
      ? `did you mean ${close.join(', ')}?`
      : names.length
        ? `the cluster's nodes: ${names.slice(0, 10).join(', ')}${names.length > 10 ? `, … (${names.length})` : ''}`
        : 'the cluster lists no nodes';
    return [
      finding(check, {
        status: 'fail',
        title: `Node ${name} not found`,
        detail: `Node ${name} does not exist in this cluster — ${known}`,
        evidence: [`kubectl get node ${name} → NotFound`, `kubectl get nodes → ${names.length} nodes`],
        remediation: close[0] ? `netcheck node ${close[0]}` : 'kubectl get nodes -o wide',
        subjects: [nodeSubject(name)],
      }),
    ];
  },
};

export default check;
