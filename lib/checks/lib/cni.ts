import {
  CNIS,
  isKubeProxyDaemonSet,
  isKubeProxyPod,
  matchesCni,
  matchesLabels,
  ObjectCache,
  type CniComponent,
  type CniKind,
  type DaemonSetFact,
  type Facts,
  type PodFact,
} from '../../model/index.js';

export interface CniDetection {
  kind: CniKind;
  /** Display name: "Flannel", "Calico", "Amazon VPC CNI (aws-node)", "Canal (Flannel networking + Calico policy)". */
  name: string;
  daemonSets: DaemonSetFact[];
  docs: string;
  /** Whether each node routes the other nodes' spec.podCIDR (so a missing route is a fault). */
  routesNodePodCidrs: boolean;
  encapsulates: boolean;
}

const byKind = new Map(CNIS.map((cni) => [cni.kind, cni]));

/**
 * Which CNI runs, from the system DaemonSets and the catalog in lib/model/components.ts (the
 * gatherer keeps exactly the DaemonSets that catalog names). Canal is reported as one CNI: its own
 * DaemonSet ("canal"), or calico-node for policy next to a Flannel DaemonSet for networking.
 */
export function detectCni(daemonSets: DaemonSetFact[]): CniDetection | null {
  const matching = (kind: CniKind) => {
    const cni = byKind.get(kind);
    return cni ? daemonSets.filter((ds) => matchesCni(ds, cni)) : [];
  };
  const pick = (kind: CniKind, sets: DaemonSetFact[]): CniDetection => {
    const { name, docs, routesNodePodCidrs, encapsulates } = byKind.get(kind) as CniComponent;
    return { kind, name, docs, routesNodePodCidrs, encapsulates, daemonSets: sets };
  };
  const canal = matching('canal');
  const flannel = matching('flannel').filter((ds) => !canal.includes(ds));
  const calico = matching('calico').filter((ds) => !canal.includes(ds));
  if (canal.length) return pick('canal', [...canal, ...flannel, ...calico]);
  if (flannel.length && calico.length) return pick('canal', [...flannel, ...calico]);
  // Cilium chained behind a cloud CNI (AWS, Azure) does the policy; the cloud CNI owns the addresses.
  for (const kind of ['aws-vpc-cni', 'azure-cni', 'gke', 'cilium', 'calico', 'flannel', 'weave', 'kindnet', 'kube-router', 'antrea', 'ovn-kubernetes'] as const) {
    const sets = matching(kind);
    if (sets.length) return pick(kind, sets);
  }
  return null;
}

export function findKubeProxyDaemonSet(facts: Facts): DaemonSetFact | undefined {
  return facts.systemDaemonSets.find(isKubeProxyDaemonSet);
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

export function daemonSetPods(ds: DaemonSetFact, pods: PodFact[]): PodFact[] {
  return pods.filter((p) => p.namespace === ds.namespace && matchesLabels(ds.selector, p.labels));
}

/**
 * A DaemonSet's pods on one node. A cluster sweep asks this for every node of every Service
 * against the same system pod list, so the list is grouped by node once per (pods, DaemonSet).
 */
const byNodeCache = new ObjectCache<PodFact[], WeakMap<DaemonSetFact, Map<string | undefined, PodFact[]>>>();

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
