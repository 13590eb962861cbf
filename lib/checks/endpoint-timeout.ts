import { defineProbeCheck, nodesOf } from './lib/probes.js';

export default defineProbeCheck({
  code: 'endpoint-timeout',
  title: 'Endpoint connections time out',
  passTitle: 'Endpoints answer',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#are-the-pods-working',
  role: 'endpoint',
  outcomes: ['timeout', 'unreachable'],
  explains: ['clusterip-timeout'],
  describe(failing, all, svc) {
    const nodes = nodesOf(failing);
    const onNodes = nodes.length ? ` on ${nodes.join(', ')}` : '';
    return `${failing.length} of ${all.length} endpoints of ${svc.namespace}/${svc.name}${onNodes} time out (SYN unanswered): packets are dropped on the way — node forwarding, CNI routes or a NetworkPolicy, not the application`;
  },
  remediation(failing, svc) {
    const nodes = nodesOf(failing);
    const node = nodes[0];
    return node
      ? `netcheck node ${node}   # checks ip_forward, bridge-nf-call-iptables and CNI routes on the node; NetworkPolicies: kubectl -n ${svc.namespace} get networkpolicy`
      : `kubectl -n ${svc.namespace} get networkpolicy   # a policy selecting the pods may drop the traffic`;
  },
});
