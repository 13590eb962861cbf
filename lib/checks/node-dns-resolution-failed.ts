import { finding, skipped } from './lib/finding.js';
import { nodeSubject } from './lib/service.js';
import type { Check } from './types.js';
import { CLUSTER_DNS, type DnsProbeFact, type Facts, type Finding, type Subject } from '../model/index.js';

// Each node's agent resolves kubernetes.default through kube-dns from the node's own network. One
// node that cannot (its kube-proxy rules for the kube-dns ClusterIP, its netfilter, its NodeLocal
// cache) breaks DNS for every pod on it while every other node, and CoreDNS, look healthy
// (goldpinger#46). The nodes that do resolve are what make it a node fault, not a DNS outage.

function nodeProbes(facts: Facts): DnsProbeFact[] {
  return facts.probes.enabled ? facts.probes.dns.filter((p) => p.purpose === 'node-resolve') : [];
}

function split(facts: Facts): { asked: DnsProbeFact[]; failing: DnsProbeFact[]; answering: DnsProbeFact[] } {
  const asked = nodeProbes(facts).filter((p) => p.outcome !== 'skipped');
  return { asked, failing: asked.filter((p) => p.outcome !== 'resolved'), answering: asked.filter((p) => p.outcome === 'resolved') };
}

const check: Check = {
  code: 'node-dns-resolution-failed',
  title: 'A node cannot resolve through cluster DNS',
  passTitle: 'Every node asked resolves through cluster DNS',
  layer: 'node',
  docs: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/',
  appliesTo: ['dns', 'node'],
  explains: ['cluster-dns-down', 'dns-service-name-failed'],
  // Lookups from the probe source's node fail with it; only while other nodes resolve is it that node's fault.
  explainsFinding(cause: Finding, _symptom: Finding, facts: Facts): boolean {
    const { answering } = split(facts);
    const source = facts.probes.source?.node;
    return answering.length > 0 && source !== undefined && cause.subjects.some((s) => s.kind === 'node' && s.name === source);
  },
  run(facts: Facts): Finding[] {
    if (!facts.probes.enabled) return [skipped(check, `unknown, because probes did not run (${facts.probes.skipReason ?? 'disabled'})`)];
    const all = nodeProbes(facts);
    if (all.length === 0) return [skipped(check, 'unknown, because no node agent was asked to resolve (no agent token, or no kube-dns ClusterIP to ask)')];
    const { asked, failing, answering } = split(facts);
    const skippedLines = all.filter((p) => p.outcome === 'skipped').map((p) => `${p.node ?? '?'}: not asked — ${p.detail ?? ''}`);
    if (asked.length === 0) return [skipped(check, `unknown, because no node agent answered: ${skippedLines.slice(0, 3).join('; ')}`)];
    const line = (p: DnsProbeFact) =>
      `agent on ${p.node}: nslookup ${p.name} ${p.server ?? ''} → ${p.outcome === 'resolved' ? (p.addresses ?? []).join(', ') : `${p.outcome.toUpperCase()}${p.detail ? ` (${p.detail})` : ''}`}`;
    const evidence = [...failing.map(line), ...answering.map(line), ...skippedLines];
    // No node resolves, and neither does the probe source: that is cluster DNS itself, not a node.
    const control = facts.probes.dns.filter((p) => p.purpose === 'kubernetes-default' && p.outcome !== 'skipped');
    if (answering.length === 0 && !control.some((p) => p.outcome === 'resolved')) {
      return [skipped(check, `Not a node fault: no node resolves, and the probe source's own lookup fails too (see cluster-dns-down). ${evidence.slice(0, 3).join('; ')}`)];
    }
    if (failing.length === 0)
      return [finding(check, { status: 'pass', detail: `${answering.map((p) => p.node).join(', ')} resolve kubernetes.default through ${CLUSTER_DNS.serviceName}.`, evidence })];
    const nodes = [...new Set(failing.map((p) => p.node).filter((n): n is string => !!n))];
    const outcomes = [...new Set(failing.map((p) => p.outcome.toUpperCase()))].join('/');
    const subjects: Subject[] = [...nodes.map(nodeSubject), { kind: 'dns', name: CLUSTER_DNS.serviceName, namespace: CLUSTER_DNS.namespace }];
    const elsewhere = answering.length ? ` while ${answering.map((p) => p.node).join(', ')} resolve${answering.length === 1 ? 's' : ''}` : '';
    return [
      finding(check, {
        status: 'fail',
        title: `${nodes.join(', ')} cannot resolve through cluster DNS (${outcomes})`,
        detail: `${nodes.join(', ')} cannot resolve kubernetes.default through ${CLUSTER_DNS.serviceName} from the node's own network (${outcomes})${elsewhere}: pods on ${nodes.length === 1 ? 'that node' : 'those nodes'} have no DNS.${answering.length ? " The fault is on the node's path (its kube-proxy rules for the kube-dns ClusterIP, netfilter, a NodeLocal cache), not in CoreDNS." : ''}`,
        evidence,
        remediation: nodes
          .map(
            (n) =>
              `netcheck node ${n}   # its kube-proxy rules, forwarding and netfilter\nkubectl get pods -A -o wide --field-selector spec.nodeName=${n} | grep -iE 'kube-proxy|node-local-dns'`,
          )
          .join('\n'),
        subjects,
      }),
    ];
  },
};

export default check;
