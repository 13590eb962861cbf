import type { Check } from './types.js';
import { finding, passed, skipped } from './lib/finding.js';
import { explainsThroughEndpoints } from './lib/subjects.js';
import { diagnosePod, podProblemCommand, type PodProblem } from './lib/pods.js';
import { nodeSubject, podSubject, servicePods, serviceSubject, uniqueSubjects, workloadOf } from './lib/service.js';
import { eventLine, eventsAbout, plural, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';

/** The kubelet's latest words about each pod that is down (sandbox, readiness), a few at most. */
function eventEvidence(facts: Facts, pods: PodFact[]): string[] {
  const lines = pods.flatMap((pod) =>
    eventsAbout(facts.events, 'Pod', pod.name, pod.namespace)
      .slice(0, 2)
      .map((e) => eventLine(e)),
  );
  return lines.length > MAX_EVENT_LINES ? [...lines.slice(0, MAX_EVENT_LINES), `…and ${lines.length - MAX_EVENT_LINES} more events`] : lines;
}

const MAX_EVENT_LINES = 6;

interface Diagnosed {
  pod: PodFact;
  problem: PodProblem;
}

function podLine({ pod, problem }: Diagnosed): string {
  return `pod ${pod.name} on ${pod.nodeName ?? '<unscheduled>'}: ${problem.reason}`;
}

/**
 * Most common reason first, so the summary names what most pods suffer from. Terminating pods are
 * on their way out during a rollout; their replacements' problem is the one to name.
 */
function dominantProblem(diagnosed: Diagnosed[]): Diagnosed {
  const replacing = diagnosed.filter((d) => d.problem.kind !== 'terminating');
  const pool = replacing.length ? replacing : diagnosed;
  const counts = new Map<string, number>();
  for (const d of pool) counts.set(d.problem.kind, (counts.get(d.problem.kind) ?? 0) + 1);
  return [...pool].sort((a, b) => (counts.get(b.problem.kind) ?? 0) - (counts.get(a.problem.kind) ?? 0))[0] as Diagnosed;
}

function everyPod(count: number): string {
  if (count === 1) return 'The only selected pod';
  if (count === 2) return 'Both selected pods';
  return `All ${count} selected pods`;
}

const check: Check = {
  code: 'pods-not-ready',
  title: 'Selected pods are not ready',
  passTitle: 'Selected pods are ready',
  layer: 'workload',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/',
  appliesTo: ['svc'],
  explains: ['no-ready-endpoints', 'clusterip-refused', 'clusterip-timeout', 'endpoint-refused', 'endpoint-timeout', 'dns-service-name-failed'],
  explainsFinding(cause: Finding, symptom: Finding, facts: Facts): boolean {
    // Pod-level symptoms are explained only by the same pods; service-level ones only when no pod serves.
    const pods = new Set(cause.subjects.filter((s) => s.kind === 'pod').map((s) => `${s.namespace}/${s.name}`));
    const symptomPods = symptom.subjects.filter((s) => s.kind === 'pod');
    if (symptomPods.length > 0) return symptomPods.some((s) => pods.has(`${s.namespace}/${s.name}`));
    const sameService = (s: Subject) => s.kind === 'service' && cause.subjects.some((c) => c.kind === 'service' && c.name === s.name && c.namespace === s.namespace);
    return cause.status === 'fail' && symptom.subjects.some(sameService) && explainsThroughEndpoints(cause, symptom, facts);
  },
  run(facts) {
    const scope = servicePods(facts);
    if ('skip' in scope) return [skipped(check, scope.skip)];
    const { svc, pods } = scope;

    const diagnosed: Diagnosed[] = [];
    for (const pod of pods) {
      const problem = diagnosePod(pod);
      if (problem) diagnosed.push({ pod, problem });
    }
    const notServing = diagnosed.filter((d) => !d.problem.serving);
    const ns = svc.namespace;
    const serving = pods.length - notServing.length;
    if (diagnosed.length === 0) {
      return [passed(check, facts, () => ({ detail: `all ${plural(pods.length, 'selected pod')} ready`, subjects: [serviceSubject(svc)] }))];
    }

    const lead = dominantProblem(notServing.length ? notServing : diagnosed);
    const evidence = [
      `kubectl -n ${ns} get pods -l ${Object.entries(svc.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',')} -o wide`,
      ...diagnosed.map(podLine),
      ...eventEvidence(
        facts,
        diagnosed.map((d) => d.pod),
      ),
    ];
    const subjects = uniqueSubjects([serviceSubject(svc), ...diagnosed.flatMap((d) => [podSubject(d.pod), ...(d.pod.nodeName ? [nodeSubject(d.pod.nodeName)] : [])])]);
    const remediation = podProblemCommand(lead.pod, lead.problem, workloadOf(lead.pod));

    if (notServing.length === 0) {
      return [
        finding(check, {
          status: 'warn',
          title: `${plural(diagnosed.length, 'pod')} of ${ns}/${svc.name} restart often`,
          detail: `${plural(diagnosed.length, 'selected pod')} restart often (${lead.problem.reason}) — requests fail while they restart`,
          evidence,
          remediation,
          subjects,
        }),
      ];
    }
    const where = lead.pod.nodeName ? ` on ${lead.pod.nodeName}` : '';
    const detailHead =
      serving === 0
        ? `${everyPod(notServing.length)} of ${ns}/${svc.name} ${notServing.length === 1 ? 'is' : 'are'} not ready — ${lead.pod.name}${where}: ${lead.problem.reason}; the service has no ready endpoints`
        : `${notServing.length} of ${pods.length} selected pods of ${ns}/${svc.name} are not ready — ${lead.pod.name}${where}: ${lead.problem.reason}; ${serving} still serve`;
    return [
      finding(check, {
        status: serving === 0 ? 'fail' : 'warn',
        title: `${notServing.length} of ${pods.length} pods of ${ns}/${svc.name} not ready`,
        detail: detailHead,
        evidence,
        remediation,
        subjects,
      }),
    ];
  },
};

export default check;
