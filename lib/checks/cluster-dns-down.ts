import type { Check } from './types.js';
import { countEndpoints } from './lib/endpoints.js';
import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { diagnosePod, podProblemCommand, type PodProblem } from './lib/pods.js';
import { kubectlPatch, nodeSubject, podSubject, serviceSubject, uniqueSubjects, workloadOf } from './lib/service.js';
import {
  CLUSTER_DNS,
  formatLabels,
  isClusterDnsPod,
  looksLikeCoreDns,
  matchesLabels,
  plural,
  type DnsProbeFact,
  type Facts,
  type PodFact,
  type ServiceFact,
  type Subject,
} from '../model/index.js';
import { dnsPathNodes } from '../scope/path.js';

// Cluster DNS in two steps: assess what is broken (a list of typed faults, from the API objects
// and the probes), then describe the worst of them. The wording never decides the verdict.

const DNS_REF = `${CLUSTER_DNS.namespace}/${CLUSTER_DNS.serviceName}`;
const LABEL = `${CLUSTER_DNS.podLabel.key}=${CLUSTER_DNS.podLabel.value}`;

interface SickPod {
  pod: PodFact;
  problem: PodProblem;
}

type Fault =
  | { kind: 'service-missing' }
  | { kind: 'selector-mismatch'; service: ServiceFact; pods: PodFact[] }
  | { kind: 'no-pods' }
  | { kind: 'no-ready-endpoints'; service: ServiceFact }
  | { kind: 'all-pods-sick'; sick: SickPod[]; total: number };

interface Assessment {
  service?: ServiceFact;
  /** Pods the kube-dns Service selects (or, without a Service, the pods labelled like it). */
  pods: PodFact[];
  sick: SickPod[];
  faults: Fault[];
  probes: DnsProbeFact[];
  /** Why the API side could not be judged: a list we could not read is not an empty one. */
  unknown?: string;
}

function probeLine(probe: DnsProbeFact): string {
  const server = probe.server ? ` @${probe.server}` : '';
  const answer = probe.outcome === 'resolved' ? (probe.addresses ?? []).join(', ') || 'resolved' : probe.outcome.toUpperCase();
  return `nslookup ${probe.name}${server} → ${answer}${probe.detail ? ` (${probe.detail})` : ''}`;
}

const where = (pod: PodFact) => `${pod.name} on ${pod.nodeName ?? '<unscheduled>'}`;

const JUDGED_ELSEWHERE = new Set<DnsProbeFact['purpose']>(['dns-endpoint', 'node-resolve', 'external', 'coredns-upstream']);

function assess(facts: Facts): Assessment {
  // From here through the Service only, for cluster names: one pod asked directly, one node's own lookup and CoreDNS's upstreams are
  // judged by coredns-endpoint-failing, node-dns-resolution-failed and coredns-upstream-failing.
  const probes = facts.probes.enabled ? facts.probes.dns.filter((p) => p.outcome !== 'skipped' && !JUDGED_ELSEWHERE.has(p.purpose)) : [];
  const service = facts.dns?.service;
  const selector = service?.selector;
  const pods = facts.systemPods.filter((p) => (selector ? p.namespace === CLUSTER_DNS.namespace && matchesLabels(selector, p.labels) : isClusterDnsPod(p)));
  const sick: SickPod[] = [];
  for (const pod of pods) {
    const problem = diagnosePod(pod);
    if (problem && !problem.serving) sick.push({ pod, problem });
  }
  const result: Assessment = { ...(service ? { service } : {}), pods, sick, faults: [], probes };
  if (!facts.dns) return result;
  const unknown = unreadable(facts, 'services', CLUSTER_DNS.namespace) ?? unreadable(facts, 'pods', CLUSTER_DNS.namespace);
  if (unknown) return { ...result, unknown };
  if (!service) result.faults.push({ kind: 'service-missing' });
  else {
    const elsewhere = facts.systemPods.filter((p) => looksLikeCoreDns(p) && !pods.includes(p));
    if (pods.length === 0 && elsewhere.length > 0) result.faults.push({ kind: 'selector-mismatch', service, pods: elsewhere });
    else if (pods.length === 0) result.faults.push({ kind: 'no-pods' });
    if (countEndpoints(facts.dns.endpointSlices).ready === 0) result.faults.push({ kind: 'no-ready-endpoints', service });
  }
  if (pods.length > 0 && sick.length === pods.length) result.faults.push({ kind: 'all-pods-sick', sick, total: pods.length });
  return result;
}

function describeFault(fault: Fault): { text: string; remediation: string } {
  switch (fault.kind) {
    case 'service-missing':
      return {
        text: `the ${CLUSTER_DNS.serviceName} Service is missing from ${CLUSTER_DNS.namespace}`,
        remediation: `kubectl -n ${CLUSTER_DNS.namespace} get svc,deploy -l ${LABEL}   # re-create the ${CLUSTER_DNS.serviceName} Service from your distribution's CoreDNS manifest`,
      };
    case 'selector-mismatch': {
      const pod = fault.pods[0] as PodFact;
      const label = CLUSTER_DNS.alternativePodLabels.find((l) => pod.labels[l.key] === l.value);
      const selector = label ? { [label.key]: label.value } : pod.labels;
      return {
        text: `the ${CLUSTER_DNS.serviceName} Service selects ${formatLabels(fault.service.selector ?? {})}, but the CoreDNS pods (${fault.pods.map((p) => p.name).join(', ')}) are labelled ${formatLabels(pod.labels)}`,
        remediation: `${kubectlPatch(CLUSTER_DNS.namespace, `svc ${CLUSTER_DNS.serviceName}`, { spec: { selector } })}   # or give the CoreDNS pods the ${LABEL} label the Service expects`,
      };
    }
    case 'no-pods':
      return {
        text: `no CoreDNS/${CLUSTER_DNS.serviceName} pods exist (label ${LABEL})`,
        remediation: `kubectl -n ${CLUSTER_DNS.namespace} get deploy coredns   # scale it up or re-apply the CoreDNS manifest`,
      };
    case 'no-ready-endpoints':
      return {
        text: `the ${CLUSTER_DNS.serviceName} Service (${fault.service.clusterIP ?? 'no ClusterIP'}) has no ready endpoints`,
        remediation: `kubectl -n ${CLUSTER_DNS.namespace} get endpointslices -l kubernetes.io/service-name=${CLUSTER_DNS.serviceName} -o wide`,
      };
    case 'all-pods-sick': {
      const lead = fault.sick[0] as SickPod;
      return {
        text: `${fault.total === 1 ? 'the only CoreDNS pod is' : `all ${fault.total} CoreDNS pods are`} not ready (${where(lead.pod)}: ${lead.problem.reason})`,
        remediation: podProblemCommand(lead.pod, lead.problem, workloadOf(lead.pod)),
      };
    }
  }
}

/** The fault a person should fix first: the pods' own failure tells more than the empty endpoints it causes. */
const FIX_ORDER: Fault['kind'][] = ['service-missing', 'selector-mismatch', 'all-pods-sick', 'no-pods', 'no-ready-endpoints'];

function evidenceOf(a: Assessment, facts: Facts): string[] {
  const lines = a.probes.map(probeLine);
  if (a.service && facts.dns) {
    const { total, ready } = countEndpoints(facts.dns.endpointSlices);
    lines.push(`service ${DNS_REF} ${a.service.clusterIP ?? ''}: ${ready} of ${total} endpoints ready`);
  } else if (facts.dns && !a.unknown) lines.push(`kubectl -n ${CLUSTER_DNS.namespace} get svc ${CLUSTER_DNS.serviceName} → NotFound`);
  for (const fault of a.faults) {
    if (fault.kind === 'selector-mismatch')
      for (const pod of fault.pods)
        lines.push(`pod ${CLUSTER_DNS.namespace}/${pod.name} labels: ${formatLabels(pod.labels)} (Service selector ${formatLabels(fault.service.selector ?? {})})`);
  }
  for (const { pod, problem } of a.sick) lines.push(`pod ${CLUSTER_DNS.namespace}/${where(pod)}: ${problem.reason}`);
  if (a.unknown) lines.push(a.unknown);
  return lines;
}

function subjectsOf(a: Assessment): Subject[] {
  const subjects: Subject[] = [{ kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: CLUSTER_DNS.namespace }];
  if (a.service) subjects.push(serviceSubject(a.service));
  for (const fault of a.faults) if (fault.kind === 'selector-mismatch') subjects.push(...fault.pods.map(podSubject));
  for (const { pod } of a.sick) {
    subjects.push(podSubject(pod));
    if (pod.nodeName) subjects.push(nodeSubject(pod.nodeName));
  }
  return uniqueSubjects(subjects);
}

const check: Check = {
  code: 'cluster-dns-down',
  title: 'Cluster DNS is down',
  passTitle: 'Cluster DNS is serving',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/#check-if-the-dns-pod-is-running',
  appliesTo: ['svc', 'dns', 'cluster'],
  explains: ['dns-service-name-failed', 'externalname-unresolvable'],
  // Every name in the cluster goes through kube-dns: when it is down it explains any DNS symptom.
  explainsFinding: (cause) => cause.status === 'fail',
  run(facts) {
    const a = assess(facts);
    if (!facts.dns && a.pods.length === 0 && a.probes.length === 0) return [skipped(check, 'DNS not in scope: no kube-dns facts and no DNS probes')];
    const evidence = evidenceOf(a, facts);
    const subjects = subjectsOf(a);
    const control = a.probes.filter((p) => p.purpose === 'kubernetes-default');
    const anyResolved = a.probes.some((p) => p.outcome === 'resolved');
    const faults = [...a.faults].sort((x, y) => FIX_ORDER.indexOf(x.kind) - FIX_ORDER.indexOf(y.kind)).map(describeFault);
    const broken = faults.map((f) => f.text).join('; ');
    const fix = faults[0]?.remediation;

    if (control.length > 0 && !anyResolved) {
      const probe = control[0] as DnsProbeFact;
      const outcome = probe.outcome.toUpperCase();
      const server = probe.server ? ` from ${probe.server}` : '';
      if (!faults.length && a.unknown) {
        return [skipped(check, `nothing resolves (${outcome}${server}), but the DNS objects are ${a.unknown.replace(/^unknown, because /, 'unknown, because ')}`)];
      }
      // Healthy pods behind an unanswered lookup: the path is at fault, so it names the path's nodes.
      const pathSubjects = faults.length ? subjects : uniqueSubjects([...subjects, ...dnsPathNodes(facts).map(nodeSubject)]);
      const cause = faults.length
        ? broken
        : 'kube-dns pods, Service and endpoints look healthy, so the path from the probe source to DNS is blocked (NetworkPolicy egress to port 53, kube-proxy)';
      return [
        finding(check, {
          status: 'fail',
          title: `Cluster DNS is down: nothing resolves (${outcome})`,
          detail: `Cluster DNS is down — nothing resolves, not even kubernetes.default (${outcome}${server}): ${cause}`,
          evidence,
          remediation: fix ?? 'kubectl get networkpolicy -A   # look for egress rules that omit UDP/TCP 53 to kube-system',
          subjects: pathSubjects,
        }),
      ];
    }
    if (faults.length) {
      return [
        finding(check, {
          status: anyResolved ? 'warn' : 'fail',
          title: `Cluster DNS is broken: ${faults[0]?.text ?? ''}`,
          detail: `Cluster DNS is broken — ${broken}${anyResolved ? ' (yet probes resolved: cached answers or a node-local cache)' : ''}`,
          evidence,
          remediation: fix ?? '',
          subjects,
        }),
      ];
    }
    if (a.unknown) return [skipped(check, a.unknown)];
    const lead = a.sick[0];
    if (lead) {
      return [
        finding(check, {
          status: 'warn',
          title: 'Cluster DNS is degraded',
          detail: `Cluster DNS is degraded — ${a.sick.length} of ${a.pods.length} CoreDNS pods are not ready (${where(lead.pod)}: ${lead.problem.reason})`,
          evidence,
          remediation: podProblemCommand(lead.pod, lead.problem, workloadOf(lead.pod)),
          subjects,
        }),
      ];
    }
    const podsText = a.pods.length ? `${plural(a.pods.length, 'CoreDNS pod')} ready` : 'DNS pods not examined';
    return [finding(check, { status: 'pass', detail: `${podsText}${control.length ? '; kubernetes.default resolves' : ''}`, evidence, subjects })];
  },
};

export default check;
