import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { symptomNodes } from './lib/subjects.js';
import type { Check } from './types.js';
import type { Facts, Finding, NodeFact, Subject } from '../model/index.js';
import { nodesInScope } from '../scope/path.js';

function notReadyNodes(facts: Facts): NodeFact[] {
  const scope = new Set(nodesInScope(facts).nodes);
  return facts.nodes.filter((n) => scope.has(n.name) && n.ready !== true);
}

function describeReady(node: NodeFact): string {
  const state = node.ready === null ? 'Unknown' : node.ready ? 'True' : 'False';
  const reason = [node.readyReason, node.readyMessage].filter(Boolean).join(': ');
  return `kubectl get node ${node.name}: Ready=${state}${reason ? ` (${reason})` : ''}`;
}

const check: Check = {
  code: 'node-not-ready',
  title: 'Node is not Ready',
  passTitle: 'Nodes are Ready',
  layer: 'node',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-cluster/#example-debugging-a-down-unreachable-node',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'no-ready-endpoints', 'pods-not-ready'],
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const broken = new Set(notReadyNodes(facts).map((n) => n.name));
    const nodes = symptomNodes(symptom, facts);
    return nodes.size === 0 ? symptom.code === 'no-ready-endpoints' && broken.size > 0 : [...nodes].some((n) => broken.has(n));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'nodes');
    if (unknown) return [skipped(check, unknown)];
    const scope = nodesInScope(facts);
    if (scope.nodes.length === 0) return [skipped(check, `Nothing to check: no ${scope.description}.`)];
    const known = new Set(facts.nodes.map((n) => n.name));
    const missing = scope.nodes.filter((n) => !known.has(n));
    const broken = notReadyNodes(facts);
    if (broken.length > 0) {
      const unknown = broken.filter((n) => n.ready === null);
      const detail = broken
        .map((n) =>
          n.ready === null
            ? `${n.name} is Ready=Unknown: its kubelet stopped posting status (node down, kubelet stopped, or cut off from the API server)`
            : `${n.name} is NotReady${n.readyReason ? ` (${[n.readyReason, n.readyMessage].filter(Boolean).join(': ')})` : ''}`,
        )
        .join('; ');
      return [
        finding(check, {
          status: 'fail',
          title: `Node ${broken.map((n) => n.name).join(', ')} is not Ready`,
          detail: `${detail}. Pods on it stop receiving traffic and are evicted after the toleration timeout (${scope.description}).`,
          evidence: broken.map(describeReady),
          remediation: broken
            .flatMap((n) => [
              `kubectl describe node ${n.name}`,
              ...(unknown.includes(n)
                ? [`# on ${n.name}: systemctl status kubelet && journalctl -u kubelet --since -15m`]
                : [`# on ${n.name}: journalctl -u kubelet --since -15m | grep -iE 'not ready|network|cni'`]),
            ])
            .join('\n'),
          subjects: broken.map((n): Subject => ({ kind: 'node', name: n.name })),
        }),
      ];
    }
    if (missing.length > 0) {
      return [skipped(check, `unknown, because ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not among the listed nodes`)];
    }
    return [
      finding(check, {
        status: 'pass',
        detail: `All ${scope.description} are Ready (${scope.nodes.join(', ')}).`,
        evidence: facts.nodes.filter((n) => scope.nodes.includes(n.name)).map(describeReady),
      }),
    ];
  },
};

export default check;
