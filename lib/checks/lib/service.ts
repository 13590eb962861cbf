// Lookups shared by the service checks: which Service the job is about, which pods and
// EndpointSlices belong to it, and how to name them as finding subjects.
import type { AccessErrorFact, EndpointSliceFact, Facts, PodFact, ServiceFact, ServicePortFact } from '../../facts/types.js';
import type { Subject } from '../types.js';
import { matchesLabels } from './labels.js';

/** Facts are read-only while checks run, and every service check starts by asking for the Service. */
const targetServices = new WeakMap<Facts, ServiceFact | undefined>();

export function targetService(facts: Facts): ServiceFact | undefined {
  if (targetServices.has(facts)) return targetServices.get(facts);
  const { name, namespace } = facts.target;
  const found = facts.target.kind !== 'svc' || !name || !namespace ? undefined : facts.services.find((svc) => svc.name === name && svc.namespace === namespace);
  targetServices.set(facts, found);
  return found;
}

export function targetRef(facts: Facts): string {
  return `${facts.target.namespace ?? 'default'}/${facts.target.name ?? ''}`;
}

/** Why a check has no Service to look at: it does not exist, or we were not allowed to read it. */
export function missingServiceReason(facts: Facts): string {
  const denied = accessDenied(facts, 'services', facts.target.namespace);
  if (denied) return `service ${targetRef(facts)} could not be read: ${describeAccessError(denied)}`;
  return `service ${targetRef(facts)} not found`;
}

export function selectedPods(facts: Facts, svc: ServiceFact): PodFact[] {
  const selector = svc.selector;
  if (!selector) return [];
  return facts.pods.filter((pod) => pod.namespace === svc.namespace && matchesLabels(selector, pod.labels));
}

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
  return facts.accessErrors.find(
    (err) => err.resource === resource && (err.namespace === undefined || err.namespace === namespace),
  );
}

export function describeAccessError(err: AccessErrorFact): string {
  const where = err.namespace ? ` in namespace ${err.namespace}` : ' cluster-wide';
  return `could not ${err.verb} ${err.resource}${where} (HTTP ${err.status})`;
}

export function serviceSubject(svc: Pick<ServiceFact, 'name' | 'namespace'>): Subject {
  return { kind: 'service', name: svc.name, namespace: svc.namespace };
}

export function podSubject(pod: Pick<PodFact, 'name' | 'namespace'>): Subject {
  return { kind: 'pod', name: pod.name, namespace: pod.namespace };
}

export function nodeSubject(name: string): Subject {
  return { kind: 'node', name };
}

/** A service port is named "<service>:<port>" so port-level causes and probe symptoms meet on it. */
export function portSubject(svc: Pick<ServiceFact, 'name' | 'namespace'>, port: number): Subject {
  return { kind: 'port', name: `${svc.name}:${port}`, namespace: svc.namespace };
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
