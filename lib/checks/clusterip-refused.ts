import { countEndpoints, endpointsReady } from './lib/endpoints.js';
import { defineProbeCheck } from './lib/probes.js';
import { serviceSlices } from './lib/service.js';

export default defineProbeCheck({
  code: 'clusterip-refused',
  title: 'ClusterIP connections are refused',
  passTitle: 'ClusterIP accepts connections',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-work-by-ip',
  role: 'clusterIP',
  outcomes: ['refused'],
  describe(failing, _all, svc, facts) {
    const { ready } = countEndpoints(serviceSlices(facts, svc));
    const target = failing[0];
    const where = target ? `${target.ip}:${target.port}` : 'the ClusterIP';
    const because =
      ready === 0
        ? 'because the service has no ready endpoints (kube-proxy rejects with RST)'
        : `although ${endpointsReady(ready)}: the pods refuse on the targetPort, or kube-proxy has not synced the endpoints`;
    return `ClusterIP ${where} of ${svc.namespace}/${svc.name} refuses connections ${because}`;
  },
  remediation(_failing, svc) {
    return `kubectl -n ${svc.namespace} get endpointslices -l kubernetes.io/service-name=${svc.name} -o wide   # compare endpoint ports with what the pods listen on`;
  },
});
