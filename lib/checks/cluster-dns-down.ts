import type { DnsProbeFact, PodFact } from '../facts/types.js';
import type { Check, Subject } from './types.js';
import { countEndpoints } from './lib/endpoints.js';
import { finding, skipped } from './lib/finding.js';
import { diagnosePod, podProblemCommand, type PodProblem } from './lib/pods.js';
import { nodeSubject, podSubject, uniqueSubjects, workloadOf } from './lib/service.js';
import { plural } from './lib/text.js';

const DNS_LABEL = { key: 'k8s-app', value: 'kube-dns' } as const;

function probeLine(probe: DnsProbeFact): string {
  const server = probe.server ? ` @${probe.server}` : '';
  const answer = probe.outcome === 'resolved' ? (probe.addresses ?? []).join(', ') || 'resolved' : probe.outcome.toUpperCase();
  return `nslookup ${probe.name}${server} → ${answer}${probe.detail ? ` (${probe.detail})` : ''}`;
}

const check: Check = {
  code: 'cluster-dns-down',
  title: 'Cluster DNS is down',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/#check-if-the-dns-pod-is-running',
  appliesTo: ['svc', 'dns', 'cluster'],
  explains: ['dns-service-name-failed', 'externalname-unresolvable'],
  // Every name in the cluster goes through kube-dns: when it is down it explains any DNS symptom.
  explainsFinding: (cause) => cause.status === 'fail',
  run(facts) {
    const dnsPods = facts.systemPods.filter((p) => p.labels[DNS_LABEL.key] === DNS_LABEL.value);
    const probes = facts.probes.enabled ? facts.probes.dns.filter((p) => p.outcome !== 'skipped') : [];
    if (!facts.dns && dnsPods.length === 0 && probes.length === 0) {
      return [skipped(check, 'DNS not in scope: no kube-dns facts and no DNS probes')];
    }

    const broken: string[] = [];
    const degraded: string[] = [];
    const evidence: string[] = [];
    const subjects: Subject[] = [{ kind: 'dns', name: 'kube-dns', namespace: 'kube-system' }];
    let remediation = 'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50';

    if (facts.dns) {
      const service = facts.dns.service;
      if (!service) {
        broken.push('the kube-dns Service is missing from kube-system');
        evidence.push('kubectl -n kube-system get svc kube-dns → NotFound');
        remediation = 'kubectl -n kube-system get svc,deploy -l k8s-app=kube-dns   # re-create the kube-dns Service from your distribution\'s CoreDNS manifest';
      } else {
        subjects.push({ kind: 'service', name: service.name, namespace: service.namespace });
        const { total, ready } = countEndpoints(facts.dns.endpointSlices);
        evidence.push(`service kube-system/${service.name} ${service.clusterIP ?? ''}: ${ready} of ${total} endpoints ready`);
        if (ready === 0) {
          broken.push(`the kube-dns Service (${service.clusterIP ?? 'no ClusterIP'}) has no ready endpoints`);
          remediation = 'kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=kube-dns -o wide';
        }
      }
    }

    const sick: { pod: PodFact; problem: PodProblem }[] = [];
    for (const pod of dnsPods) {
      const problem = diagnosePod(pod);
      if (problem && !problem.serving) sick.push({ pod, problem });
    }
    for (const { pod, problem } of sick) {
      evidence.push(`pod kube-system/${pod.name} on ${pod.nodeName ?? '<unscheduled>'}: ${problem.reason}`);
      subjects.push(podSubject(pod));
      if (pod.nodeName) subjects.push(nodeSubject(pod.nodeName));
    }
    const lead = sick[0];
    if (facts.dns && dnsPods.length === 0) {
      broken.push('no CoreDNS/kube-dns pods exist (label k8s-app=kube-dns)');
      remediation = 'kubectl -n kube-system get deploy coredns   # scale it up or re-apply the CoreDNS manifest';
    } else if (lead && sick.length === dnsPods.length) {
      broken.push(`${dnsPods.length === 1 ? 'the only CoreDNS pod is' : `all ${dnsPods.length} CoreDNS pods are`} not ready (${lead.pod.name} on ${lead.pod.nodeName ?? '<unscheduled>'}: ${lead.problem.reason})`);
      remediation = podProblemCommand(lead.pod, lead.problem, workloadOf(lead.pod));
    } else if (lead) {
      degraded.push(`${sick.length} of ${dnsPods.length} CoreDNS pods are not ready (${lead.pod.name} on ${lead.pod.nodeName ?? '<unscheduled>'}: ${lead.problem.reason})`);
    }

    evidence.unshift(...probes.map(probeLine));
    const control = probes.filter((p) => p.purpose === 'kubernetes-default');
    const anyResolved = probes.some((p) => p.outcome === 'resolved');
    const nothingResolves = control.length > 0 && !anyResolved;
    const finalSubjects = uniqueSubjects(subjects);

    if (nothingResolves) {
      const outcome = (control[0] as DnsProbeFact).outcome.toUpperCase();
      const server = control[0]?.server ? ` from ${control[0].server}` : '';
      const cause = broken.length
        ? broken.join('; ')
        : `kube-dns pods, Service and endpoints look healthy, so the path from the probe source to DNS is blocked (NetworkPolicy egress to port 53, kube-proxy)`;
      if (!broken.length) remediation = 'kubectl get networkpolicy -A   # look for egress rules that omit UDP/TCP 53 to kube-system';
      return [
        finding(check, {
          status: 'fail',
          title: `Cluster DNS is down: nothing resolves (${outcome})`,
          detail: `Cluster DNS is down — nothing resolves, not even kubernetes.default (${outcome}${server}): ${cause}`,
          evidence,
          remediation,
          subjects: finalSubjects,
        }),
      ];
    }
    if (broken.length) {
      return [
        finding(check, {
          status: anyResolved ? 'warn' : 'fail',
          title: `Cluster DNS is broken: ${broken[0]}`,
          detail: `Cluster DNS is broken — ${broken.join('; ')}${anyResolved ? ' (yet probes resolved: cached answers or a node-local cache)' : ''}`,
          evidence,
          remediation,
          subjects: finalSubjects,
        }),
      ];
    }
    if (degraded.length) {
      return [
        finding(check, {
          status: 'warn',
          title: 'Cluster DNS is degraded',
          detail: `Cluster DNS is degraded — ${degraded.join('; ')}`,
          evidence,
          remediation: lead ? podProblemCommand(lead.pod, lead.problem, workloadOf(lead.pod)) : remediation,
          subjects: finalSubjects,
        }),
      ];
    }
    const podsText = dnsPods.length ? `${plural(dnsPods.length, 'CoreDNS pod')} ready` : 'DNS pods not examined';
    return [
      finding(check, {
        status: 'pass',
        detail: `${podsText}${control.length ? '; kubernetes.default resolves' : ''}`,
        evidence,
        subjects: finalSubjects,
      }),
    ];
  },
};

export default check;
