import { isEndpointReady } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import type { Check } from './types.js';
import type { Facts, Finding, Subject } from '../model/index.js';
import { targetEndpointSlices, targetService } from '../scope/path.js';

/** Nodes with at least one ready endpoint of the target (ready:null counts as ready, per the API). */
function nodesWithReadyEndpoint(facts: Facts): Set<string> {
  const nodes = new Set<string>();
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) {
      if (isEndpointReady(endpoint) && endpoint.nodeName) nodes.add(endpoint.nodeName);
    }
  }
  return nodes;
}

const check: Check = {
  code: 'nodeport-no-local-endpoints',
  title: 'externalTrafficPolicy Local drops traffic on nodes without endpoints',
  passTitle: 'NodePort traffic has local endpoints',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip',
  appliesTo: ['svc'],
  run(facts: Facts): Finding[] {
    const service = targetService(facts);
    if (!service || (service.type !== 'NodePort' && service.type !== 'LoadBalancer')) {
      return [skipped(check, 'Not applicable: the target is not a NodePort or LoadBalancer Service.')];
    }
    const ref = `${service.namespace}/${service.name}`;
    if (service.externalTrafficPolicy !== 'Local') {
      return [passed(check, facts, () => ({ detail: `${ref} uses externalTrafficPolicy Cluster: every node forwards to any endpoint.` }))];
    }
    const unknown = unreadable(facts, 'nodes') ?? unreadable(facts, 'endpointslices', service.namespace);
    if (unknown) return [skipped(check, unknown)];
    if (facts.nodes.length === 0) return [skipped(check, 'unknown, because no nodes were listed')];
    const withEndpoint = nodesWithReadyEndpoint(facts);
    const without = facts.nodes.map((n) => n.name).filter((n) => !withEndpoint.has(n));
    const nodePorts = service.ports.map((p) => p.nodePort).filter((p): p is number => p !== undefined);
    const portText = nodePorts.length ? `NodePort ${nodePorts.join(', ')}` : 'its NodePort';
    const evidence = [
      `kubectl -n ${service.namespace} get svc ${service.name} -o jsonpath='{.spec.externalTrafficPolicy}': Local`,
      `nodes with a ready local endpoint: ${[...withEndpoint].sort().join(', ') || 'none'}`,
      `nodes without: ${without.join(', ') || 'none'}`,
    ];
    const subjects: Subject[] = [{ kind: 'service', name: service.name, namespace: service.namespace }, ...without.map((name): Subject => ({ kind: 'node', name }))];
    if (withEndpoint.size === 0) {
      return [
        finding(check, {
          status: 'fail',
          detail: `${ref} has externalTrafficPolicy Local and no node has a ready local endpoint: every node drops traffic on ${portText}${service.type === 'LoadBalancer' ? ' and fails the load balancer health check' : ''}.`,
          evidence,
          remediation: `Make the pods ready (kubectl -n ${service.namespace} get pods -o wide), or, if client source IPs need not be preserved:\nkubectl -n ${service.namespace} patch svc ${service.name} -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'`,
          subjects,
        }),
      ];
    }
    if (without.length === 0) {
      return [passed(check, facts, () => ({ detail: `Every node has a ready local endpoint of ${ref}.`, evidence }))];
    }
    // A cloud load balancer health-checks healthCheckNodePort and skips nodes without endpoints by design;
    // clients hitting a NodePort directly get no such protection.
    if (service.type === 'LoadBalancer') {
      return [
        passed(check, facts, () => ({
          detail: `${ref} has externalTrafficPolicy Local: the load balancer sends traffic only to ${[...withEndpoint].sort().join(', ')}; ${without.join(', ')} fail its health check by design.`,
          evidence,
        })),
      ];
    }
    return [
      finding(check, {
        status: 'warn',
        detail: `${ref} has externalTrafficPolicy Local: connections to ${portText} on ${without.join(', ')} are dropped because those nodes have no ready local endpoint; only ${[...withEndpoint].sort().join(', ')} ${withEndpoint.size === 1 ? 'answers' : 'answer'}.`,
        evidence,
        remediation: `Send clients only to ${[...withEndpoint].sort().join(', ')}, spread the pods to every node (a DaemonSet, or topologySpreadConstraints), or:\nkubectl -n ${service.namespace} patch svc ${service.name} -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'`,
        subjects,
      }),
    ];
  },
};

export default check;
