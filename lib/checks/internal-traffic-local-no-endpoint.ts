import { isEndpointReady } from './lib/endpoints.js';
import { unreadable } from './lib/access.js';
import { finding, passed, skipped } from './lib/finding.js';
import { kubectlPatch, nodeSubject, serviceSubject } from './lib/service.js';
import type { Check } from './types.js';
import type { Facts, Finding, NodeFact, Subject } from '../model/index.js';
import { targetEndpointSlices, targetService } from '../scope/path.js';

// internalTrafficPolicy: Local keeps in-cluster traffic on the client's node. A client on a node
// with no ready endpoint gets nothing: kube-proxy DROPs the packets ("has no local endpoints")
// rather than rejecting them, so clients time out instead of failing fast (kubernetes#121371).

function nodesWithReadyEndpoint(facts: Facts): Set<string> {
  const nodes = new Set<string>();
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) if (isEndpointReady(endpoint) && endpoint.nodeName) nodes.add(endpoint.nodeName);
  }
  return nodes;
}

/** A node no ordinary pod lands on (cordoned, NoSchedule/NoExecute taint) hosts no clients to strand. */
function takesPods(node: NodeFact): boolean {
  return !node.unschedulable && !node.taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

const check: Check = {
  code: 'internal-traffic-local-no-endpoint',
  title: 'internalTrafficPolicy Local drops traffic from nodes without an endpoint',
  passTitle: 'In-cluster clients have a local endpoint (or the policy is Cluster)',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/service-traffic-policy/',
  appliesTo: ['svc'],
  explains: ['clusterip-timeout', 'conntrack-unreplied'],
  run(facts: Facts): Finding[] {
    const service = targetService(facts);
    if (!service || service.type === 'ExternalName' || service.clusterIP === 'None') {
      return [skipped(check, 'Not applicable: the target has no ClusterIP for kube-proxy to route.')];
    }
    const ref = `${service.namespace}/${service.name}`;
    if (service.internalTrafficPolicy !== 'Local') {
      return [passed(check, facts, () => ({ detail: `${ref} uses internalTrafficPolicy Cluster: every node forwards to any ready endpoint.` }))];
    }
    const unknown = unreadable(facts, 'nodes') ?? unreadable(facts, 'endpointslices', service.namespace);
    if (unknown) return [skipped(check, unknown)];
    if (facts.nodes.length === 0) return [skipped(check, 'unknown, because no nodes were listed')];
    const withEndpoint = nodesWithReadyEndpoint(facts);
    // With no ready endpoint anywhere kube-proxy rejects instead of dropping: no-ready-endpoints' case.
    if (withEndpoint.size === 0)
      return [skipped(check, `Not judged: ${ref} has no ready endpoint on any node (see no-ready-endpoints); kube-proxy rejects rather than drops then.`)];
    const local = [...withEndpoint].sort();
    const without = facts.nodes.filter((n) => !withEndpoint.has(n.name) && takesPods(n)).map((n) => n.name);
    const sourceNode = facts.probes.enabled ? facts.probes.source?.node : undefined;
    const evidence = [
      `kubectl -n ${service.namespace} get svc ${service.name} -o jsonpath='{.spec.internalTrafficPolicy}': Local`,
      `nodes with a ready endpoint: ${local.join(', ') || 'none'}`,
      `nodes that take pods and have none: ${without.join(', ') || 'none'}`,
      ...(sourceNode ? [`the probe source runs on ${sourceNode}`] : []),
    ];
    const remediation = [
      `Run a ready endpoint on every node that has clients (a DaemonSet, or topologySpreadConstraints), or let clients use any node's endpoint:`,
      kubectlPatch(service.namespace, `svc ${service.name}`, { spec: { internalTrafficPolicy: 'Cluster' } }),
    ].join('\n');
    const subjects = (nodes: string[]): Subject[] => [serviceSubject(service), ...nodes.map(nodeSubject)];

    if (sourceNode) {
      if (withEndpoint.has(sourceNode)) {
        return [
          passed(check, facts, () => ({
            detail: `${ref} has internalTrafficPolicy Local and the client's node ${sourceNode} has a ready endpoint${without.length ? `; clients on ${without.join(', ')} would time out (no endpoint there)` : ''}.`,
            evidence,
          })),
        ];
      }
      return [
        finding(check, {
          status: 'fail',
          title: `${ref} drops traffic from ${sourceNode}: internalTrafficPolicy Local and no endpoint there`,
          detail: `${ref} has internalTrafficPolicy Local and the client's node ${sourceNode} has no ready endpoint, so kube-proxy there drops its connections (no reject: clients time out); only clients on ${local.join(', ')} reach it.`,
          evidence,
          remediation,
          subjects: subjects([sourceNode]),
        }),
      ];
    }
    if (without.length === 0) return [passed(check, facts, () => ({ detail: `Every node that takes pods has a ready endpoint of ${ref}.`, evidence }))];
    return [
      finding(check, {
        status: 'warn',
        title: `${ref} drops traffic from ${without.join(', ')}: internalTrafficPolicy Local`,
        detail: `${ref} has internalTrafficPolicy Local: pods on ${without.join(', ')} time out connecting to it, because those nodes have no ready endpoint; only ${local.join(', ')} ${local.length === 1 ? 'has' : 'have'} one (the client's node is unknown).`,
        evidence,
        remediation,
        subjects: subjects(without),
      }),
    ];
  },
};

export default check;
