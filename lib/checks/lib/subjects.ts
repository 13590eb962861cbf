import { subjectKey, type Facts, type Finding, type PodFact, type Subject } from '../../model/index.js';
import { isHeadless } from './service.js';
import { targetService } from '../../scope/path.js';

/** What a symptom is about, with a pod's node and IP standing beside the pod. */
function symptomKeys(symptom: Finding): Set<string> {
  const keys = new Set<string>();
  for (const subject of symptom.subjects) {
    keys.add(subjectKey(subject));
    if (subject.kind === 'pod') {
      if (subject.node) keys.add(subjectKey({ kind: 'node', name: subject.node }));
      if (subject.ip) keys.add(subjectKey({ kind: 'ip', name: subject.ip }));
    }
  }
  return keys;
}

/**
 * The verdict's default link rule: cause and symptom are about the same service, pod, node, port
 * or address. A node cause also reaches the pods on that node: a symptom names its pods with
 * their nodes, so `ip-forward-disabled` on node-2 meets the endpoint timeouts of pods on node-2.
 */
export function sharesSubject(cause: Finding, symptom: Finding): boolean {
  const keys = symptomKeys(symptom);
  return cause.subjects.some((subject: Subject) => keys.has(subjectKey(subject)));
}

/** When the symptom names pods, the cause must name one of them; otherwise any shared subject links. */
export function sharesPodsElseSubject(cause: Finding, symptom: Finding): boolean {
  const pods = symptom.subjects.filter((s) => s.kind === 'pod');
  if (pods.length === 0) return sharesSubject(cause, symptom);
  const causePods = new Set(cause.subjects.filter((s) => s.kind === 'pod').map(subjectKey));
  return pods.some((pod) => causePods.has(subjectKey(pod)));
}

/**
 * For causes that leave a service without endpoints: they break its DNS name only when the
 * service is headless (a ClusterIP service's A record does not depend on endpoints).
 */
export function explainsThroughEndpoints(cause: Finding, symptom: Finding, facts: Facts): boolean {
  if (symptom.code === 'dns-service-name-failed') {
    const svc = targetService(facts);
    return !!svc && isHeadless(svc) && sharesSubject(cause, symptom);
  }
  return sharesSubject(cause, symptom);
}

/** Nodes a symptom finding is about: its node subjects plus the nodes of its pod subjects. */
export function symptomNodes(symptom: Finding, facts: Facts): Set<string> {
  const nodes = new Set<string>();
  for (const subject of symptom.subjects) {
    if (subject.kind === 'node') nodes.add(subject.name);
    if (subject.kind === 'pod') {
      // Probe symptoms name the pod's node; other findings may not, and the pod list tells.
      const node = subject.node ?? facts.pods.find((p) => p.name === subject.name && p.namespace === subject.namespace)?.nodeName;
      if (node) nodes.add(node);
    }
  }
  return nodes;
}

/** The address of a DNAT backend as the agent reports it: "10.244.2.10:8080", "[fd00::a]:8080". */
export function backendAddress(backend: string): string {
  const host = backend.slice(0, backend.lastIndexOf(':'));
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The pod a backend address belongs to, when one does. */
export function podAtBackend(facts: Facts, backend: string): PodFact | undefined {
  const ip = backendAddress(backend);
  return facts.pods.find((p) => p.podIP === ip);
}
