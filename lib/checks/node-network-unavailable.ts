import { detectCni } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { symptomNodes } from './lib/subjects.js';
import type { Check } from './types.js';
import type { Facts, Finding, NodeFact, Subject } from '../model/index.js';
import { nodesInScope } from '../scope/path.js';

function unavailableNodes(facts: Facts): NodeFact[] {
  const scope = new Set(nodesInScope(facts).nodes);
  return facts.nodes.filter((n) => scope.has(n.name) && n.networkUnavailable === true);
}

const check: Check = {
  code: 'node-network-unavailable',
  title: 'Node network is unavailable',
  passTitle: 'Node networks are configured',
  layer: 'node',
  docs: 'https://kubernetes.io/docs/reference/node/node-status/#condition',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'pods-not-ready', 'pod-network-setup-failed'],
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const broken = new Set(unavailableNodes(facts).map((n) => n.name));
    return [...symptomNodes(symptom, facts)].some((n) => broken.has(n));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'nodes');
    if (unknown) return [skipped(check, unknown)];
    const scope = nodesInScope(facts);
    if (scope.nodes.length === 0) return [skipped(check, `Nothing to check: no ${scope.description}.`)];
    const broken = unavailableNodes(facts);
    if (broken.length === 0) {
      const inScope = facts.nodes.filter((n) => scope.nodes.includes(n.name));
      if (inScope.length === 0) return [skipped(check, `unknown, because ${scope.nodes.join(', ')} ${scope.nodes.length === 1 ? 'is' : 'are'} not among the listed nodes`)];
      return [
        finding(check, {
          status: 'pass',
          detail: `NetworkUnavailable is not set on ${scope.description}.`,
          evidence: inScope.map((n) => `kubectl get node ${n.name}: NetworkUnavailable=${n.networkUnavailable === null ? '<not set by the CNI>' : 'False'}`),
        }),
      ];
    }
    const cni = detectCni(facts.systemDaemonSets);
    return [
      finding(check, {
        status: 'fail',
        title: `Network unavailable on ${broken.map((n) => n.name).join(', ')}`,
        detail:
          `${broken.map((n) => `${n.name} has NetworkUnavailable=True${n.networkUnavailableReason ? ` (${n.networkUnavailableReason})` : ''}`).join('; ')}: ` +
          `the ${cni ? cni.name : 'CNI'} has not configured pod networking (or routes) there, so pods on it are unreachable.`,
        evidence: broken.map(
          (n) =>
            `kubectl get node ${n.name} -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")]}': True${n.networkUnavailableReason ? `, reason ${n.networkUnavailableReason}` : ''}`,
        ),
        remediation: broken
          .map((n) => `kubectl describe node ${n.name}\nkubectl get pods -A -o wide --field-selector spec.nodeName=${n.name} | grep -iE 'flannel|calico|cilium|weave|canal'`)
          .join('\n'),
        subjects: broken.map((n): Subject => ({ kind: 'node', name: n.name })),
      }),
    ];
  },
};

export default check;
