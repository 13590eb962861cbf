import { daemonSetPods, findKubeProxyDaemonSet, kubeProxyReplacedByCilium } from './lib/cni.js';
import { isKubeProxyPod, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';
import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { symptomNodes } from './lib/subjects.js';
import type { Check } from './types.js';
import { nodesInScope } from '../scope/path.js';

function podHealthy(pod: PodFact): boolean {
  return pod.phase === 'Running' && pod.ready && !pod.deletionTimestamp;
}

function podState(pod: PodFact): string {
  const waiting = pod.containers.find((c) => c.reason)?.reason;
  return `${pod.phase}${pod.ready ? ', ready' : ', not ready'}${waiting ? ` (${waiting})` : ''}`;
}

/** In-scope nodes whose kube-proxy pod is missing or not ready: ClusterIP rules there are stale or absent. */
function brokenNodes(facts: Facts, pods: PodFact[]): { node: string; pod?: PodFact }[] {
  // Grouped once: at cluster scope this is every node against one kube-proxy pod per node.
  const byNode = new Map<string | undefined, PodFact[]>();
  for (const pod of pods) {
    const list = byNode.get(pod.nodeName);
    if (list) list.push(pod);
    else byNode.set(pod.nodeName, [pod]);
  }
  return nodesInScope(facts)
    .nodes.map((node) => ({ node, pods: byNode.get(node) ?? [] }))
    .filter(({ pods: onNode }) => !onNode.some(podHealthy))
    .map(({ node, pods: onNode }) => ({ node, pod: onNode[0] }));
}

const check: Check = {
  code: 'kube-proxy-unhealthy',
  title: 'kube-proxy is not healthy',
  passTitle: 'kube-proxy is running where it matters',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-the-kube-proxy-working',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['clusterip-timeout', 'clusterip-refused', 'conntrack-unreplied', 'kube-proxy-rules-stale'],
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const ds = findKubeProxyDaemonSet(facts);
    const pods = ds ? daemonSetPods(ds, facts.systemPods) : facts.systemPods.filter(isKubeProxyPod);
    const broken = new Set(brokenNodes(facts, pods).map((b) => b.node));
    const nodes = symptomNodes(symptom, facts);
    return nodes.size === 0 ? broken.size > 0 : [...nodes].some((n) => broken.has(n));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'daemonsets', 'kube-system') ?? unreadable(facts, 'pods', 'kube-system');
    if (unknown) return [skipped(check, unknown)];
    if (kubeProxyReplacedByCilium(facts)) {
      return [
        finding(check, {
          status: 'pass',
          detail: 'kube-proxy replaced by Cilium: no kube-proxy DaemonSet or pods, and the Cilium DaemonSet handles Service load-balancing.',
          evidence: ['kubectl -n kube-system get ds kube-proxy: not found', 'kubectl -n kube-system exec ds/cilium -- cilium-dbg status | grep KubeProxyReplacement'],
        }),
      ];
    }
    const ds = findKubeProxyDaemonSet(facts);
    const pods = ds ? daemonSetPods(ds, facts.systemPods) : facts.systemPods.filter(isKubeProxyPod);
    if (!ds && pods.length === 0) {
      return [
        skipped(
          check,
          'unknown, because there is neither a kube-proxy DaemonSet nor kube-proxy pods in kube-system, and no Cilium DaemonSet that would replace it (another replacement, or kube-proxy running outside Kubernetes, cannot be seen from the API).',
        ),
      ];
    }
    const scope = nodesInScope(facts);
    const broken = brokenNodes(facts, pods);
    const namespace = ds?.namespace ?? pods[0]?.namespace ?? 'kube-system';
    const dsLine = ds ? `kubectl -n ${ds.namespace} get ds ${ds.name}: ${ds.ready}/${ds.desired} ready` : `kube-proxy runs as static pods (${pods.length} found)`;
    const nodeLines = broken.map(({ node, pod }) =>
      pod ? `kubectl -n ${pod.namespace} get pod ${pod.name} -o wide: ${podState(pod)} on ${node}` : `no kube-proxy pod on ${node}`,
    );
    const subjects: Subject[] = [
      ...(ds ? [{ kind: 'daemonset' as const, name: ds.name, namespace: ds.namespace }] : []),
      ...broken.map(({ node }): Subject => ({ kind: 'node', name: node })),
      ...broken.flatMap(({ pod }): Subject[] => (pod ? [{ kind: 'pod', name: pod.name, namespace: pod.namespace }] : [])),
    ];
    if (broken.length > 0) {
      const names = broken.map(({ node, pod }) => (pod ? `${pod.name} on ${node}: ${podState(pod)}` : `no pod on ${node}`)).join('; ');
      return [
        finding(check, {
          status: 'fail',
          detail: `kube-proxy is not running/ready on ${broken.map((b) => b.node).join(', ')} (${names}), among the ${scope.description}: Service rules on those nodes are missing or stale, so ClusterIP connections there fail.`,
          evidence: [dsLine, ...nodeLines],
          remediation: [
            ...broken.flatMap(({ pod }) =>
              pod ? [`kubectl -n ${pod.namespace} logs ${pod.name} --tail=50`, `kubectl -n ${pod.namespace} delete pod ${pod.name}   # the DaemonSet recreates it`] : [],
            ),
            ...(ds ? [`kubectl -n ${ds.namespace} rollout status ds/${ds.name}`] : []),
          ].join('\n'),
          subjects,
        }),
      ];
    }
    if (ds && (ds.ready < ds.desired || ds.available < ds.desired)) {
      const notReady = pods.filter((p) => !podHealthy(p));
      return [
        finding(check, {
          status: 'warn',
          detail: `kube-proxy DaemonSet is ${ds.ready}/${ds.desired} ready; the ${scope.description} are fine, but ClusterIP traffic from other nodes may fail.`,
          evidence: [dsLine, ...notReady.map((p) => `kubectl -n ${p.namespace} get pod ${p.name} -o wide: ${podState(p)} on ${p.nodeName ?? '<unscheduled>'}`)],
          remediation: `kubectl -n ${namespace} get pods -l k8s-app=kube-proxy -o wide\nkubectl -n ${namespace} rollout status ds/${ds.name}`,
          subjects: [{ kind: 'daemonset', name: ds.name, namespace: ds.namespace }, ...notReady.map((p): Subject => ({ kind: 'pod', name: p.name, namespace: p.namespace }))],
        }),
      ];
    }
    return [finding(check, { status: 'pass', detail: `kube-proxy is running and ready on ${scope.description}.`, evidence: [dsLine] })];
  },
};

export default check;
