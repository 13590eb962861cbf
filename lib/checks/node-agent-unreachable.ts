import { finding, skipped } from './lib/finding.js';
import { agentFailureReason } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding, Subject } from '../model/index.js';
import { nodesInScope } from '../scope/path.js';

const check: Check = {
  code: 'node-agent-unreachable',
  title: 'Node agent did not answer',
  passTitle: 'Node agents answered',
  layer: 'access',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#node-shell-session',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  run(facts: Facts): Finding[] {
    if (facts.nodeAgents.length === 0) {
      return [skipped(check, 'No node agents were queried: kernel checks (ip_forward, bridge netfilter, conntrack, MTU, routes) are unknown.')];
    }
    // Not deploying the agent is a choice, not a fault: say what is unknown without raising a warning.
    if (facts.nodeAgents.every((a) => a.status === 'not-deployed')) {
      return [skipped(check, `No node agent is deployed (${facts.nodeAgents[0]?.detail ?? 'not configured'}): kernel checks are unknown.`)];
    }
    const scope = nodesInScope(facts);
    const reported = new Set(facts.nodeAgents.map((a) => a.node));
    const failed = facts.nodeAgents.filter((a) => a.status !== 'ok' || !a.facts);
    const silent = scope.nodes.filter((n) => !reported.has(n));
    if (failed.length === 0 && silent.length === 0) {
      return [finding(check, { status: 'pass', detail: `The agents on ${[...reported].sort().join(', ')} answered.` })];
    }
    const reasons = [...failed.map(agentFailureReason), ...silent.map((n) => `unknown, because no agent was queried on ${n}`)];
    const nodes = [...failed.map((a) => a.node), ...silent];
    const unauthorized = failed.filter((a) => a.status === 'unauthorized');
    return [
      finding(check, {
        status: 'warn',
        title: `Node agent on ${nodes.join(', ')} did not answer`,
        detail: `Kernel checks (ip_forward, bridge netfilter, conntrack, MTU, routes) for ${nodes.join(', ')} are skipped — ${reasons.join('; ')}.`,
        evidence: failed.map((a) => `agent on ${a.node}: ${a.status}${a.detail ? ` (${a.detail})` : ''}`),
        remediation: [
          ...nodes.map((n) => `kubectl get pods -A -o wide --field-selector spec.nodeName=${n} | grep netcheck-agent`),
          ...(unauthorized.length ? ['# the worker and the agents must mount the same token Secret: kubectl get secret netcheck-agent-token'] : []),
        ].join('\n'),
        subjects: nodes.map((name): Subject => ({ kind: 'node', name })),
      }),
    ];
  },
};

export default check;
