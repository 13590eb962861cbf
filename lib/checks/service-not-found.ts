import type { Check } from './types.js';
import { finding, passed, skipped } from './lib/finding.js';
import { accessDenied, describeAccessError, serviceSubject } from './lib/service.js';
import { closeMatches, outsideScopeReason } from '../model/index.js';
import { targetService } from '../scope/path.js';

const check: Check = {
  code: 'service-not-found',
  title: 'Service not found',
  passTitle: 'Service exists',
  layer: 'object',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-exist',
  appliesTo: ['svc'],
  explains: ['dns-service-name-failed'],
  run(facts) {
    if (facts.target.kind !== 'svc') return [skipped(check, 'the job names no service')];
    const { name, namespace } = facts.target;
    const svc = targetService(facts);
    if (svc) {
      return [passed(check, facts, () => ({ detail: `service ${namespace}/${name} exists (${svc.type})`, subjects: [serviceSubject(svc)] }))];
    }
    const denied = accessDenied(facts, 'services', namespace);
    if (denied) return [skipped(check, `cannot tell whether ${namespace}/${name} exists: ${describeAccessError(denied)}`)];

    const inNamespace = facts.services.filter((s) => s.namespace === namespace).map((s) => s.name);
    const similar = closeMatches(name, inNamespace);
    const elsewhere = facts.sameNameElsewhere.filter((s) => s.name === name && s.namespace !== namespace).map((s) => s.namespace);
    const hints: string[] = [];
    if (similar.length) hints.push(`did you mean ${similar.join(' or ')}?`);
    if (elsewhere.length) hints.push(`a service named ${name} exists in namespace ${elsewhere.join(', ')}`);

    const evidence = [`kubectl -n ${namespace} get svc ${name} → NotFound`];
    evidence.push(
      inNamespace.length ? `services in ${namespace}: ${inNamespace.slice(0, 20).join(', ')}${inNamespace.length > 20 ? ', …' : ''}` : `namespace ${namespace} has no services`,
    );
    for (const other of elsewhere) evidence.push(`kubectl -n ${other} get svc ${name} → found`);
    // Namespaced mode: "no such name elsewhere" holds only for the namespaces it may read.
    if (facts.readScope) evidence.push(`a service named ${name} in any other namespace: ${outsideScopeReason(facts.readScope, 'the other namespaces')}`);

    let remediation = `kubectl -n ${namespace} get svc`;
    if (similar[0]) remediation = `kubectl -n ${namespace} get svc ${similar[0]}   # use the existing name in your client config`;
    else if (elsewhere[0]) remediation = `kubectl -n ${elsewhere[0]} get svc ${name}   # call it as ${name}.${elsewhere[0]}.svc, or create it in ${namespace}`;

    return [
      finding(check, {
        status: 'fail',
        title: `Service ${namespace}/${name} does not exist`,
        detail: `Service ${namespace}/${name} does not exist, so its name cannot resolve or route anywhere${hints.length ? ` — ${hints.join('; ')}` : ''}`,
        evidence,
        remediation,
        subjects: [{ kind: 'service', name, namespace }],
      }),
    ];
  },
};

export default check;
