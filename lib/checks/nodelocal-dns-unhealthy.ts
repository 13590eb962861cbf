import { unreadable } from './lib/access.js';
import { daemonSetPodsOnNode } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { nodeSubject, podSubject, uniqueSubjects } from './lib/service.js';
import { sharesSubject } from './lib/subjects.js';
import type { Check } from './types.js';
import { isNodeLocalDnsDaemonSet, NODE_LOCAL_DNS, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';

// With NodeLocal DNSCache, a pod's lookups go to the cache on its own node (169.254.20.10, and in
// iptables mode the kube-dns ClusterIP is intercepted there too). A cache pod down on a node
// breaks DNS for every pod on that node while CoreDNS and every other node look fine
// (goldpinger#46: "one node could not resolve").

function healthy(pod: PodFact): boolean {
  return pod.phase === 'Running' && pod.ready && !pod.deletionTimestamp;
}

/** Where the cache matters: the client's node first (its pods ask their own node's cache). */
function nodesToJudge(facts: Facts): { nodes: string[]; source?: string } {
  const target = facts.target;
  const source = facts.probes.source?.node;
  if (target.kind === 'node') return { nodes: [target.name] };
  if (target.kind === 'cluster') return { nodes: facts.nodes.map((n) => n.name).sort() };
  return source ? { nodes: [source], source } : { nodes: [] };
}

const check: Check = {
  code: 'nodelocal-dns-unhealthy',
  title: 'NodeLocal DNSCache is down on a node',
  passTitle: 'NodeLocal DNSCache is serving (or not installed)',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/',
  appliesTo: ['svc', 'dns', 'node', 'cluster'],
  explains: ['cluster-dns-down', 'dns-service-name-failed', 'externalname-unresolvable', 'node-dns-resolution-failed'],
  // Lookups from the probe source's node go through its cache: only a cache down there explains them.
  explainsFinding(cause: Finding, symptom: Finding, facts: Facts): boolean {
    if (symptom.code === 'node-dns-resolution-failed') return cause.status === 'fail' && sharesSubject(cause, symptom);
    const source = facts.probes.source?.node;
    return cause.status === 'fail' && (source === undefined || cause.subjects.some((s) => s.kind === 'node' && s.name === source));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'daemonsets', NODE_LOCAL_DNS.namespace) ?? unreadable(facts, 'pods', NODE_LOCAL_DNS.namespace);
    if (unknown) return [skipped(check, unknown)];
    const ds = facts.systemDaemonSets.find(isNodeLocalDnsDaemonSet);
    if (!ds) return [finding(check, { status: 'pass', detail: 'NodeLocal DNSCache is not installed: pods ask kube-dns directly.' })];
    const dsLine = `kubectl -n ${ds.namespace} get ds ${ds.name}: ${ds.ready}/${ds.desired} ready`;
    const { nodes, source } = nodesToJudge(facts);
    const broken = nodes.map((node) => ({ node, pods: daemonSetPodsOnNode(ds, facts.systemPods, node) })).filter((b) => !b.pods.some(healthy));
    if (broken.length > 0) {
      const names = broken.map((b) => b.node);
      const subjects: Subject[] = uniqueSubjects([
        { kind: 'daemonset', name: ds.name, namespace: ds.namespace },
        ...names.map(nodeSubject),
        ...broken.flatMap((b) => b.pods.map(podSubject)),
      ]);
      return [
        finding(check, {
          status: 'fail',
          title: `NodeLocal DNSCache is down on ${names.join(', ')}`,
          detail: `NodeLocal DNSCache has no ready pod on ${names.join(', ')}${source && names.includes(source) ? ` (the client's node)` : ''}: pods there send their lookups to ${NODE_LOCAL_DNS.localIP} on their own node, so DNS fails for every pod on ${names.length === 1 ? 'that node' : 'those nodes'} while CoreDNS is healthy.`,
          evidence: [
            dsLine,
            ...broken.map((b) =>
              b.pods.length
                ? b.pods
                    .map(
                      (p) =>
                        `pod ${p.namespace}/${p.name} on ${b.node}: ${p.phase}${p.ready ? ', ready' : ', not ready'}${p.containers[0]?.reason ? ` (${p.containers[0].reason})` : ''}`,
                    )
                    .join('; ')
                : `no ${ds.name} pod on ${b.node}`,
            ),
          ],
          remediation: broken
            .map((b) =>
              b.pods[0]
                ? `kubectl -n ${ds.namespace} logs ${b.pods[0].name} --tail=50\nkubectl -n ${ds.namespace} delete pod ${b.pods[0].name}   # the DaemonSet replaces it`
                : `kubectl -n ${ds.namespace} describe ds ${ds.name}   # why nothing runs on ${b.node} (taints, nodeSelector)`,
            )
            .join('\n'),
          subjects,
        }),
      ];
    }
    if (ds.ready < ds.desired) {
      return [
        finding(check, {
          status: 'warn',
          detail: `NodeLocal DNSCache is ${ds.ready}/${ds.desired} ready: DNS fails for the pods on the nodes without a ready cache${nodes.length ? ` (it is ready on ${nodes.join(', ')})` : ''}.`,
          evidence: [dsLine],
          remediation: `kubectl -n ${ds.namespace} get pods -l k8s-app=${NODE_LOCAL_DNS.appLabel} -o wide`,
          subjects: [{ kind: 'daemonset', name: ds.name, namespace: ds.namespace }],
        }),
      ];
    }
    return [finding(check, { status: 'pass', detail: `NodeLocal DNSCache is ready on every node (${ds.ready}/${ds.desired}).`, evidence: [dsLine] })];
  },
};

export default check;
