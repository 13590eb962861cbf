import { countEndpoints } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { kubectlPatch, serviceSlices, serviceSubject } from './lib/service.js';
import type { Check } from './types.js';
import type { Facts, Finding } from '../model/index.js';
import { targetService } from '../scope/path.js';

// sessionAffinity: ClientIP pins each client address to one endpoint. Traffic that reaches the
// Service SNATed — NodePort/LoadBalancer traffic with externalTrafficPolicy Cluster is
// masqueraded to the receiving node's address — arrives from a handful of addresses, so all of
// it lands on one or two pods while the others idle: nothing fails, the load just never spreads.

const check: Check = {
  code: 'session-affinity-behind-snat',
  title: 'sessionAffinity ClientIP behind SNAT pins traffic to few pods',
  passTitle: 'Session affinity sees real client addresses (or is off)',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/reference/networking/virtual-ips/#session-affinity',
  appliesTo: ['svc'],
  run(facts: Facts): Finding[] {
    const svc = targetService(facts);
    if (!svc || svc.type === 'ExternalName') return [skipped(check, 'Not applicable: no Service with endpoints to balance.')];
    const ref = `${svc.namespace}/${svc.name}`;
    if (svc.sessionAffinity !== 'ClientIP') return [passed(check, facts, () => ({ detail: `${ref} has no session affinity: kube-proxy spreads every connection.` }))];
    const external = svc.type === 'NodePort' || svc.type === 'LoadBalancer';
    if (!external || svc.externalTrafficPolicy === 'Local') {
      return [
        passed(check, facts, () => ({
          detail: external
            ? `${ref} has sessionAffinity ClientIP with externalTrafficPolicy Local: client addresses are preserved, so affinity sees each client.`
            : `${ref} has sessionAffinity ClientIP and is reached in-cluster, where clients keep their pod addresses.`,
        })),
      ];
    }
    const { ready } = countEndpoints(serviceSlices(facts, svc));
    if (ready <= 1) return [passed(check, facts, () => ({ detail: `${ref} has sessionAffinity ClientIP but ${ready} ready endpoint: there is nothing to spread.` }))];
    return [
      finding(check, {
        status: 'warn',
        title: `${ref}: sessionAffinity ClientIP behind SNAT pins traffic to few of ${ready} pods`,
        detail: `${ref} (${svc.type}) has sessionAffinity ClientIP and externalTrafficPolicy Cluster: kube-proxy masquerades external traffic to the receiving node's address, so every client entering through one node sticks to one pod and most of the ${ready} ready pods get little or nothing. Behind a proxy or load balancer that SNATs, it is the same.`,
        evidence: [
          `kubectl -n ${svc.namespace} get svc ${svc.name} -o jsonpath='{.spec.sessionAffinity} {.spec.externalTrafficPolicy}': ClientIP Cluster`,
          `${ready} ready endpoints`,
        ],
        remediation: `Preserve client addresses (${kubectlPatch(svc.namespace, `svc ${svc.name}`, { spec: { externalTrafficPolicy: 'Local' } })}), or drop the affinity and keep sessions in the application:\n${kubectlPatch(svc.namespace, `svc ${svc.name}`, { spec: { sessionAffinity: 'None' } })}`,
        subjects: [serviceSubject(svc)],
      }),
    ];
  },
};

export default check;
