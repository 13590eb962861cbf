import { finding, passed, skipped } from './lib/finding.js';
import type { Check } from './types.js';
import { inClusterServiceName, type Facts, type Finding } from '../model/index.js';
import { targetService } from '../scope/path.js';

const stripDot = (name: string) => name.replace(/\.$/, '').toLowerCase();

const check: Check = {
  code: 'externalname-unresolvable',
  title: 'ExternalName target does not resolve',
  passTitle: 'ExternalName target resolves',
  layer: 'object',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/service/#externalname',
  appliesTo: ['svc'],
  run(facts: Facts): Finding[] {
    const service = targetService(facts);
    if (!service || service.type !== 'ExternalName') return [skipped(check, 'Not applicable: the target is not an ExternalName Service.')];
    const ref = `${service.namespace}/${service.name}`;
    if (!service.externalName) {
      return [
        finding(check, {
          status: 'fail',
          detail: `${ref} is type ExternalName but has no spec.externalName: its DNS name has no CNAME to return.`,
          remediation: `kubectl -n ${service.namespace} patch svc ${service.name} -p '{"spec":{"externalName":"<target host name>"}}'`,
          subjects: [{ kind: 'service', name: service.name, namespace: service.namespace }],
        }),
      ];
    }
    const referenced = inClusterServiceName(service.externalName);
    if (referenced && facts.referencedServices) {
      const exists = facts.referencedServices.some((s) => s.name === referenced.name && s.namespace === referenced.namespace);
      const refText = `${referenced.namespace}/${referenced.name}`;
      if (!exists) {
        return [
          finding(check, {
            status: 'fail',
            title: `ExternalName ${ref} points at Service ${refText}, which does not exist`,
            detail: `${ref} is an ExternalName for ${service.externalName}, the in-cluster name of Service ${refText}, which does not exist: its DNS name answers NXDOMAIN.`,
            evidence: [
              `kubectl -n ${service.namespace} get svc ${service.name} -o jsonpath='{.spec.externalName}': ${service.externalName}`,
              `kubectl -n ${referenced.namespace} get svc ${referenced.name} → NotFound`,
            ],
            remediation: `kubectl -n ${referenced.namespace} get svc   # create ${referenced.name} there, or point ${ref} at the Service that exists:\nkubectl -n ${service.namespace} patch svc ${service.name} -p '{"spec":{"externalName":"<service>.<namespace>.svc.cluster.local"}}'`,
            subjects: [
              { kind: 'service', name: service.name, namespace: service.namespace },
              { kind: 'dns', name: service.externalName },
            ],
          }),
        ];
      }
      if (!facts.probes.enabled) return [passed(check, facts, () => ({ detail: `${service.externalName} names Service ${refText}, which exists.` }))];
    }
    if (!facts.probes.enabled) return [skipped(check, `unknown, because probes are off${facts.probes.skipReason ? ` (${facts.probes.skipReason})` : ''}`)];
    const target = stripDot(service.externalName);
    const probe = facts.probes.dns.find((p) => p.purpose === 'external-name' && stripDot(p.name) === target);
    if (!probe) return [skipped(check, `unknown, because no DNS probe of ${service.externalName} was recorded`)];
    const evidence = [
      `kubectl -n ${service.namespace} get svc ${service.name} -o jsonpath='{.spec.externalName}': ${service.externalName}`,
      `dig ${probe.type} ${service.externalName}${probe.server ? ` @${probe.server}` : ''}: ${probe.outcome}${probe.addresses?.length ? ` ${probe.addresses.join(', ')}` : ''}${probe.detail ? ` (${probe.detail})` : ''}`,
    ];
    if (probe.outcome === 'resolved') {
      return [passed(check, facts, () => ({ detail: `${service.externalName} resolves${probe.addresses?.length ? ` to ${probe.addresses.join(', ')}` : ''}.`, evidence }))];
    }
    if (probe.outcome === 'skipped') return [skipped(check, `unknown, because the DNS probe of ${service.externalName} was skipped${probe.detail ? ` (${probe.detail})` : ''}`)];
    const subjects = [
      { kind: 'service' as const, name: service.name, namespace: service.namespace },
      { kind: 'dns' as const, name: service.externalName },
    ];
    if (probe.outcome === 'nxdomain') {
      return [
        finding(check, {
          status: 'fail',
          detail: `${ref} is a CNAME to ${service.externalName}, which does not exist (NXDOMAIN): clients of ${service.name}.${service.namespace}.svc get no address.`,
          evidence,
          remediation: `Fix the target name (typo?) or create its DNS record:\nkubectl -n ${service.namespace} patch svc ${service.name} -p '{"spec":{"externalName":"<correct host name>"}}'`,
          subjects,
        }),
      ];
    }
    // A timeout or SERVFAIL may come from the cluster DNS or its upstream rather than the name itself.
    return [
      finding(check, {
        status: 'warn',
        detail: `${ref} is a CNAME to ${service.externalName}, which did not resolve (${probe.outcome}): the upstream DNS server may be unreachable or failing for that zone.`,
        evidence,
        remediation: `kubectl run -it --rm dnscheck --image=busybox:1.36 --restart=Never -- nslookup ${service.externalName}\nkubectl -n kube-system logs -l k8s-app=kube-dns --tail=50`,
        subjects,
      }),
    ];
  },
};

export default check;
