import { isEndpointReady } from './lib/endpoints.js';
import { finding, passed, skipped } from './lib/finding.js';
import { serviceSlices, serviceSubject, selectedPods } from './lib/service.js';
import type { Check } from './types.js';
import type { EndpointSliceFact, Facts, Finding, PodFact } from '../model/index.js';
import { targetService } from '../scope/path.js';

// A dual-stack (or IPv6) Service gets one ClusterIP per family in spec.ipFamilies, and the
// EndpointSlice controller fills one slice per family from the pods' status.podIPs. Pods with
// only IPv4 addresses leave the IPv6 ClusterIP without endpoints: clients that try AAAA first
// (most resolvers on a dual-stack node) are refused there while IPv4 clients are fine.

type Family = 'IPv4' | 'IPv6';

function familyOf(ip: string): Family {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** Ready endpoints (ready unknown counts as ready) in the slices of one address family. */
function readyEndpoints(slices: EndpointSliceFact[], family: Family): number {
  let ready = 0;
  for (const slice of slices) if (slice.addressType === family) for (const endpoint of slice.endpoints) if (isEndpointReady(endpoint)) ready++;
  return ready;
}

function podFamilies(pod: PodFact): Set<Family> {
  return new Set((pod.podIPs ?? (pod.podIP ? [pod.podIP] : [])).map(familyOf));
}

const check: Check = {
  code: 'dual-stack-mismatch',
  title: "A Service IP family has no endpoints: the pods lack that family's addresses",
  passTitle: 'Every IP family of the Service has endpoints',
  layer: 'endpoint',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services',
  appliesTo: ['svc'],
  explains: ['clusterip-refused', 'clusterip-timeout'],
  run(facts: Facts): Finding[] {
    const svc = targetService(facts);
    if (!svc || svc.type === 'ExternalName' || !svc.selector) return [skipped(check, 'Not applicable: no selector Service whose endpoints the controller fills.')];
    const ref = `${svc.namespace}/${svc.name}`;
    const families: Family[] = svc.ipFamilies?.length ? svc.ipFamilies : [...new Set((svc.clusterIPs ?? []).filter((ip) => ip && ip !== 'None').map(familyOf))];
    if (families.length === 0) return [skipped(check, `unknown, because ${ref} states no IP family and has no ClusterIP`)];
    const slices = serviceSlices(facts, svc);
    const counts = families.map((family) => ({ family, ready: readyEndpoints(slices, family) }));
    if (counts.every((c) => c.ready === 0)) return [skipped(check, `Not judged: ${ref} has no ready endpoint in any family (see no-ready-endpoints).`)];
    const missing = counts.filter((c) => c.ready === 0).map((c) => c.family);
    if (missing.length === 0)
      return [passed(check, facts, () => ({ detail: `${ref} (${families.join(', ')}): ${counts.map((c) => `${c.ready} ready ${c.family} endpoints`).join(', ')}.` }))];
    const pods = selectedPods(facts, svc);
    const without = pods.filter((p) => missing.some((f) => !podFamilies(p).has(f)));
    const clusterIPs = (svc.clusterIPs ?? [svc.clusterIP ?? '']).filter((ip) => ip && missing.includes(familyOf(ip)));
    const primaryMissing = missing.includes(families[0] as Family);
    return [
      finding(check, {
        status: primaryMissing ? 'fail' : 'warn',
        title: `${ref} has no ${missing.join('/')} endpoints: its pods have no ${missing.join('/')} address`,
        detail: `${ref} serves ${families.join(' and ')} (${svc.ipFamilyPolicy ?? 'SingleStack'}), but no ${missing.join('/')} endpoint is ready${without.length ? `: ${without.length} of ${pods.length} selected pods have no ${missing.join('/')} address in status.podIPs` : ''}, so connections to ${clusterIPs.join(', ') || `its ${missing.join('/')} ClusterIP`} are refused while ${counts
          .filter((c) => c.ready > 0)
          .map((c) => c.family)
          .join('/')} works.`,
        evidence: [
          `kubectl -n ${svc.namespace} get svc ${svc.name} -o jsonpath='{.spec.ipFamilies} {.spec.clusterIPs}': ${families.join(',')} ${(svc.clusterIPs ?? []).join(',')}`,
          ...counts.map((c) => `${c.family} EndpointSlices: ${c.ready} ready endpoints`),
          ...without.slice(0, 3).map((p) => `pod ${p.name} podIPs: ${(p.podIPs ?? (p.podIP ? [p.podIP] : [])).join(', ') || 'none'}`),
        ],
        remediation: `Give the pods ${missing.join('/')} addresses (a dual-stack pod network: the CNI's IPv6 pool, the nodes' podCIDRs), or serve only the family they have:\nkubectl -n ${svc.namespace} patch svc ${svc.name} -p '{"spec":{"ipFamilyPolicy":"SingleStack","ipFamilies":["${counts.find((c) => c.ready > 0)?.family ?? 'IPv4'}"]}}'   # ipFamilies can only shrink by recreating the Service when the primary changes`,
        subjects: [serviceSubject(svc)],
      }),
    ];
  },
};

export default check;
