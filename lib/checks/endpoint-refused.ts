import { defineProbeCheck } from './lib/probes.js';

export default defineProbeCheck({
  code: 'endpoint-refused',
  title: 'Endpoint connections are refused',
  passTitle: 'Endpoints accept connections',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#are-the-pods-working',
  role: 'endpoint',
  outcomes: ['refused'],
  explains: ['clusterip-refused'],
  describe(failing, all, svc) {
    const ports = [...new Set(failing.map((p) => p.port))].join(', ');
    return `${failing.length} of ${all.length} endpoints of ${svc.namespace}/${svc.name} refuse connections on port ${ports} (RST): the pod is reachable but nothing listens there`;
  },
  remediation(failing, svc) {
    const probe = failing.find((p) => p.pod) ?? failing[0];
    if (!probe?.pod) return `kubectl -n ${svc.namespace} get pods -o wide   # make the process listen on ${probe?.port ?? 'the targetPort'}`;
    return `kubectl -n ${svc.namespace} debug -it pod/${probe.pod} --image=busybox:1.36 -- netstat -ltn   # is anything listening on ${probe.port}? (bound to 127.0.0.1 only?)`;
  },
});
