// Lookups shared by the service checks: which Service the job is about, which pods and
// EndpointSlices belong to it, and how to name them as finding subjects.
import { targetService } from '../../scope/path.js';
import {
  isTerminalPod,
  ObjectCache,
  podsSelectedBy,
  targetLabel,
  type AccessErrorFact,
  type EndpointSliceFact,
  type Facts,
  type PodFact,
  type ServiceFact,
  type ServicePortFact,
  type Subject,
} from '../../model/index.js';

export function targetRef(facts: Facts): string {
  const target = facts.target;
  return target.kind === 'svc' ? `${target.namespace}/${target.name}` : targetLabel(target);
}

/** The namespace a target is about, if any. */
export function targetNamespace(facts: Facts): string | undefined {
  const target = facts.target;
  return target.kind === 'svc' || target.kind === 'dns' ? target.namespace : undefined;
}

/** Why a check has no Service to look at: it does not exist, or we were not allowed to read it. */
export function missingServiceReason(facts: Facts): string {
  const denied = accessDenied(facts, 'services', targetNamespace(facts));
  if (denied) return `service ${targetRef(facts)} could not be read: ${describeAccessError(denied)}`;
  return `service ${targetRef(facts)} not found`;
}

export function selectedPods(facts: Facts, svc: ServiceFact): PodFact[] {
  const selector = svc.selector;
  if (!selector) return [];
  let bySvc = selections.get(facts);
  if (!bySvc) selections.set(facts, (bySvc = new Map()));
  let pods = bySvc.get(svc);
  if (!pods) bySvc.set(svc, (pods = podsSelectedBy(facts.pods, svc.namespace, selector).filter((pod) => !isTerminalPod(pod))));
  return pods;
}

/**
 * Facts are read-only while checks run, and half a dozen service checks ask for the same selection
 * (a sweep: 10k services): one filter per facts object and Service. Callers must not modify it.
 */
const selections = new ObjectCache<Facts, Map<ServiceFact, PodFact[]>>();

export function serviceSlices(facts: Facts, svc: ServiceFact): EndpointSliceFact[] {
  return facts.endpointSlices.filter((slice) => slice.namespace === svc.namespace && slice.serviceName === svc.name);
}

export function hasSelector(svc: ServiceFact): boolean {
  return !!svc.selector && Object.keys(svc.selector).length > 0;
}

export function isHeadless(svc: ServiceFact): boolean {
  return svc.clusterIP === 'None';
}

/** An access error that means `resource` in `namespace` was not read, so its absence proves nothing. */
export function accessDenied(facts: Facts, resource: string, namespace: string | undefined): AccessErrorFact | undefined {
  return facts.accessErrors.find((err) => err.resource === resource && (err.namespace === undefined || err.namespace === namespace));
}

export function describeAccessError(err: AccessErrorFact): string {
  const where = err.namespace ? ` in namespace ${err.namespace}` : ' cluster-wide';
  return `could not ${err.verb} ${err.resource}${where} (HTTP ${err.status})`;
}

export function serviceSubject(svc: Pick<ServiceFact, 'name' | 'namespace'>): Subject {
  return { kind: 'service', name: svc.name, namespace: svc.namespace };
}

/** A pod with its address and node when known, so node-level causes meet the pod's symptoms. */
export function podSubject(pod: Pick<PodFact, 'name' | 'namespace'> & Partial<Pick<PodFact, 'podIP' | 'nodeName'>>): Subject {
  return { kind: 'pod', name: pod.name, namespace: pod.namespace, ...(pod.podIP ? { ip: pod.podIP } : {}), ...(pod.nodeName ? { node: pod.nodeName } : {}) };
}

export function nodeSubject(name: string): Subject {
  return { kind: 'node', name };
}

/** A service port is named "<service>:<port>" so port-level causes and probe symptoms meet on it. */
export function portSubject(svc: Pick<ServiceFact, 'name' | 'namespace'>, port: number): Subject {
  return { kind: 'port', name: `${svc.name}:${port}`, namespace: svc.namespace, service: svc.name, port };
}

export function describePort(port: ServicePortFact): string {
  const name = port.name ? `${port.name} ` : '';
  return `${name}${port.port}/${port.protocol} → targetPort ${port.targetPort}`;
}

/** Deployments own pods through a ReplicaSet named "<deployment>-<hash>". */
export function workloadOf(pod: PodFact): string | undefined {
  if (!pod.ownerKind || !pod.ownerName) return undefined;
  if (pod.ownerKind === 'ReplicaSet') {
    const deployment = pod.ownerName.replace(/-[a-z0-9]{5,10}$/, '');
    if (deployment !== pod.ownerName) return `deployment/${deployment}`;
  }
  return `${pod.ownerKind.toLowerCase()}/${pod.ownerName}`;
}

export function uniqueSubjects(subjects: Subject[]): Subject[] {
  const seen = new Set<string>();
  return subjects.filter((subject) => {
    const key = `${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** kubectl-style merge patch; JSON inside single quotes is safe to paste into a POSIX shell. */
export function kubectlPatch(namespace: string, resource: string, patch: unknown, type?: 'json'): string {
  const typeFlag = type ? ` --type=${type}` : '';
  return `kubectl -n ${namespace} patch ${resource}${typeFlag} -p '${JSON.stringify(patch)}'`;
}

/**
 * The Service and the pods it selects, or why a pod-level check has nothing to look at: the
 * service is missing or unreadable, has no selector, the pods could not be listed, or none match.
 */
export function servicePods(facts: Facts): { svc: ServiceFact; pods: PodFact[] } | { skip: string } {
  const svc = targetService(facts);
  if (!svc) return { skip: missingServiceReason(facts) };
  if (svc.type === 'ExternalName' || !hasSelector(svc)) return { skip: 'service selects no pods (no selector)' };
  const denied = accessDenied(facts, 'pods', svc.namespace);
  if (denied) return { skip: `cannot read pods: ${describeAccessError(denied)}` };
  const pods = selectedPods(facts, svc);
  if (pods.length === 0) return { skip: 'the selector matches no pods (see selector-matches-no-pods)' };
  return { svc, pods };
}
