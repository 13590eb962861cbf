// The four TCP-probe checks differ only in which probes they read and what the outcome means;
// this builder keeps their skip/pass/fail rules identical.
import type { Check } from '../types.js';
import { finding, skipped } from './finding.js';
import { nodesHostingEndpoints } from '../../scope/path.js';
import { isHeadless, nodeSubject, podSubject, portSubject, serviceSubject, missingServiceReason, uniqueSubjects } from './service.js';
import type { Code, Facts, Finding, Layer, ServiceFact, Subject, TcpOutcome, TcpProbeFact } from '../../model/index.js';
import { targetService } from '../../scope/path.js';

export interface ProbeCheckSpec {
  code: Code;
  title: string;
  passTitle?: string;
  docs: string;
  role: TcpProbeFact['role'];
  /** Outcomes this check reports; the first is the one named in the code. */
  outcomes: readonly TcpOutcome[];
  explains?: readonly Code[];
  /** Why these outcomes happen; first line of the fail detail. */
  describe(failing: TcpProbeFact[], all: TcpProbeFact[], svc: ServiceFact, facts: Facts): string;
  remediation(failing: TcpProbeFact[], svc: ServiceFact, facts: Facts): string;
}

const OUTCOME_TEXT: Partial<Record<TcpOutcome, string>> = {
  timeout: 'timed out (SYN unanswered)',
  refused: 'refused (RST: nothing accepts connections there)',
  unreachable: 'unreachable (no route / ICMP unreachable)',
  connected: 'connected',
};

function probeEvidence(probe: TcpProbeFact): string {
  const who = probe.pod ? ` pod ${probe.pod}` : '';
  const where = probe.node ? ` on ${probe.node}` : '';
  const detail = probe.detail ? ` ${probe.detail}` : '';
  const outcome = OUTCOME_TEXT[probe.outcome] ?? probe.outcome;
  return `tcp ${probe.ip}:${probe.port} (${probe.role}${who}${where}) → ${outcome} after ${probe.ms} ms${detail}`;
}

/**
 * What a failed probe is about: the Service and port, the pods and nodes it reached for, and the
 * probe source's node — every probe's packets cross that node's kernel and kube-proxy rules.
 */
function probeSubjects(svc: ServiceFact, probes: TcpProbeFact[], facts: Facts): Subject[] {
  const subjects: Subject[] = [serviceSubject(svc)];
  const sourceNode = facts.probes.source?.node;
  if (sourceNode) subjects.push(nodeSubject(sourceNode));
  // A ClusterIP connection is DNATed to any ready endpoint, so it crosses their nodes too.
  if (probes.some((p) => p.role === 'clusterIP')) for (const node of nodesHostingEndpoints(facts)) subjects.push(nodeSubject(node));
  for (const probe of probes) {
    if (probe.servicePort !== undefined) subjects.push(portSubject(svc, probe.servicePort));
    if (probe.pod) subjects.push(podSubject({ name: probe.pod, namespace: svc.namespace, podIP: probe.ip, ...(probe.node ? { nodeName: probe.node } : {}) }));
    if (probe.node) subjects.push(nodeSubject(probe.node));
  }
  return uniqueSubjects(subjects);
}

export function defineProbeCheck(spec: ProbeCheckSpec): Check {
  const layer: Layer = 'dataplane';
  const check: Check = {
    code: spec.code,
    title: spec.title,
    ...(spec.passTitle ? { passTitle: spec.passTitle } : {}),
    layer,
    docs: spec.docs,
    appliesTo: ['svc'],
    explains: spec.explains ?? [],
    run(facts: Facts): Finding[] {
      if (!facts.probes.enabled) {
        return [skipped(check, `probes were not run: ${facts.probes.skipReason ?? 'probing disabled'}`)];
      }
      const svc = targetService(facts);
      if (!svc) return [skipped(check, `${missingServiceReason(facts)}, nothing to probe`)];
      if (svc.type === 'ExternalName') return [skipped(check, 'ExternalName services have no ClusterIP or endpoints to probe')];
      if (spec.role === 'clusterIP' && isHeadless(svc)) return [skipped(check, 'headless service (clusterIP: None): no ClusterIP to probe')];
      const probes = facts.probes.tcp.filter((p) => p.role === spec.role);
      const tested = probes.filter((p) => p.outcome !== 'skipped');
      if (tested.length === 0) {
        const why = probes.find((p) => p.detail)?.detail;
        return [skipped(check, `no ${spec.role} TCP probes ran${why ? `: ${why}` : ''}`)];
      }
      const failing = tested.filter((p) => spec.outcomes.includes(p.outcome));
      const broken = tested.filter((p) => p.outcome === 'error');
      if (failing.length === 0 && broken.length === tested.length) {
        // A probe that could not run says nothing about the path: unknown, never a pass.
        return [
          finding(check, {
            status: 'error',
            title: `${spec.role} probes could not run`,
            detail: `unknown, because none of the ${tested.length} ${spec.role} probes ran to an outcome: ${broken[0]?.detail ?? 'probe error'}`,
            evidence: tested.map(probeEvidence),
            subjects: [serviceSubject(svc)],
          }),
        ];
      }
      if (failing.length === 0) {
        const connected = tested.filter((p) => p.outcome === 'connected').length;
        return [
          finding(check, {
            status: 'pass',
            detail: `${connected} of ${tested.length} ${spec.role} probes connected; none ${spec.outcomes.join('/')}${broken.length ? `; ${broken.length} could not run (${broken[0]?.detail ?? 'probe error'}), so those paths are unverified` : ''}`,
            evidence: tested.map(probeEvidence),
            subjects: [serviceSubject(svc)],
          }),
        ];
      }
      const others = tested.filter((p) => !failing.includes(p));
      return [
        finding(check, {
          status: 'fail',
          title: `${failing.length} of ${tested.length} ${spec.title.charAt(0).toLowerCase()}${spec.title.slice(1)}`,
          detail: spec.describe(failing, tested, svc, facts),
          evidence: [...failing.map(probeEvidence), ...others.map(probeEvidence)],
          remediation: spec.remediation(failing, svc, facts),
          subjects: probeSubjects(svc, failing, facts),
        }),
      ];
    },
  };
  return check;
}

export function nodesOf(probes: TcpProbeFact[]): string[] {
  return [...new Set(probes.map((p) => p.node).filter((n): n is string => !!n))].sort();
}
