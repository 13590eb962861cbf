import type { Check } from './types.js';
import { finding, passed, skipped } from './lib/finding.js';
import { explainsThroughEndpoints } from './lib/subjects.js';
import { editDistance, formatLabels, plural, type Labels, type PodFact } from '../model/index.js';
import { accessDenied, describeAccessError, hasSelector, kubectlPatch, podSubject, selectedPods, serviceSubject, missingServiceReason, workloadOf } from './lib/service.js';
import { targetService } from '../scope/path.js';

interface Candidate {
  pod: PodFact;
  /** Selector keys whose value the pod does not carry, with the pod's value (undefined = label absent). */
  mismatches: { key: string; wanted: string; actual: string | undefined }[];
  score: number;
}

/**
 * The pods a person most likely meant: most selector keys matching, then the nearest values.
 * A missing label costs more than a near-miss value so typos rank first.
 */
function closestPods(selector: Labels, pods: PodFact[]): Candidate[] {
  const entries = Object.entries(selector);
  // Replicas of one template carry the same values for the selector's keys, so the edit
  // distances are computed once per distinct set of values rather than once per pod.
  const scored = new Map<string, Pick<Candidate, 'mismatches' | 'score'>>();
  const scores = pods.map((pod) => {
    // Length-prefixed, so no label value can make two different sets read alike.
    let values = '';
    for (const [key] of entries) {
      const value = pod.labels[key];
      values += value === undefined ? '-;' : `${value.length}:${value};`;
    }
    let result = scored.get(values);
    if (!result) {
      const mismatches = entries.filter(([key, wanted]) => pod.labels[key] !== wanted).map(([key, wanted]) => ({ key, wanted, actual: pod.labels[key] }));
      const score = mismatches.reduce((sum, m) => sum + 100 + (m.actual === undefined ? 50 : Math.min(editDistance(m.wanted, m.actual), 49)), 0);
      scored.set(values, (result = { mismatches, score }));
    }
    return result;
  });
  let best = Infinity;
  for (const result of scored.values()) best = Math.min(best, result.score);
  const closest: Candidate[] = [];
  pods.forEach((pod, i) => {
    const result = scores[i]!;
    if (result.score === best) closest.push({ pod, ...result });
  });
  return closest;
}

function isNear(wanted: string, actual: string): boolean {
  return editDistance(wanted, actual) <= Math.max(2, Math.floor(wanted.length / 3)) || actual.includes(wanted) || wanted.includes(actual);
}

const check: Check = {
  code: 'selector-matches-no-pods',
  title: 'Selector matches no pods',
  passTitle: 'Selector matches pods',
  layer: 'workload',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpoints',
  appliesTo: ['svc'],
  explains: ['no-ready-endpoints', 'clusterip-refused', 'clusterip-timeout', 'endpoint-refused', 'endpoint-timeout', 'dns-service-name-failed'],
  explainsFinding: explainsThroughEndpoints,
  run(facts) {
    const svc = targetService(facts);
    if (!svc) return [skipped(check, missingServiceReason(facts))];
    if (svc.type === 'ExternalName') return [skipped(check, 'ExternalName services select no pods')];
    if (!svc.selector || !hasSelector(svc)) return [skipped(check, 'service has no selector (endpoints are managed by hand)')];
    const denied = accessDenied(facts, 'pods', svc.namespace);
    if (denied) return [skipped(check, `cannot match the selector: ${describeAccessError(denied)}`)];

    const selector = svc.selector;
    const matched = selectedPods(facts, svc);
    if (matched.length > 0)
      return [passed(check, facts, () => ({ detail: `selector ${formatLabels(selector)} matches ${plural(matched.length, 'pod')}`, subjects: [serviceSubject(svc)] }))];

    const selectorText = formatLabels(selector);

    const ns = svc.namespace;
    const nsPods = facts.pods.filter((p) => p.namespace === ns);
    const evidence = [`kubectl -n ${ns} get pods -l ${selectorText} → No resources found`];
    if (nsPods.length === 0) {
      return [
        finding(check, {
          status: 'fail',
          title: `Selector ${selectorText} matches no pods: namespace ${ns} has no pods`,
          detail: `Selector ${selectorText} matches no pods — namespace ${ns} has no pods at all, so ${ns}/${svc.name} has no endpoints (is the workload deployed here?)`,
          evidence: [...evidence, `kubectl -n ${ns} get pods → No resources found`],
          remediation: `kubectl -n ${ns} get deployments,statefulsets   # deploy the workload into ${ns} or point the client at the right namespace`,
          subjects: [serviceSubject(svc)],
        }),
      ];
    }

    const closest = closestPods(selector, nsPods);
    const first = closest[0] as Candidate;
    const nearValues = first.mismatches.map((m) => (m.actual === undefined ? `no ${m.key} label` : `${m.key}=${m.actual}`));
    const wantedValues = first.mismatches.map((m) => `${m.key}=${m.wanted}`);
    for (const c of closest.slice(0, 5)) {
      evidence.push(`pod ${c.pod.name} labels: ${formatLabels(c.pod.labels)}`);
    }
    for (const m of first.mismatches) {
      const values = [...new Set(nsPods.map((p) => p.labels[m.key]).filter((v): v is string => v !== undefined))];
      evidence.push(`selector ${m.key}=${m.wanted}; pods in ${ns} have ${values.length ? values.map((v) => `${m.key}=${v}`).join(', ') : `no ${m.key} label`}`);
    }

    // A merge patch replaces mismatched values and removes (null) keys the pods do not carry.
    const selectorPatch: Record<string, string | null> = {};
    for (const m of first.mismatches) selectorPatch[m.key] = m.actual ?? null;
    const workload = workloadOf(first.pod);
    const remediation = [
      kubectlPatch(ns, `svc ${svc.name}`, { spec: { selector: selectorPatch } }),
      workload
        ? `# or, if the service is right, fix the pod template: kubectl -n ${ns} edit ${workload}   # set labels ${wantedValues.join(',')}`
        : `# or, if the service is right, label the pods ${wantedValues.join(',')} in their template`,
    ].join('\n');

    const matchedKeys = Object.entries(selector).filter(([key]) => !first.mismatches.some((m) => m.key === key));
    const withMatched = matchedKeys.length ? `pods with ${formatLabels(Object.fromEntries(matchedKeys))}` : 'pods';
    const valuesNear = first.mismatches.every((m) => m.actual !== undefined && isNear(m.wanted, m.actual));
    const keysMissingOnly = first.mismatches.every((m) => m.actual === undefined) && matchedKeys.length > 0;
    let head = `Selector ${selectorText} matches no pods — no pod in ${ns} carries it (nearest: pod ${first.pod.name} with ${nearValues.join(',')})`;
    if (valuesNear) head = `Selector ${wantedValues.join(',')} matches no pods — pods are labelled ${nearValues.join(',')}`;
    else if (keysMissingOnly) head = `Selector ${selectorText} matches no pods — ${withMatched} have ${nearValues.join(' and ')}`;
    return [
      finding(check, {
        status: 'fail',
        title: `Selector ${selectorText} matches no pods`,
        detail: `${head}, so ${ns}/${svc.name} has no endpoints`,
        evidence,
        remediation,
        subjects: [serviceSubject(svc), ...closest.slice(0, 5).map((c) => podSubject(c.pod))],
      }),
    ];
  },
};

export default check;
