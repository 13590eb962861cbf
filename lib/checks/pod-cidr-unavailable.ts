import { unreadable } from './lib/access.js';
import { detectCni } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { symptomNodes } from './lib/subjects.js';
import type { Check } from './types.js';
import { eventLine, eventsAbout, plural, type EventFact, type Facts, type Finding, type NodeFact, type Subject } from '../model/index.js';
import { nodesInScope } from '../scope/path.js';

// A node without a pod CIDR cannot give its pods addresses when the cluster allocates CIDRs per
// node (kube-controller-manager --allocate-node-cidrs: Flannel, Calico host-local, kindnet,
// kubenet): the node-ipam-controller says CIDRNotAvailable when the cluster CIDR is used up.
// Clusters whose CNI hands out addresses itself (AWS VPC CNI, Cilium cluster-pool) leave every
// node without spec.podCIDR, by design: only a node that lacks one while others have one, or the
// controller's own event, is a finding.

const CIDR_REASONS = new Set(['CIDRNotAvailable', 'CIDRAssignmentFailed']);

interface Broken {
  node: NodeFact;
  /** Whether other nodes have a spec.podCIDR while this one has none. */
  missing: boolean;
  events: EventFact[];
}

function brokenNodes(facts: Facts, names: readonly string[]): Broken[] {
  const allocating = facts.nodes.some((n) => n.podCIDRs.length > 0);
  const broken: Broken[] = [];
  // A sweep asks about every node: one pass over the nodes and the events, not one per node.
  const byName = new Map(facts.nodes.map((n) => [n.name, n]));
  const cidrEvents = facts.events && { ...facts.events, items: facts.events.items.filter((e) => e.involvedObject.kind === 'Node' && CIDR_REASONS.has(e.reason)) };
  for (const name of names) {
    const node = byName.get(name);
    if (!node) continue;
    const events = cidrEvents?.items.length ? eventsAbout(cidrEvents, 'Node', name) : [];
    const missing = allocating && node.podCIDRs.length === 0;
    // An event from before the node got its CIDR is history, not a fault.
    if (missing || (events.length > 0 && node.podCIDRs.length === 0)) broken.push({ node, missing, events });
  }
  return broken;
}

const check: Check = {
  code: 'pod-cidr-unavailable',
  title: 'Node has no pod CIDR',
  passTitle: 'Nodes have their pod CIDRs',
  layer: 'node',
  docs: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/',
  appliesTo: ['svc', 'node', 'dns', 'cluster'],
  explains: [
    'pods-not-ready',
    'pod-network-setup-failed',
    'cni-unhealthy',
    'node-network-unavailable',
    'no-ready-endpoints',
    'endpoint-timeout',
    'clusterip-timeout',
    'pod-cidr-route-missing',
  ],
  explainsFinding(cause: Finding, symptom: Finding, facts: Facts): boolean {
    const broken = new Set(cause.subjects.filter((s) => s.kind === 'node').map((s) => s.name));
    const nodes = symptomNodes(symptom, facts);
    return [...nodes].some((n) => broken.has(n));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'nodes');
    if (unknown) return [skipped(check, unknown)];
    const scope = nodesInScope(facts);
    if (scope.nodes.length === 0) return [skipped(check, `Nothing to check: no ${scope.description}.`)];
    const broken = brokenNodes(facts, scope.nodes);
    if (broken.length === 0) {
      const allocating = facts.nodes.some((n) => n.podCIDRs.length > 0);
      const eventsNote = facts.events?.unknown ? ` (node events unknown: ${facts.events.unknown})` : '';
      return [
        finding(check, {
          status: 'pass',
          detail: allocating
            ? `Every node in scope has a spec.podCIDR (${scope.description}).${eventsNote}`
            : `No node has a spec.podCIDR: ${detectCni(facts.systemDaemonSets)?.name ?? 'the CNI'} assigns pod addresses itself, so none is needed.${eventsNote}`,
        }),
      ];
    }
    const names = broken.map((b) => b.node.name);
    const withCidr = facts.nodes.filter((n) => n.podCIDRs.length > 0).length;
    const exhausted = broken.some((b) => b.events.some((e) => e.reason === 'CIDRNotAvailable'));
    const cni = detectCni(facts.systemDaemonSets);
    const evidence = [
      ...broken.map((b) => `kubectl get node ${b.node.name} -o jsonpath='{.spec.podCIDR}': <none>`),
      ...(withCidr ? [`${plural(withCidr, 'other node')} of ${facts.nodes.length} have one`] : []),
      ...broken.flatMap((b) => b.events.slice(0, 2).map((e) => eventLine(e))),
    ];
    const subjects = names.map((name): Subject => ({ kind: 'node', name }));
    return [
      finding(check, {
        // The controller's own word is certain; a CIDR still missing may be one being allocated.
        status: exhausted || broken.some((b) => b.events.length > 0) ? 'fail' : 'warn',
        title: `${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no pod CIDR`,
        detail:
          `${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no spec.podCIDR` +
          (exhausted ? ': the node-ipam-controller reports CIDRNotAvailable — the cluster CIDR has no free block left for it' : ' while other nodes have one') +
          `, so pods scheduled there get no address${cni ? ` (${cni.name} allocates from the node's pod CIDR)` : ''} and stay in ContainerCreating.`,
        evidence,
        remediation: [
          `kubectl get nodes -o custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR`,
          exhausted
            ? '# the cluster CIDR (kube-controller-manager --cluster-cidr) is used up at --node-cidr-mask-size per node: remove dead nodes, or add a cluster CIDR (networking.k8s.io ServiceCIDR / ClusterCIDR) or a wider --cluster-cidr'
            : `kubectl -n kube-system logs -l component=kube-controller-manager --tail=100 | grep -i cidr   # why ${names[0]} got none`,
          ...names.map((n) => `kubectl cordon ${n}   # until it has a pod CIDR, so no new pods land there`),
        ].join('\n'),
        subjects,
      }),
    ];
  },
};

export default check;
