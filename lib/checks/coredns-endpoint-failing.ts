import { finding, skipped } from './lib/finding.js';
import { nodeSubject, podSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { CLUSTER_DNS, plural, type DnsProbeFact, type Facts, type Finding, type Subject } from '../model/index.js';

// Each ready CoreDNS pod asked directly, past the kube-dns Service. kube-proxy spreads lookups
// over the replicas at random, so one bad replica (its upstream gone, its node dropping UDP,
// a stale cache) fails one lookup in N and looks like flakiness through the Service
// (kuberhealthy#614). Only the direct answers name the replica.

const NS = CLUSTER_DNS.namespace;

function endpointProbes(facts: Facts): DnsProbeFact[] {
  return facts.probes.enabled ? facts.probes.dns.filter((p) => p.purpose === 'dns-endpoint' && p.outcome !== 'skipped') : [];
}

function split(facts: Facts): { failing: DnsProbeFact[]; answering: DnsProbeFact[] } {
  const probes = endpointProbes(facts);
  return { failing: probes.filter((p) => p.outcome !== 'resolved'), answering: probes.filter((p) => p.outcome === 'resolved') };
}

function line(p: DnsProbeFact): string {
  const who = p.pod ? `pod ${NS}/${p.pod}${p.node ? ` on ${p.node}` : ''}` : `endpoint ${p.server ?? ''}`;
  const answer = p.outcome === 'resolved' ? (p.addresses ?? []).join(', ') || 'resolved' : `${p.outcome.toUpperCase()}${p.detail ? ` (${p.detail})` : ''}`;
  return `nslookup ${p.name} ${p.server ?? ''} (${who}) → ${answer}`;
}

const check: Check = {
  code: 'coredns-endpoint-failing',
  title: 'A CoreDNS replica fails lookups',
  passTitle: 'Every CoreDNS replica answers',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/#are-dns-endpoints-exposed',
  appliesTo: ['svc', 'dns', 'cluster'],
  explains: ['cluster-dns-down', 'dns-service-name-failed', 'externalname-unresolvable', 'node-dns-resolution-failed'],
  // Only while other replicas answer: then the lookups through the Service that failed (the probe
  // source's, a node's) hit the bad one.
  explainsFinding(cause: Finding, _symptom: Finding, facts: Facts): boolean {
    const { failing, answering } = split(facts);
    return (cause.status === 'fail' || cause.status === 'warn') && failing.length > 0 && answering.length > 0;
  },
  run(facts: Facts): Finding[] {
    if (!facts.probes.enabled) return [skipped(check, `unknown, because probes did not run (${facts.probes.skipReason ?? 'disabled'})`)];
    const asked = facts.probes.dns.filter((p) => p.purpose === 'dns-endpoint');
    if (asked.length === 0) {
      const listed = (facts.dns?.endpointSlices ?? []).some((s) => s.endpoints.some((e) => e.ready !== false));
      return [
        skipped(check, listed ? 'unknown, because no CoreDNS endpoint was asked directly' : 'Nothing to ask: the kube-dns Service lists no ready endpoint (see cluster-dns-down).'),
      ];
    }
    const { failing, answering } = split(facts);
    if (failing.length === 0 && answering.length === 0) return [skipped(check, `unknown, because no CoreDNS endpoint could be asked (${asked[0]?.detail ?? 'skipped'})`)];
    const evidence = [...failing, ...answering].map(line);
    if (failing.length === 0) {
      return [finding(check, { status: 'pass', detail: `All ${plural(answering.length, 'CoreDNS endpoint')} answer kubernetes.default directly.`, evidence })];
    }
    const nodes = [...new Set(failing.map((p) => p.node).filter((n): n is string => !!n))].sort();
    const subjects: Subject[] = uniqueSubjects([
      { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: NS },
      ...failing.flatMap((p): Subject[] =>
        p.pod ? [podSubject({ name: p.pod, namespace: NS, podIP: p.server?.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), ...(p.node ? { nodeName: p.node } : {}) })] : [],
      ),
      ...nodes.map(nodeSubject),
    ]);
    const names = failing.map((p) => (p.pod ? `${p.pod}${p.node ? ` on ${p.node}` : ''}` : (p.server ?? '?'))).join(', ');
    const outcomes = [...new Set(failing.map((p) => p.outcome.toUpperCase()))].join('/');
    const timeouts = failing.some((p) => p.outcome === 'timeout');
    const remediation = failing
      .flatMap((p) =>
        p.pod
          ? [
              `kubectl -n ${NS} logs ${p.pod} --tail=50   # upstream (forward) errors, plugin errors`,
              ...(timeouts && p.node ? [`netcheck node ${p.node}   # does that node drop the UDP 53 packets?`] : []),
              `kubectl -n ${NS} delete pod ${p.pod}   # its Deployment replaces it; the new replica starts clean`,
            ]
          : [`dig @${p.server?.replace(/:\d+$/, '') ?? ''} kubernetes.default.svc.cluster.local`],
      )
      .join('\n');
    if (answering.length === 0) {
      return [
        finding(check, {
          status: 'fail',
          title: `No CoreDNS replica answers (${outcomes})`,
          detail: `None of the ${plural(failing.length, 'CoreDNS endpoint')} answers kubernetes.default when asked directly (${outcomes}): ${names}.`,
          evidence,
          remediation,
          subjects,
        }),
      ];
    }
    const total = failing.length + answering.length;
    return [
      finding(check, {
        // Through the Service this is intermittent; for a DNS job it is the answer, elsewhere a side fault.
        status: facts.target.kind === 'dns' ? 'fail' : 'warn',
        title: `${failing.length} of ${total} CoreDNS replicas fail lookups (${outcomes})`,
        detail: `${failing.length} of ${total} CoreDNS replicas fail when asked directly (${outcomes}): ${names}. kube-proxy spreads lookups at random, so about ${failing.length} in ${total} lookups through kube-dns fail while the rest succeed.`,
        evidence,
        remediation,
        subjects,
      }),
    ];
  },
};

export default check;
