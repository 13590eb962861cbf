import { finding, skipped } from './lib/finding.js';
import { kubectlPatch, podSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { isExternalName, podResolvConf, searchCandidates } from '../scope/resolv-conf.js';
import type { Facts, Finding, PodFact, SearchExpansionFact, Subject } from '../model/index.js';

// A pod's resolv.conf says `options ndots:5`: a name with fewer than five dots goes through every
// search domain before it is asked as written. For a name outside the cluster each of those is a
// wasted round trip, A and AAAA, to CoreDNS (which forwards what its cache lacks) before the real
// one (kubernetes#33554). Failing lookups are other checks' business; this one explains slow ones.

/** The cluster domain the search list is built from: the one the probes used, read back from the list. */
function clusterDomainOf(facts: Facts): string {
  const probe = facts.probes.dns.find((p) => p.purpose === 'kubernetes-default');
  return probe?.name.replace(/^kubernetes\.default\.svc\./, '') || 'cluster.local';
}

function clientPod(facts: Facts): PodFact | undefined {
  const pod = facts.probes.source?.pod;
  return pod ? facts.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name) : undefined;
}

function queryLines(expansion: SearchExpansionFact): string[] {
  return expansion.queries.map((q) => `${q.type} ${q.name} → ${q.outcome.toUpperCase()} (${q.ms} ms)`);
}

const check: Check = {
  code: 'dns-ndots-search-expansion',
  title: 'Each lookup of an external name walks the search list first (ndots)',
  passTitle: 'The name is looked up without wasted search-list queries',
  layer: 'dns',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config',
  appliesTo: ['dns'],
  run(facts: Facts): Finding[] {
    const target = facts.target;
    if (target.kind !== 'dns' || target.name === undefined) return [skipped(check, 'No name to judge: give one (`dns api.example.com -n <namespace>`).')];
    const name = target.name;
    const domain = clusterDomainOf(facts);
    const pod = clientPod(facts);
    const client = pod ? `pod ${pod.namespace}/${pod.name}` : `a pod in ${target.namespace} with default DNS settings`;
    const conf = podResolvConf(pod ?? { namespace: target.namespace }, domain);
    const confLine = `${client}: dnsPolicy ${conf.policy} → search ${conf.searches.join(' ') || '(none)'}${conf.fromNode === 'searches-appended' ? " + the node's search domains" : ''}; options ndots:${conf.ndots}`;
    if (name.endsWith('.'))
      return [finding(check, { status: 'pass', detail: `${name} is absolute (trailing dot): asked as written, one A and one AAAA query per lookup.`, evidence: [confLine] })];
    const measured = facts.probes.enabled && facts.probes.searchExpansion?.name === name ? facts.probes.searchExpansion : undefined;
    // A search candidate answering means a cluster name ("<service>.<namespace>" among them): the search list doing its job.
    const answeredInCluster = measured?.answeredBy !== undefined && measured.answeredBy !== name && measured.answeredBy.endsWith(`.${domain}`);
    if (
      !isExternalName(
        name,
        domain,
        facts.namespaces.map((n) => n.name),
      ) ||
      answeredInCluster
    ) {
      const via = answeredInCluster ? ` (it resolved as ${measured?.answeredBy})` : '';
      return [
        finding(check, {
          status: 'pass',
          detail: `${name} is a cluster name${via}: CoreDNS answers it itself, and short cluster names need the search list.`,
          evidence: [confLine, ...(measured ? queryLines(measured) : [])],
        }),
      ];
    }
    if (conf.fromNode === 'whole-file') {
      return [skipped(check, `unknown, because ${client} uses dnsPolicy ${conf.policy}: its resolv.conf is the node's, which the API does not show (search domains, ndots).`)];
    }
    const dots = name.split('.').length - 1;
    const candidates = searchCandidates(name, conf);
    if (dots >= conf.ndots || conf.searches.length === 0) {
      return [
        finding(check, {
          status: 'pass',
          detail: `${name} has ${dots} dot${dots === 1 ? '' : 's'}, ndots is ${conf.ndots}: ${client} asks it as written first, no search-list queries before it.`,
          evidence: [confLine],
        }),
      ];
    }
    const derivedExtra = conf.searches.length * 2;
    const atLeast = conf.fromNode === 'searches-appended' ? 'at least ' : '';
    const wasted = measured ? measured.queries.filter((q) => q.name !== name && q.name !== measured.answeredBy) : [];
    const measuredText = measured
      ? measured.answeredBy === name
        ? ` Measured through ${measured.server}: ${measured.queries.length} queries, ${wasted.length} of them for search candidates (${sum(groupMs(wasted))} ms of ${measured.ms} ms).`
        : measured.answeredBy
          ? ` Measured: a search candidate answered (${measured.answeredBy}) before the name itself — the lookup returns that address, not ${name}'s (a wildcard record in a search domain).`
          : ` Measured: no candidate answered (${measured.queries.length} queries, ${measured.ms} ms): ${name} does not resolve from here at all.`
      : ' Not measured (probes did not run, or cluster DNS could not be asked).';
    const evidence = [confLine, `tried in order: ${candidates.join(', ')}`, ...(measured ? queryLines(measured) : [])];
    const workload = target.from && target.from.kind !== 'pod' ? target.from : undefined;
    const ndotsFix = dots >= 2 ? 2 : dots;
    const remediation = [
      `# the client names it absolutely: "${name}." (trailing dot) — one A + one AAAA, nothing else`,
      ...(ndotsFix >= 2 || dots === 1
        ? [
            workload
              ? kubectlPatch(workload.namespace, `${workload.kind} ${workload.name}`, {
                  spec: { template: { spec: { dnsConfig: { options: [{ name: 'ndots', value: String(ndotsFix) }] } } } },
                })
              : `# or in the pod template: spec.dnsConfig.options: [{name: ndots, value: "${ndotsFix}"}]`,
            ...(ndotsFix < 2 ? ['# (ndots 1 sends "<svc>.<namespace>" names out as written first: they then cost a query each instead)'] : []),
          ]
        : []),
    ].join('\n');
    const subjects: Subject[] = uniqueSubjects([{ kind: 'dns', name }, ...(pod ? [podSubject(pod)] : [])]);
    const cost = `${atLeast}${derivedExtra} extra queries per lookup (${conf.searches.length} search domain${conf.searches.length === 1 ? '' : 's'} × A and AAAA)`;
    const detail = `${name} has ${dots} dot${dots === 1 ? '' : 's'}, fewer than ndots:${conf.ndots}, and no trailing dot: ${client} tries ${conf.searches.map((d) => `${name}.${d}`).join(', ')} before ${name} itself — ${cost}.${measuredText}`;
    if (!target.slow) {
      return [
        finding(check, {
          status: 'pass',
          title: `${name} costs ${cost.replace(' per lookup', '')} (not judged: no latency complaint)`,
          detail: `${detail} Not flagged without a latency complaint: add --slow when lookups are slow.`,
          evidence,
          subjects,
        }),
      ];
    }
    return [
      finding(check, {
        status: 'warn',
        title: `Each lookup of ${name} costs ${cost.replace(' per lookup', '')}`,
        detail: `${detail} With a latency complaint this is the usual cause: every search candidate is a round trip to CoreDNS first.`,
        evidence,
        remediation,
        subjects,
      }),
    ];
  },
};

/** A and AAAA of one candidate go out together: the candidate costs the slower of the two. */
function groupMs(queries: SearchExpansionFact['queries']): number[] {
  const byName = new Map<string, number>();
  for (const q of queries) byName.set(q.name, Math.max(byName.get(q.name) ?? 0, q.ms));
  return [...byName.values()];
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export default check;
