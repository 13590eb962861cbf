import { unreadable } from './lib/access.js';
import { finding, skipped } from './lib/finding.js';
import { effectivePolicyTypes, evaluateConnection, explainDenial, podEndpoint, type Endpoint } from './lib/netpol.js';
import type { Check } from './types.js';
import { decideConnection, hasPolicySystems, policiesOf } from './lib/policy/evaluate.js';
import { editPolicyFix, policyApisUnknown, policySubject } from './lib/policy/explain.js';
import { CLUSTER_DNS, formatLabels, isClusterDnsPod, type Facts, type Finding, type NetworkPolicyFact, type Subject } from '../model/index.js';

// A namespace's egress NetworkPolicies must let its pods reach cluster DNS (UDP and TCP 53 to the
// kube-dns pods): a default-deny-egress that forgot port 53 breaks every name lookup there, and
// with probes off nothing else would notice. Judged for the --from client when there is one,
// otherwise for each group of pods an egress policy selects.

interface Client {
  endpoint: Endpoint & { namespace: string; labels: Record<string, string> };
  /** "pods app=web" — what this client stands for. */
  who: string;
}

function clientsOf(facts: Facts, namespace: string, policies: NetworkPolicyFact[]): { clients: Client[]; unjudged: string[] } {
  const source = facts.probes.source;
  if (source?.pod && source.namespace === namespace && source.podLabels) {
    const endpoint = { namespace, labels: source.podLabels, serviceAccount: source.serviceAccount, description: source.description };
    return { clients: [{ endpoint, who: source.description }], unjudged: [] };
  }
  const clients: Client[] = [];
  const unjudged: string[] = [];
  for (const policy of policies) {
    // Only matchLabels selectors stand for a concrete set of labels; expressions are reported as not judged.
    if (policy.podSelector.matchExpressions?.length) {
      unjudged.push(`${policy.namespace}/${policy.name} (podSelector with expressions)`);
      continue;
    }
    const labels = policy.podSelector.matchLabels ?? {};
    const who = Object.keys(labels).length ? `pods ${formatLabels(labels)} in ${namespace}` : `every pod in ${namespace}`;
    if (!clients.some((c) => c.who === who)) clients.push({ endpoint: { namespace, labels, description: who }, who });
  }
  return { clients, unjudged };
}

function dnsDestination(facts: Facts): { endpoint: Endpoint; ports: { port: number; protocol: 'UDP' | 'TCP' }[] } {
  const pod = facts.systemPods.find(isClusterDnsPod);
  const endpoint = pod
    ? podEndpoint(pod)
    : { namespace: CLUSTER_DNS.namespace, labels: { [CLUSTER_DNS.podLabel.key]: CLUSTER_DNS.podLabel.value }, description: 'the cluster DNS pods' };
  const service = facts.dns?.service;
  // The packets reach the pods on the targetPort (CoreDNS often listens on 53, some on 1053).
  const ports = (service?.ports ?? [{ port: 53, targetPort: 53, protocol: 'UDP' as const }])
    .filter((p) => p.protocol === 'UDP' || p.protocol === 'TCP')
    .map((p) => ({ port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol as 'UDP' | 'TCP' }));
  return { endpoint, ports: ports.length ? ports : [{ port: 53, protocol: 'UDP' }] };
}

const check: Check = {
  code: 'dns-egress-denied',
  title: 'Egress NetworkPolicy blocks cluster DNS',
  passTitle: 'Egress NetworkPolicies let pods reach cluster DNS',
  layer: 'policy',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic',
  appliesTo: ['dns'],
  explains: ['dns-service-name-failed', 'cluster-dns-down'],
  run(facts: Facts): Finding[] {
    if (facts.target.kind !== 'dns') return [skipped(check, 'not a DNS job')];
    const namespace = facts.target.namespace;
    const unknown = unreadable(facts, 'networkpolicies', namespace) ?? unreadable(facts, 'namespaces') ?? policyApisUnknown(facts);
    if (unknown) return [skipped(check, unknown)];
    const beyond = beyondNetworkPolicy(facts, namespace);
    if (beyond) return [beyond];
    const egress = facts.networkPolicies.filter((p) => p.namespace === namespace && effectivePolicyTypes(p).includes('Egress'));
    if (egress.length === 0) return [finding(check, { status: 'pass', detail: `No egress NetworkPolicy in ${namespace}: its pods may reach cluster DNS.` })];
    const { clients, unjudged } = clientsOf(facts, namespace, egress);
    const destination = dnsDestination(facts);
    const blocked: { client: Client; port: string; lines: string[]; policies: NetworkPolicyFact[] }[] = [];
    const admitted: string[] = [];
    for (const client of clients) {
      for (const { port, protocol } of destination.ports) {
        const outcome = evaluateConnection(facts.networkPolicies, facts.namespaces, { source: client.endpoint, destination: destination.endpoint, port, protocol });
        const side = outcome.egress;
        if (side && !side.allowed) blocked.push({ client, port: `${port}/${protocol}`, lines: explainDenial(side), policies: side.selecting.map((s) => s.policy) });
        else admitted.push(`${client.who} → ${destination.endpoint.description} ${port}/${protocol}: admitted`);
      }
    }
    const notJudged = unjudged.length ? ` Not judged: ${unjudged.join(', ')}.` : '';
    if (blocked.length === 0) {
      if (clients.length === 0) return [skipped(check, `unknown, because no egress policy in ${namespace} has a selector netcheck can stand a client in for.${notJudged}`)];
      return [finding(check, { status: 'pass', detail: `Egress policies in ${namespace} admit DNS to ${destination.endpoint.description}.${notJudged}`, evidence: admitted })];
    }
    const lead = blocked[0] as (typeof blocked)[number];
    const policies = [...new Map(blocked.flatMap((b) => b.policies).map((p) => [`${p.namespace}/${p.name}`, p])).values()];
    const ports = [...new Set(blocked.map((b) => b.port))].join(' and ');
    const subjects: Subject[] = [
      { kind: 'namespace', name: namespace },
      { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: CLUSTER_DNS.namespace },
      ...policies.map((p): Subject => ({ kind: 'networkpolicy', name: p.name, namespace: p.namespace, policyKind: 'NetworkPolicy' })),
    ];
    return [
      finding(check, {
        // Sure for a named client, or when no selector's pods get through; otherwise the blocked
        // selector's pods may also match a policy that admits them.
        status: facts.probes.source?.pod || clients.every((c) => blocked.some((b) => b.client === c)) ? 'fail' : 'warn',
        title: `NetworkPolicy ${policies.map((p) => p.name).join(', ')} blocks DNS from ${lead.client.who}`,
        detail: `Egress NetworkPolicy ${policies.map((p) => `${p.namespace}/${p.name}`).join(', ')} selects ${lead.client.who} and no egress rule admits ${ports} to ${destination.endpoint.description}: every name lookup from those pods times out.${notJudged}`,
        evidence: [...new Set(blocked.flatMap((b) => b.lines)), ...admitted],
        remediation:
          `# add to the egress rules of ${policies.map((p) => `${p.namespace}/${p.name}`).join(', ')}:\n` +
          `  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${CLUSTER_DNS.namespace}\n` +
          `          podSelector:\n            matchLabels:\n              ${CLUSTER_DNS.podLabel.key}: ${CLUSTER_DNS.podLabel.value}\n      ports:\n        - { protocol: UDP, port: 53 }\n        - { protocol: TCP, port: 53 }`,
        subjects,
      }),
    ];
  },
};

/**
 * With Calico, Cilium or admin policies in the cluster, DNS egress is judged by the engine for the
 * --from client (the policy, kind and rule that block it); without a client their rules cannot be
 * stood in for, so the answer is unknown rather than "no egress NetworkPolicy".
 */
function beyondNetworkPolicy(facts: Facts, namespace: string): Finding | null {
  const set = policiesOf(facts);
  if (!hasPolicySystems(set)) return null;
  const source = facts.probes.source;
  if (!(source?.pod && source.namespace === namespace && source.podLabels)) {
    return skipped(
      check,
      `unknown for a given client, because Calico, Cilium or admin network policies are in the cluster and their egress rules are judged per client; use --from <client> to check one.`,
    );
  }
  const client = {
    namespace,
    labels: source.podLabels,
    serviceAccount: source.serviceAccount,
    ...(source.ip ? { ip: source.ip } : {}),
    description: source.description,
  };
  const destination = dnsDestination(facts);
  const blocked: { port: string; reason: string; fix: string; trace: string[]; subjects: Subject[] }[] = [];
  const admitted: string[] = [];
  for (const { port, protocol } of destination.ports) {
    const verdict = decideConnection(set, { source: client, destination: destination.endpoint, port, protocol }).egress;
    if (verdict?.allowed === null) return skipped(check, `${verdict.reason}.`);
    if (!verdict || verdict.allowed) {
      admitted.push(`${client.description} → ${destination.endpoint.description} ${port}/${protocol}: ${verdict?.reason ?? 'admitted'}`);
      continue;
    }
    // Decided by NetworkPolicies alone: the NetworkPolicy wording below says it best.
    if (verdict.decidedBy.every((d) => d.policy.system === 'kubernetes')) return null;
    blocked.push({
      port: `${port}/${protocol}`,
      reason: verdict.reason,
      fix: editPolicyFix(verdict, destination.endpoint, port, protocol),
      trace: verdict.trace,
      subjects: verdict.decidedBy.map(policySubject),
    });
  }
  if (blocked.length === 0)
    return finding(check, { status: 'pass', detail: `The network policies let ${client.description} reach ${destination.endpoint.description} on DNS.`, evidence: admitted });
  const lead = blocked[0] as (typeof blocked)[number];
  const leadSubject = lead.subjects[0] as ReturnType<typeof policySubject> | undefined;
  return finding(check, {
    status: 'fail',
    title: `${leadSubject ? `${leadSubject.policyKind} ${leadSubject.name}${leadSubject.rule ? ` ${leadSubject.rule}` : ''}` : 'A network policy'} blocks DNS from ${client.description}`,
    detail: `${blocked.map((b) => `${b.reason.charAt(0).toUpperCase()}${b.reason.slice(1)}`).join('. ')}: every name lookup from ${client.description} times out.`,
    evidence: [...new Set(blocked.flatMap((b) => b.trace)), ...admitted],
    remediation: [...new Set(blocked.map((b) => b.fix))].join('\n\n'),
    subjects: [
      { kind: 'namespace', name: namespace },
      { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: CLUSTER_DNS.namespace },
      ...new Map(blocked.flatMap((b) => b.subjects).map((x) => [JSON.stringify(x), x])).values(),
    ],
  });
}

export default check;
