import type { Facts } from '../../facts/types.js';
import type { Finding, Subject } from '../types.js';
import { isHeadless, targetService } from './service.js';

function subjectKey(subject: Subject): string {
  return `${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
}

/** The verdict's default link rule: cause and symptom are about the same service, pod, node or port. */
export function sharesSubject(cause: Finding, symptom: Finding): boolean {
  const keys = new Set(cause.subjects.map(subjectKey));
  return symptom.subjects.some((subject) => keys.has(subjectKey(subject)));
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
