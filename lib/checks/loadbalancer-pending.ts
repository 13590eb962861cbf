import { finding, passed, skipped } from './lib/finding.js';
import type { Check } from './types.js';
import type { Facts, Finding } from '../model/index.js';
import { targetService } from '../scope/path.js';

// Cloud load balancers usually get an address within a few minutes; younger than this is "still provisioning".
const PROVISIONING_GRACE_MS = 5 * 60_000;

function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}` : `${Math.floor(hours / 24)}d`;
}

/** Age of the Service when the facts were collected; null when either timestamp is missing or unparsable. */
function ageAtCollection(createdAt: string | undefined, collectedAt: string): number | null {
  if (!createdAt) return null;
  const age = Date.parse(collectedAt) - Date.parse(createdAt);
  return Number.isFinite(age) ? age : null;
}

const check: Check = {
  code: 'loadbalancer-pending',
  title: 'LoadBalancer has no external address',
  passTitle: 'LoadBalancer has an external address',
  layer: 'object',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer',
  appliesTo: ['svc'],
  run(facts: Facts): Finding[] {
    const service = targetService(facts);
    if (!service || service.type !== 'LoadBalancer') return [skipped(check, 'Not applicable: the target is not a LoadBalancer Service.')];
    const ref = `${service.namespace}/${service.name}`;
    const addresses = (service.loadBalancerIngress ?? []).flatMap((i) => [i.ip, i.hostname].filter((a): a is string => Boolean(a)));
    if (addresses.length > 0) {
      return [
        passed(check, facts, () => ({
          detail: `${ref} has external address ${addresses.join(', ')}.`,
          evidence: [`kubectl -n ${service.namespace} get svc ${service.name}: EXTERNAL-IP ${addresses.join(',')}`],
        })),
      ];
    }
    const age = ageAtCollection(service.createdAt, facts.collectedAt);
    const ageText = age === null ? 'its age is unknown (no creationTimestamp)' : `it was created ${formatAge(age)} before these facts were collected`;
    const young = age !== null && age < PROVISIONING_GRACE_MS;
    return [
      finding(check, {
        status: young ? 'warn' : 'fail',
        detail:
          `${ref} is type LoadBalancer but has no ingress IP or hostname; ${ageText}. ` +
          (young
            ? 'The load balancer may still be provisioning.'
            : 'No load-balancer controller has provisioned it: external clients cannot reach the service (NodePort and ClusterIP still work).'),
        evidence: [`kubectl -n ${service.namespace} get svc ${service.name}: EXTERNAL-IP <pending>`],
        remediation: [
          `kubectl -n ${service.namespace} describe svc ${service.name}   # Events show the cloud controller's errors`,
          `kubectl get pods -A | grep -iE 'cloud-controller|aws-load-balancer|metallb'   # is a load-balancer controller running?`,
        ].join('\n'),
        subjects: [{ kind: 'service', name: service.name, namespace: service.namespace }],
      }),
    ];
  },
};

export default check;
