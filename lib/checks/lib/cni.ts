import type { DaemonSetFact, Facts, PodFact } from '../../facts/types.js';
import { matchesLabels } from './labels.js';

export type CniKind = 'flannel' | 'calico' | 'cilium' | 'weave' | 'canal';

export interface CniDetection {
  kind: CniKind;
  /** Display name: "Flannel", "Calico", "Cilium", "Weave Net", "Canal (Flannel networking + Calico policy)". */
  name: string;
  daemonSets: DaemonSetFact[];
  docs: string;
  /** Whether each node routes the other nodes' spec.podCIDR (so a missing route is a fault). */
  routesNodePodCidrs: boolean;
}

const CNI_INFO: Record<CniKind, { name: string; docs: string; routesNodePodCidrs: boolean }> = {
  flannel: { name: 'Flannel', docs: 'https://github.com/flannel-io/flannel/blob/master/Documentation/troubleshooting.md', routesNodePodCidrs: true },
  // Calico assigns pod addresses from its own IPAM blocks, not spec.podCIDR.
  calico: { name: 'Calico', docs: 'https://docs.tigera.io/calico/latest/operations/troubleshoot/troubleshooting', routesNodePodCidrs: false },
  // Cilium's default tunnel mode routes the whole cluster CIDR through cilium_host, not per node.
  cilium: { name: 'Cilium', docs: 'https://docs.cilium.io/en/stable/operations/troubleshooting/', routesNodePodCidrs: false },
  weave: { name: 'Weave Net', docs: 'https://github.com/weaveworks/weave/blob/master/site/troubleshooting.md', routesNodePodCidrs: false },
  canal: {
    name: 'Canal (Flannel networking + Calico policy)',
    docs: 'https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel',
    routesNodePodCidrs: true,
  },
};

function hasImage(ds: DaemonSetFact, pattern: RegExp): boolean {
  return ds.images.some((image) => pattern.test(image));
}

function looksLike(ds: DaemonSetFact, kind: CniKind): boolean {
  const app = ds.labels['k8s-app'] ?? ds.labels['app'] ?? ds.labels['app.kubernetes.io/name'] ?? ds.labels['name'];
  switch (kind) {
    case 'canal':
      return ds.name === 'canal' || app === 'canal';
    case 'flannel':
      return ds.name === 'kube-flannel-ds' || ds.name === 'kube-flannel' || app === 'flannel' || hasImage(ds, /(^|\/)flannel(cni)?\/flannel:|\/flannel:/);
    case 'calico':
      return ds.name === 'calico-node' || app === 'calico-node' || hasImage(ds, /calico\/node:/);
    case 'cilium':
      return ds.name === 'cilium' || app === 'cilium' || hasImage(ds, /cilium\/cilium:/);
    case 'weave':
      return ds.name === 'weave-net' || app === 'weave-net' || hasImage(ds, /weave-kube:/);
  }
}

/**
 * Which CNI runs, from the system DaemonSets. Canal is reported as one CNI: its own DaemonSet
 * ("canal"), or calico-node for policy next to a Flannel DaemonSet for networking.
 */
export function detectCni(daemonSets: DaemonSetFact[]): CniDetection | null {
  const matching = (kind: CniKind) => daemonSets.filter((ds) => looksLike(ds, kind));
  const pick = (kind: CniKind, sets: DaemonSetFact[]): CniDetection => ({ kind, ...CNI_INFO[kind], daemonSets: sets });
  const canal = matching('canal');
  const flannel = matching('flannel').filter((ds) => !canal.includes(ds));
  const calico = matching('calico').filter((ds) => !canal.includes(ds));
  if (canal.length) return pick('canal', [...canal, ...flannel, ...calico]);
  if (flannel.length && calico.length) return pick('canal', [...flannel, ...calico]);
  const cilium = matching('cilium');
  if (cilium.length) return pick('cilium', cilium);
  if (calico.length) return pick('calico', calico);
  if (flannel.length) return pick('flannel', flannel);
  const weave = matching('weave');
  if (weave.length) return pick('weave', weave);
  return null;
}

export function findKubeProxyDaemonSet(facts: Facts): DaemonSetFact | undefined {
  return facts.systemDaemonSets.find((ds) => ds.name === 'kube-proxy' || ds.labels['k8s-app'] === 'kube-proxy');
}

/**
 * Cilium replaces kube-proxy when there is no kube-proxy DaemonSet nor kube-proxy pods
 * (static pods count) and a Cilium DaemonSet runs.
 */
export function kubeProxyReplacedByCilium(facts: Facts): boolean {
  if (findKubeProxyDaemonSet(facts)) return false;
  if (facts.systemPods.some(isKubeProxyPod)) return false;
  return detectCni(facts.systemDaemonSets)?.kind === 'cilium';
}

export function isKubeProxyPod(pod: PodFact): boolean {
  return pod.labels['k8s-app'] === 'kube-proxy' || pod.labels['component'] === 'kube-proxy';
}

export function daemonSetPods(ds: DaemonSetFact, pods: PodFact[]): PodFact[] {
  return pods.filter((p) => p.namespace === ds.namespace && matchesLabels(ds.selector, p.labels));
}

/**
 * A DaemonSet's pods on one node. A cluster sweep asks this for every node of every Service
 * against the same system pod list, so the list is grouped by node once per (pods, DaemonSet).
 */
const byNodeCache = new WeakMap<PodFact[], WeakMap<DaemonSetFact, Map<string | undefined, PodFact[]>>>();

export function daemonSetPodsOnNode(ds: DaemonSetFact, pods: PodFact[], node: string): PodFact[] {
  let perDs = byNodeCache.get(pods);
  if (!perDs) byNodeCache.set(pods, (perDs = new WeakMap()));
  let byNode = perDs.get(ds);
  if (!byNode) {
    byNode = new Map();
    for (const pod of daemonSetPods(ds, pods)) {
      const list = byNode.get(pod.nodeName);
      if (list) list.push(pod);
      else byNode.set(pod.nodeName, [pod]);
    }
    perDs.set(ds, byNode);
  }
  return byNode.get(node) ?? [];
}
