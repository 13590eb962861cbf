import { finding, skipped } from './lib/finding.js';
import { nodeSubject, podSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { externalUpstreams } from '../scope/corefile.js';
import { CLUSTER_DNS, looksLikeCoreDns, plural, type DnsProbeFact, type Facts, type Finding, type Subject } from '../model/index.js';

// CoreDNS answers cluster names itself and forwards every other name to the upstreams of its
// `forward .` line. An upstream that stops answering leaves CoreDNS healthy, kubernetes.default
// resolving, and every external name failing (all upstreams) or slow and intermittent (some:
// forward's health checks take the dead one out only after failures). Each upstream is asked
// directly from the CoreDNS pods' nodes, where CoreDNS's own forwarded queries leave from.

const NS = CLUSTER_DNS.namespace;
/** An answer, even NXDOMAIN, proves the upstream serves; anything else leaves CoreDNS without one. */
const answers = (p: DnsProbeFact) => p.outcome === 'resolved' || p.outcome === 'nxdomain';
const outcomeText = (p: DnsProbeFact) =>
  p.outcome === 'resolved'
    ? (p.addresses ?? []).join(', ') || 'resolved'
    : `${p.outcome.toUpperCase()}${p.detail && p.detail.toUpperCase() !== p.outcome.toUpperCase() ? ` (${p.detail})` : ''}`;
const hostOf = (server: string | undefined) => (server ?? '').replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');

function upstreamProbes(facts: Facts): DnsProbeFact[] {
  return facts.probes.enabled ? facts.probes.dns.filter((p) => p.purpose === 'coredns-upstream') : [];
}

/** The lookups through kube-dns from the probe source: the external name, and kubernetes.default as the control. */
function throughClusterDns(facts: Facts): { external?: DnsProbeFact; control?: DnsProbeFact } {
  const asked = facts.probes.enabled ? facts.probes.dns.filter((p) => p.outcome !== 'skipped') : [];
  const external = asked.find((p) => p.purpose === 'external');
  const control = asked.find((p) => p.purpose === 'kubernetes-default');
  return { ...(external ? { external } : {}), ...(control ? { control } : {}) };
}

function clientLine(p: DnsProbeFact): string {
  return `from the probe source: nslookup ${p.name} ${p.server ?? ''} (through ${CLUSTER_DNS.serviceName}) → ${outcomeText(p)}`;
}

const check: Check = {
  code: 'coredns-upstream-failing',
  title: "CoreDNS's upstream resolvers fail",
  passTitle: "CoreDNS's upstream resolvers answer",
  layer: 'system',
  docs: 'https://coredns.io/plugins/forward/',
  appliesTo: ['dns'],
  explains: ['externalname-unresolvable'],
  // External names are what CoreDNS forwards: with no upstream answering, none of them resolves.
  explainsFinding: (cause) => cause.status === 'fail',
  run(facts: Facts): Finding[] {
    if (!facts.probes.enabled) return [skipped(check, `unknown, because probes did not run (${facts.probes.skipReason ?? 'disabled'})`)];
    const corefile = facts.dns?.corefile;
    if (!corefile) return [skipped(check, 'The Corefile was not read for this job.')];
    if (corefile.unknown) return [skipped(check, `${corefile.unknown}, so CoreDNS's upstreams are unknown`)];
    if (corefile.text === undefined) return [skipped(check, `No ConfigMap ${NS}/coredns with a Corefile (not CoreDNS, or configured elsewhere): its upstreams are unknown.`)];
    const upstreams = externalUpstreams(corefile.text);
    const { external, control } = throughClusterDns(facts);
    const clientEvidence = [external, control].filter((p): p is DnsProbeFact => p !== undefined).map(clientLine);
    if (upstreams.length === 0) return [skipped(check, 'Nothing to ask: the Corefile has no `forward .`, so CoreDNS forwards no external names.')];
    const notAsked = upstreams.flatMap((u) => ('notAsked' in u ? [u.notAsked] : []));
    const probes = upstreamProbes(facts);
    const asked = probes.filter((p) => p.outcome !== 'skipped');
    if (asked.length === 0) {
      const why = probes.length
        ? `no CoreDNS node's agent could ask them (${[...new Set(probes.map((p) => `${p.node ?? '?'}: ${p.detail ?? 'skipped'}`))].slice(0, 3).join('; ')})`
        : notAsked.length === upstreams.length
          ? notAsked.join('; ')
          : 'no CoreDNS node was asked (no agent token, or no node known to run CoreDNS)';
      // The symptom is measured even when its upstream cannot be: say that much, and what was not seen.
      if (external && !answers(external) && control?.outcome === 'resolved') {
        return [
          finding(check, {
            status: 'warn',
            title: `Names outside the cluster fail through CoreDNS (${external.outcome.toUpperCase()}); its upstreams could not be asked`,
            detail: `Through ${CLUSTER_DNS.serviceName}, ${external.name} → ${outcomeText(external)} while kubernetes.default resolves: CoreDNS answers, what it forwards to does not. Which upstream fails is unknown, because ${why}.`,
            evidence: [...clientEvidence, `Corefile: forward . ${upstreams.map((u) => u.target).join(' ')}`],
            remediation: [
              `kubectl -n ${NS} logs -l k8s-app=kube-dns --tail=50 | grep -iE 'forward|i/o timeout|no healthy'`,
              `# on a CoreDNS node: cat /etc/resolv.conf, then dig @<each nameserver> ${external.name}`,
            ].join('\n'),
            subjects: uniqueSubjects([{ kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: NS }, ...facts.systemPods.filter((p) => looksLikeCoreDns(p)).map(podSubject)]),
          }),
        ];
      }
      const seen = external ? ` Through ${CLUSTER_DNS.serviceName}, ${external.name} → ${outcomeText(external)}.` : '';
      return [skipped(check, `unknown, because ${why}.${seen}`)];
    }

    const nodes = [...new Set(asked.map((p) => p.node ?? '?'))].sort();
    const servers = [...new Set(asked.map((p) => p.server ?? '?'))];
    const failing = asked.filter((p) => !answers(p));
    const evidence = [
      ...[...failing, ...asked.filter(answers)].map((p) => `agent on ${p.node ?? '?'}: nslookup ${p.name} ${p.server ?? ''} (CoreDNS upstream) → ${outcomeText(p)}`),
      ...clientEvidence,
      ...notAsked.map((n) => `not asked: ${n}`),
      `Corefile: forward . ${upstreams.map((u) => u.target).join(' ')}`,
    ];
    if (failing.length === 0) {
      return [
        finding(check, {
          status: 'pass',
          detail: `${plural(servers.length, 'upstream')} (${servers.map(hostOf).join(', ')}) answer${servers.length === 1 ? 's' : ''} from ${nodes.join(', ')}${notAsked.length ? `; not asked: ${notAsked.join('; ')}` : ''}.`,
          evidence,
        }),
      ];
    }

    // Per CoreDNS node: with no upstream answering there, its replicas resolve no external name.
    const cutOff = nodes.filter((n) => !asked.some((p) => p.node === n && answers(p)));
    const deadServers = [...new Set(failing.map((p) => p.server ?? '?'))];
    const answeringServers = servers.filter((s) => asked.some((p) => p.server === s && answers(p)));
    const failingNodes = [...new Set(failing.map((p) => p.node).filter((n): n is string => !!n))].sort();
    const outcomes = [...new Set(failing.map((p) => p.outcome.toUpperCase()))].join('/');
    const full = cutOff.length > 0;
    const corednsPods = facts.systemPods.filter((p) => looksLikeCoreDns(p) && p.nodeName !== undefined && (full ? cutOff : failingNodes).includes(p.nodeName));
    const deadList = deadServers.map(hostOf).join(', ');
    const inCluster = control && control.outcome === 'resolved' ? ' while kubernetes.default resolves' : '';
    const seen = external
      ? answers(external)
        ? ` Through ${CLUSTER_DNS.serviceName}, ${external.name} still resolves.`
        : ` Through ${CLUSTER_DNS.serviceName}, ${external.name} → ${outcomeText(external)}${inCluster}: CoreDNS is up, its upstream is not.`
      : '';
    const subjects: Subject[] = uniqueSubjects([
      ...deadServers.map((s): Subject => ({ kind: 'ip', name: hostOf(s) })),
      { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: NS },
      ...corednsPods.map(podSubject),
      ...(full ? cutOff : failingNodes).map(nodeSubject),
    ]);
    const remediation = [
      `# on ${failingNodes[0] ?? 'a CoreDNS node'}`,
      ...deadServers.map((s) => `dig @${hostOf(s)} -p ${s.replace(/^.*:/, '') || '53'} ${failing[0]?.name ?? 'kubernetes.io'}`),
      `kubectl -n ${NS} logs -l k8s-app=kube-dns --tail=50 | grep -iE 'forward|i/o timeout|no healthy'`,
      `kubectl -n ${NS} edit configmap coredns   # forward . <upstreams that answer>, then: kubectl -n ${NS} rollout restart deployment coredns`,
    ].join('\n');
    const podsText = corednsPods.length ? ` (CoreDNS ${corednsPods.map((p) => `${p.name} on ${p.nodeName}`).join(', ')})` : '';
    if (full) {
      return [
        finding(check, {
          status: 'fail',
          title: `CoreDNS's upstream${deadServers.length === 1 ? '' : 's'} ${deadList} do${deadServers.length === 1 ? 'es' : ''} not answer (${outcomes}): names outside the cluster fail`,
          detail: `No upstream of CoreDNS answers from ${cutOff.join(', ')}${podsText}: ${deadList} → ${outcomes}. CoreDNS resolves cluster names itself, but every name outside the cluster it forwards fails.${seen}`,
          evidence,
          remediation,
          subjects,
        }),
      ];
    }
    return [
      finding(check, {
        status: 'warn',
        title: `CoreDNS upstream ${deadList} fails (${outcomes}); ${answeringServers.map(hostOf).join(', ')} answer${answeringServers.length === 1 ? 's' : ''}`,
        detail: `CoreDNS upstream ${deadList} does not answer (${outcomes}) from ${failingNodes.join(', ')}${podsText}, while ${answeringServers.map(hostOf).join(', ')} answer${answeringServers.length === 1 ? 's' : ''}: a partial failure. External names still resolve, but the lookups CoreDNS sends to ${deadList} wait for its timeout until forward's health check marks it down, so they are slow or fail now and then.${seen}`,
        evidence,
        remediation,
        subjects,
      }),
    ];
  },
};

export default check;
