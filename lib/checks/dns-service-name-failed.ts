import type { Check } from './types.js';
import { countEndpoints } from './lib/endpoints.js';
import { finding, skipped } from './lib/finding.js';
import { accessDenied, isHeadless, nodeSubject, serviceSlices, targetNamespace } from './lib/service.js';
import type { DnsProbeFact, Facts, Finding, Subject } from '../model/index.js';
import { dnsPathNodes, targetService } from '../scope/path.js';

function dnsEvidence(probe: DnsProbeFact): string {
  const answer = probe.outcome === 'resolved' ? ` → ${(probe.addresses ?? []).join(', ') || 'resolved'}` : ` → ${probe.outcome.toUpperCase()}`;
  const server = probe.server ? ` @${probe.server}` : '';
  return `nslookup -type=${probe.type} ${probe.name}${server}${answer}${probe.detail ? ` (${probe.detail})` : ''} in ${probe.ms} ms`;
}

/** The FQDN resolves; from a --from client in another namespace, what does its short name find? */
function resolvedFinding(facts: Facts, name: string, probes: DnsProbeFact[], subjects: Subject[]): Finding {
  const search = facts.probes.dns.find((p) => p.purpose === 'client-search' && p.outcome !== 'skipped');
  const evidence = [...probes.map(dnsEvidence), ...(search ? [dnsEvidence(search)] : [])];
  const target = facts.target;
  if (!search || target.kind !== 'svc' || !target.from) return finding(check, { status: 'pass', detail: `${name} resolves`, evidence, subjects });
  const from = target.from.namespace;
  const short = `${target.name}.${target.namespace}`;
  if (search.outcome === 'resolved') {
    return finding(check, {
      status: 'warn',
      title: `From ${from}, "${target.name}" resolves to another Service`,
      detail: `${name} resolves, but a client in ${from} asking for "${target.name}" gets ${search.name} first (its search path): Service ${from}/${target.name}, not ${target.namespace}/${target.name}.`,
      evidence,
      remediation: `# in the client's configuration, call the Service by its namespace-qualified name:\n${short}   # or ${name}`,
      subjects: [...subjects, { kind: 'service', name: target.name, namespace: from }],
    });
  }
  return finding(check, {
    status: 'pass',
    detail: `${name} resolves; from ${from} the short name "${target.name}" would not (${search.name} → ${search.outcome.toUpperCase()}): clients there must call it ${short}`,
    evidence,
    subjects,
  });
}

const check: Check = {
  code: 'dns-service-name-failed',
  title: 'Service name does not resolve',
  passTitle: 'Service name resolves',
  layer: 'dns',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-work-by-dns-name',
  appliesTo: ['svc', 'dns'],
  run(facts) {
    if (!facts.probes.enabled) return [skipped(check, `DNS probes were not run: ${facts.probes.skipReason ?? 'probing disabled'}`)];
    const probes = facts.probes.dns.filter((p) => p.purpose === 'service' && p.outcome !== 'skipped');
    if (probes.length === 0) return [skipped(check, 'no DNS probe for the service name ran')];
    const name = (probes[0] as DnsProbeFact).name;
    // The lookup's packets cross these nodes: a node cause there explains the failure.
    const subjects: Subject[] = [{ kind: 'dns', name }, ...dnsPathNodes(facts).map(nodeSubject)];
    if (facts.target.kind === 'svc') subjects.unshift({ kind: 'service', name: facts.target.name, namespace: facts.target.namespace });
    if (probes.some((p) => p.outcome === 'resolved')) return [resolvedFinding(facts, name, probes, subjects)];

    const control = facts.probes.dns.filter((p) => p.purpose === 'kubernetes-default' && p.outcome !== 'skipped');
    const controlResolved = control.some((p) => p.outcome === 'resolved');
    const outcome = (probes[0] as DnsProbeFact).outcome.toUpperCase();
    let comparison: string;
    if (control.length === 0) comparison = 'kubernetes.default was not probed for comparison';
    else if (controlResolved) comparison = 'while kubernetes.default resolves, so cluster DNS works and the problem is this name';
    else comparison = 'and kubernetes.default fails too: cluster DNS itself is down (see cluster-dns-down)';

    const svc = targetService(facts);
    let likely = '';
    if (facts.target.kind === 'svc' && !svc && !accessDenied(facts, 'services', targetNamespace(facts))) likely = ' — the service does not exist';
    else if (svc && isHeadless(svc) && countEndpoints(serviceSlices(facts, svc)).ready === 0) {
      likely = ' — a headless service without ready endpoints has no A records';
    } else if (svc && controlResolved) {
      likely = ' — check the namespace and search domain, and that CoreDNS may watch Services and EndpointSlices (its RBAC)';
    }
    const ns = targetNamespace(facts) ?? 'default';
    return [
      finding(check, {
        status: 'fail',
        title: `${name} does not resolve (${outcome})`,
        detail: `${name} does not resolve (${outcome}) ${comparison}${likely}`,
        evidence: [...probes.map(dnsEvidence), ...control.map(dnsEvidence)],
        remediation: `kubectl -n ${ns} run dnstest --rm -it --restart=Never --image=busybox:1.36 -- nslookup ${name}`,
        subjects,
      }),
    ];
  },
};

export default check;
