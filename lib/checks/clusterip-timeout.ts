import { countEndpoints, endpointsReady } from './lib/endpoints.js';
import { defineProbeCheck, nodesOf } from './lib/probes.js';
import { serviceSlices } from './lib/service.js';

export default defineProbeCheck({
  code: 'clusterip-timeout',
  title: 'ClusterIP connections time out',
  passTitle: 'ClusterIP answers',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-the-kube-proxy-working',
  role: 'clusterIP',
  outcomes: ['timeout', 'unreachable'],
  describe(failing, _all, svc, facts) {
    const { ready } = countEndpoints(serviceSlices(facts, svc));
    const target = failing[0];
    const where = target ? `${target.ip}:${target.port}` : 'the ClusterIP';
    const kind = failing.every((p) => p.outcome === 'unreachable') ? 'is unreachable (no route: kube-proxy rules missing?)' : 'times out (SYN unanswered)';
    const because =
      ready > 0 ? `although ${endpointsReady(ready)}: kube-proxy rules, forwarding on the node, or a NetworkPolicy drop the traffic` : 'and the service has no ready endpoints';
    return `ClusterIP ${where} of ${svc.namespace}/${svc.name} ${kind} ${because}`;
  },
  remediation(failing) {
    const nodes = nodesOf(failing);
    const node = nodes[0] ? ` --field-selector spec.nodeName=${nodes[0]}` : '';
    return `kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide${node}   # then check its logs and the node's ip_forward`;
  },
});
