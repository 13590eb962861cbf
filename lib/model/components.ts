// The Kubernetes system components netcheck knows, in one place: the gatherer keeps the objects
// that match, and the checks identify them with the same entries, so the two can never disagree.

export interface Selector {
  key: string;
  value: string;
}

/** Cluster DNS: CoreDNS keeps the kube-dns Service name and pod label for compatibility. */
export const CLUSTER_DNS = {
  namespace: 'kube-system',
  serviceName: 'kube-dns',
  podLabel: { key: 'k8s-app', value: 'kube-dns' } as Selector,
  /** Labels CoreDNS carries when installed from its own chart instead of the distribution's manifest. */
  alternativePodLabels: [
    { key: 'app.kubernetes.io/name', value: 'coredns' },
    { key: 'k8s-app', value: 'coredns' },
    { key: 'app', value: 'coredns' },
  ] as Selector[],
  port: 53,
} as const;

export const KUBE_PROXY = {
  namespace: 'kube-system',
  daemonSetName: 'kube-proxy',
  /** kubeadm's DaemonSet labels k8s-app; static-pod installs label component. */
  podLabels: [
    { key: 'k8s-app', value: 'kube-proxy' },
    { key: 'component', value: 'kube-proxy' },
  ] as Selector[],
  metricsPort: 10249,
} as const;

export type CniKind = 'flannel' | 'calico' | 'cilium' | 'weave' | 'canal' | 'aws-vpc-cni' | 'azure-cni' | 'gke' | 'kindnet' | 'kube-router' | 'antrea' | 'ovn-kubernetes';

export interface CniComponent {
  kind: CniKind;
  /** Display name. */
  name: string;
  namespaces: readonly string[];
  daemonSetNames: readonly string[];
  /** Values of the usual app labels (k8s-app, app, app.kubernetes.io/name, name). */
  appLabels: readonly string[];
  images: readonly RegExp[];
  docs: string;
  /** Whether each node routes the other nodes' spec.podCIDR (so a missing route is a fault). */
  routesNodePodCidrs: boolean;
  /** Encapsulates pod traffic between nodes by default (so the pod MTU must leave room for it). */
  encapsulates: boolean;
}

export const CNIS: readonly CniComponent[] = [
  {
    kind: 'canal',
    name: 'Canal (Flannel networking + Calico policy)',
    namespaces: ['kube-system'],
    daemonSetNames: ['canal'],
    appLabels: ['canal'],
    images: [],
    docs: 'https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel',
    routesNodePodCidrs: true,
    encapsulates: true,
  },
  {
    kind: 'flannel',
    name: 'Flannel',
    namespaces: ['kube-flannel', 'kube-system'],
    daemonSetNames: ['kube-flannel-ds', 'kube-flannel'],
    appLabels: ['flannel'],
    images: [/(^|\/)flannel(cni)?\/flannel:|\/flannel:/],
    docs: 'https://github.com/flannel-io/flannel/blob/master/Documentation/troubleshooting.md',
    routesNodePodCidrs: true,
    encapsulates: true,
  },
  {
    kind: 'calico',
    name: 'Calico',
    namespaces: ['calico-system', 'kube-system'],
    daemonSetNames: ['calico-node'],
    appLabels: ['calico-node'],
    images: [/calico\/node:/],
    // Calico assigns pod addresses from its own IPAM blocks, not spec.podCIDR.
    docs: 'https://docs.tigera.io/calico/latest/operations/troubleshoot/troubleshooting',
    routesNodePodCidrs: false,
    encapsulates: true,
  },
  {
    kind: 'cilium',
    name: 'Cilium',
    namespaces: ['kube-system', 'cilium'],
    daemonSetNames: ['cilium'],
    appLabels: ['cilium'],
    images: [/cilium\/cilium:/],
    // Cilium's default tunnel mode routes the whole cluster CIDR through cilium_host, not per node.
    docs: 'https://docs.cilium.io/en/stable/operations/troubleshooting/',
    routesNodePodCidrs: false,
    encapsulates: true,
  },
  {
    kind: 'weave',
    name: 'Weave Net',
    namespaces: ['kube-system'],
    daemonSetNames: ['weave-net'],
    appLabels: ['weave-net'],
    images: [/weave-kube:/],
    docs: 'https://github.com/weaveworks/weave/blob/master/site/troubleshooting.md',
    routesNodePodCidrs: false,
    encapsulates: true,
  },
  {
    kind: 'aws-vpc-cni',
    name: 'Amazon VPC CNI (aws-node)',
    namespaces: ['kube-system'],
    daemonSetNames: ['aws-node'],
    appLabels: ['aws-node'],
    images: [/amazon-k8s-cni:/],
    // Pods get VPC addresses from ENIs: no per-node pod CIDR routes, no encapsulation.
    docs: 'https://docs.aws.amazon.com/eks/latest/userguide/troubleshooting.html',
    routesNodePodCidrs: false,
    encapsulates: false,
  },
  {
    kind: 'azure-cni',
    name: 'Azure CNI',
    namespaces: ['kube-system'],
    daemonSetNames: ['azure-cns', 'azure-cni', 'azure-cni-overlay'],
    appLabels: ['azure-cns', 'azure-cni'],
    images: [/azure-cns:|azure-cni/],
    docs: 'https://learn.microsoft.com/en-us/troubleshoot/azure/azure-kubernetes/connectivity/basic-troubleshooting-outbound-connections',
    routesNodePodCidrs: false,
    encapsulates: false,
  },
  {
    kind: 'gke',
    name: 'GKE networking (netd)',
    namespaces: ['kube-system'],
    daemonSetNames: ['netd', 'anetd'],
    appLabels: ['netd', 'anetd'],
    images: [/gke-release\/netd|\/netd:|anetd/],
    docs: 'https://cloud.google.com/kubernetes-engine/docs/troubleshooting/connectivity-issues-in-cluster',
    routesNodePodCidrs: false,
    encapsulates: false,
  },
  {
    kind: 'kindnet',
    name: 'kindnet',
    namespaces: ['kube-system'],
    daemonSetNames: ['kindnet'],
    appLabels: ['kindnet'],
    images: [/kindnetd:/],
    docs: 'https://kind.sigs.k8s.io/docs/user/known-issues/',
    routesNodePodCidrs: true,
    encapsulates: false,
  },
  {
    kind: 'kube-router',
    name: 'kube-router',
    namespaces: ['kube-system'],
    daemonSetNames: ['kube-router'],
    appLabels: ['kube-router'],
    images: [/kube-router:/],
    docs: 'https://www.kube-router.io/docs/troubleshoot/',
    routesNodePodCidrs: true,
    encapsulates: false,
  },
  {
    kind: 'antrea',
    name: 'Antrea',
    namespaces: ['kube-system'],
    daemonSetNames: ['antrea-agent'],
    appLabels: ['antrea'],
    images: [/antrea\/antrea-(agent|controller)|antrea-ubuntu/],
    docs: 'https://antrea.io/docs/main/docs/troubleshooting/',
    routesNodePodCidrs: false,
    encapsulates: true,
  },
  {
    kind: 'ovn-kubernetes',
    name: 'OVN-Kubernetes',
    namespaces: ['ovn-kubernetes', 'openshift-ovn-kubernetes'],
    daemonSetNames: ['ovnkube-node', 'ovnkube-master'],
    appLabels: ['ovnkube-node'],
    images: [/ovn-kubernetes|ovn-daemonset/],
    docs: 'https://ovn-kubernetes.io/troubleshooting/debugging/',
    routesNodePodCidrs: false,
    encapsulates: true,
  },
];

/**
 * NodeLocal DNSCache: a DaemonSet answering on a link-local address (and, in iptables mode, on the
 * kube-dns ClusterIP) on every node, so the pods of a node depend on that node's cache pod.
 */
export const NODE_LOCAL_DNS = {
  namespace: 'kube-system',
  daemonSetName: 'node-local-dns',
  appLabel: 'node-local-dns',
  localIP: '169.254.20.10',
} as const;

export function isNodeLocalDnsDaemonSet(ds: { namespace: string; name: string; labels: Record<string, string> }): boolean {
  return ds.namespace === NODE_LOCAL_DNS.namespace && (ds.name === NODE_LOCAL_DNS.daemonSetName || ds.labels['k8s-app'] === NODE_LOCAL_DNS.appLabel);
}

/** Every namespace in which a system component we know may run its DaemonSet or pods. */
export const SYSTEM_NAMESPACES: readonly string[] = [...new Set([CLUSTER_DNS.namespace, KUBE_PROXY.namespace, ...CNIS.flatMap((c) => c.namespaces)])];

export function isSystemNamespace(namespace: string): boolean {
  return SYSTEM_NAMESPACES.includes(namespace);
}

interface DaemonSetLike {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  images: string[];
}

/** The app label a DaemonSet goes by, whichever convention it follows. */
export function appLabel(labels: Record<string, string>): string | undefined {
  return labels['k8s-app'] ?? labels['app'] ?? labels['app.kubernetes.io/name'] ?? labels['name'];
}

export function isKubeProxyDaemonSet(ds: Pick<DaemonSetLike, 'name' | 'labels'>): boolean {
  return ds.name === KUBE_PROXY.daemonSetName || ds.labels['k8s-app'] === 'kube-proxy';
}

export function matchesCni(ds: DaemonSetLike, cni: CniComponent): boolean {
  if (cni.daemonSetNames.includes(ds.name)) return true;
  const app = appLabel(ds.labels);
  if (app !== undefined && cni.appLabels.includes(app)) return true;
  return ds.images.some((image) => cni.images.some((pattern) => pattern.test(image)));
}

/** The DaemonSets a gather keeps: kube-proxy and every CNI we know, in the namespaces they use. */
export function isSystemDaemonSet(ds: DaemonSetLike): boolean {
  if (!isSystemNamespace(ds.namespace)) return false;
  return isKubeProxyDaemonSet(ds) || isNodeLocalDnsDaemonSet(ds) || CNIS.some((cni) => matchesCni(ds, cni));
}

export function isKubeProxyPod(pod: { labels: Record<string, string> }): boolean {
  return KUBE_PROXY.podLabels.some((l) => pod.labels[l.key] === l.value);
}

export function isClusterDnsPod(pod: { labels: Record<string, string> }): boolean {
  return pod.labels[CLUSTER_DNS.podLabel.key] === CLUSTER_DNS.podLabel.value;
}

/** CoreDNS under a label the kube-dns Service does not select (reinstalled from its own chart). */
export function looksLikeCoreDns(pod: { namespace: string; labels: Record<string, string>; name: string }): boolean {
  if (pod.namespace !== CLUSTER_DNS.namespace) return false;
  return isClusterDnsPod(pod) || CLUSTER_DNS.alternativePodLabels.some((l) => pod.labels[l.key] === l.value) || /^coredns-/.test(pod.name);
}
