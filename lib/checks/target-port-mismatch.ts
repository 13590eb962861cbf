import type { Check } from './types.js';
import { finding, passed, skipped } from './lib/finding.js';
import { declaredPorts, formatDeclared, resolvesTargetPort, targetPortPatch, type DeclaredPort } from './lib/ports.js';
import { describePort, kubectlPatch, portSubject, servicePods, serviceSubject } from './lib/service.js';
import { closeMatches, type Facts, type FindingStatus, type PodFact, type ServiceFact, type ServicePortFact, type Subject } from '../model/index.js';

interface PortProblem {
  status: Exclude<FindingStatus, 'pass' | 'skip' | 'error'>;
  port: ServicePortFact;
  index: number;
  sentence: string;
  evidence: string[];
  fix?: number | string;
}

function uniqueDeclared(pods: PodFact[]): DeclaredPort[] {
  const seen = new Map<string, DeclaredPort>();
  for (const port of pods.flatMap(declaredPorts)) seen.set(`${port.name ?? ''}/${port.containerPort}/${port.protocol}`, port);
  return [...seen.values()];
}

/** The declared port the service most likely meant: the only one of that protocol, or a near name. */
function likelyFix(port: ServicePortFact, declared: DeclaredPort[]): number | string | undefined {
  const sameProtocol = declared.filter((p) => p.protocol === port.protocol);
  if (typeof port.targetPort === 'string') {
    const near = closeMatches(
      port.targetPort,
      sameProtocol.map((p) => p.name).filter((n): n is string => !!n),
      1,
    )[0];
    if (near) return near;
  }
  return sameProtocol.length === 1 ? (sameProtocol[0]?.name ?? sameProtocol[0]?.containerPort) : undefined;
}

function refusedOn(facts: Facts, port: number): string[] {
  return facts.probes.tcp
    .filter((p) => p.role === 'endpoint' && p.port === port && p.outcome === 'refused')
    .map((p) => `tcp ${p.ip}:${p.port}${p.pod ? ` (pod ${p.pod})` : ''} → refused`);
}

function examine(facts: Facts, svc: ServiceFact, pods: PodFact[], port: ServicePortFact, index: number): PortProblem | undefined {
  const resolving = pods.filter((pod) => resolvesTargetPort(pod, port));
  // Almost every port resolves: the text below is only worth building for a problem.
  if (resolving.length === pods.length) return undefined;
  const declared = uniqueDeclared(pods);
  const declaredText = `selected pods declare ${formatDeclared(declared)}`;
  const missing = pods.filter((pod) => !resolving.includes(pod)).map((p) => p.name);
  const ref = `${svc.namespace}/${svc.name}`;

  if (typeof port.targetPort === 'string') {
    if (resolving.length > 0) {
      return {
        status: 'warn',
        port,
        index,
        sentence: `Named targetPort ${port.targetPort} of ${ref} port ${port.port} is missing on ${missing.length} of ${pods.length} pods, which get no endpoint for it`,
        evidence: [`pods without a port named ${port.targetPort}: ${missing.join(', ')}`, declaredText],
      };
    }
    return {
      status: 'fail',
      port,
      index,
      sentence: `Named targetPort ${port.targetPort} of ${ref} port ${port.port} is declared by no selected pod (${declaredText}), so the port has no endpoints`,
      evidence: [`service port ${describePort(port)}`, declaredText],
      fix: likelyFix(port, declared),
    };
  }

  const refused = refusedOn(facts, port.targetPort);
  if (refused.length > 0) {
    return {
      status: 'fail',
      port,
      index,
      sentence: `targetPort ${port.targetPort} of ${ref} port ${port.port} is not a port the pods listen on — ${declaredText} and the pods refuse connections on ${port.targetPort}`,
      evidence: [`service port ${describePort(port)}`, declaredText, ...refused],
      fix: likelyFix(port, declared),
    };
  }
  if (declared.length === 0) return undefined;
  return {
    status: 'warn',
    port,
    index,
    sentence: `targetPort ${port.targetPort} of ${ref} port ${port.port} is not declared by the pods (${declaredText}); it works only if the process listens there anyway`,
    evidence: [`service port ${describePort(port)}`, declaredText],
    fix: likelyFix(port, declared),
  };
}

const check: Check = {
  code: 'target-port-mismatch',
  title: 'Service targetPort does not match the pods',
  passTitle: 'targetPort matches the pods',
  layer: 'workload',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-the-service-defined-correctly',
  appliesTo: ['svc'],
  explains: ['endpoint-refused', 'clusterip-refused', 'endpoint-timeout', 'clusterip-timeout', 'no-ready-endpoints'],
  run(facts) {
    const scope = servicePods(facts);
    if ('skip' in scope) return [skipped(check, scope.skip)];
    const { svc, pods } = scope;

    const problems = svc.ports.map((port, index) => examine(facts, svc, pods, port, index)).filter((p): p is PortProblem => !!p);
    if (problems.length === 0) {
      return [
        passed(check, facts, () => ({
          detail: `every service port resolves on the ${pods.length} selected pods`,
          evidence: svc.ports.map((p) => `service port ${describePort(p)}`),
          subjects: [serviceSubject(svc)],
        })),
      ];
    }
    const worst = problems.find((p) => p.status === 'fail') ?? (problems[0] as PortProblem);
    const subjects: Subject[] = [serviceSubject(svc), ...problems.map((p) => portSubject(svc, p.port.port))];
    const remediation = problems
      .map((p) =>
        p.fix !== undefined
          ? kubectlPatch(svc.namespace, `svc ${svc.name}`, targetPortPatch(p.index, p.fix), 'json')
          : `kubectl -n ${svc.namespace} edit svc ${svc.name}   # set ports[${p.index}].targetPort to the port the container listens on`,
      )
      .join('\n');
    return [
      finding(check, {
        status: worst.status,
        title: `targetPort ${worst.port.targetPort} of ${svc.namespace}/${svc.name} does not match the pods`,
        detail: [worst, ...problems.filter((p) => p !== worst)].map((p) => p.sentence).join('\n'),
        evidence: problems.flatMap((p) => p.evidence),
        remediation,
        subjects,
      }),
    ];
  },
};

export default check;
