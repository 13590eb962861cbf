import { type CniDetection, daemonSetPodsOnNode, detectCni } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { unreadable } from './lib/access.js';
import { symptomNodes } from './lib/subjects.js';
import type { Check } from './types.js';
import { outsideScopeReason, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';
import { nodesInScope } from '../scope/path.js';

function podHealthy(pod: PodFact): boolean {
  return pod.phase === 'Running' && pod.ready && !pod.deletionTimestamp;
}

function podState(pod: PodFact): string {
  const container = pod.containers.find((c) => !c.ready);
  const why = [container?.reason, container?.message].filter(Boolean).join(': ');
  const reason = container && why ? ` (${container.name}: ${why})` : '';
  return `${pod.phase}${pod.ready ? ', ready' : ', not ready'}${reason}`;
}

interface BrokenNode {
  node: string;
  /** Not-ready CNI pods on the node; empty when the node has none at all. */
  pods: PodFact[];
  daemonSet: string;
}

/** Each CNI DaemonSet needs a healthy pod on every in-scope node (Canal: both halves). */
function brokenNodes(facts: Facts, cni: CniDetection): BrokenNode[] {
  const broken: BrokenNode[] = [];
  for (const node of nodesInScope(facts).nodes) {
    for (const ds of cni.daemonSets) {
      const onNode = daemonSetPodsOnNode(ds, facts.systemPods, node);
      if (!onNode.some(podHealthy)) broken.push({ node, pods: onNode, daemonSet: `${ds.namespace}/${ds.name}` });
    }
  }
  return broken;
}

const check: Check = {
  code: 'cni-unhealthy',
  title: 'CNI pods are not healthy',
  passTitle: 'CNI pods are healthy',
  layer: 'system',
  docs: 'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'pods-not-ready', 'pod-network-setup-failed'],
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const cni = detectCni(facts.systemDaemonSets);
    if (!cni) return false;
    const broken = new Set(brokenNodes(facts, cni).map((b) => b.node));
    const nodes = symptomNodes(symptom, facts);
    return nodes.size === 0 ? broken.size > 0 : [...nodes].some((n) => broken.has(n));
  },
  run(facts: Facts): Finding[] {
    const unknown = unreadable(facts, 'daemonsets', 'kube-system') ?? unreadable(facts, 'pods', 'kube-system');
    if (unknown) return [skipped(check, unknown)];
    const cni = detectCni(facts.systemDaemonSets);
    if (!cni) {
      const seen = facts.systemDaemonSets.map((ds) => `${ds.namespace}/${ds.name}`).join(', ') || 'none';
      return [
        skipped(
          check,
          facts.readScope
            ? `${outsideScopeReason(facts.readScope, `DaemonSets outside ${facts.readScope.systemNamespaces.join(', ')}`)}, and no known CNI was recognised there (${seen}): add the CNI's namespace to the chart's rbac.systemNamespaces.`
            : `unknown, because no known CNI (Flannel, Calico, Cilium, Weave Net, Canal) was recognised among the system DaemonSets (${seen}); its health cannot be judged.`,
        ),
      ];
    }
    const scope = nodesInScope(facts);
    const broken = brokenNodes(facts, cni);
    const dsLines = cni.daemonSets.map((ds) => `kubectl -n ${ds.namespace} get ds ${ds.name}: ${ds.ready}/${ds.desired} ready`);
    if (broken.length > 0) {
      const where = broken.map((b) => (b.pods.length ? `${b.pods.map((p) => p.name).join(', ')} on ${b.node}` : `no ${b.daemonSet} pod on ${b.node}`)).join('; ');
      const subjects: Subject[] = [
        ...[...new Set(broken.map((b) => b.node))].map((name): Subject => ({ kind: 'node', name })),
        ...broken.flatMap((b) => b.pods.map((p): Subject => ({ kind: 'pod', name: p.name, namespace: p.namespace }))),
        ...cni.daemonSets.map((ds): Subject => ({ kind: 'daemonset', name: ds.name, namespace: ds.namespace })),
      ];
      return [
        finding(check, {
          status: 'fail',
          title: `${cni.name} is not ready on ${[...new Set(broken.map((b) => b.node))].join(', ')}`,
          detail: `${cni.name} pods are not ready on ${scope.description} (${where}): pod networking on those nodes is broken or stale, so traffic to pods there can time out.`,
          evidence: [
            ...dsLines,
            ...broken.flatMap((b) =>
              b.pods.length
                ? b.pods.map(
                    (p) => `kubectl -n ${p.namespace} get pod ${p.name} -o wide: ${podState(p)} on ${b.node}, ${p.containers.reduce((n, c) => n + c.restartCount, 0)} restarts`,
                  )
                : [`kubectl -n ${b.daemonSet.split('/')[0]} get pods -o wide --field-selector spec.nodeName=${b.node}: no ${b.daemonSet.split('/')[1]} pod`],
            ),
          ],
          remediation: broken
            .flatMap((b) =>
              b.pods.length
                ? b.pods.flatMap((p) => [`kubectl -n ${p.namespace} logs ${p.name} --all-containers --tail=50`, `kubectl -n ${p.namespace} describe pod ${p.name}`])
                : [`kubectl -n ${b.daemonSet.split('/')[0]} describe ds ${b.daemonSet.split('/')[1]}   # why is nothing scheduled on ${b.node}? (taints, nodeSelector)`],
            )
            .concat(`# ${cni.name} troubleshooting: ${cni.docs}`)
            .join('\n'),
          subjects,
        }),
      ];
    }
    const lagging = cni.daemonSets.filter((ds) => ds.ready < ds.desired);
    if (lagging.length > 0) {
      return [
        finding(check, {
          status: 'warn',
          detail: `${cni.name} is ready on ${scope.description}, but ${lagging.map((ds) => `${ds.name} is ${ds.ready}/${ds.desired} ready`).join(', ')}: pods on the other nodes may be unreachable.`,
          evidence: dsLines,
          remediation: lagging
            .map(
              (ds) =>
                `kubectl -n ${ds.namespace} get pods -o wide -l ${Object.entries(ds.selector)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(',')}`,
            )
            .join('\n'),
          subjects: lagging.map((ds): Subject => ({ kind: 'daemonset', name: ds.name, namespace: ds.namespace })),
        }),
      ];
    }
    return [finding(check, { status: 'pass', detail: `${cni.name} is ready on ${scope.description}.`, evidence: dsLines })];
  },
};

export default check;
