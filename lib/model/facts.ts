// The facts model: everything a check may look at. Gatherers (lib/gather) fill it from the
// Kubernetes API, probes and node agents; checks (lib/checks) only read it. The shapes are
// deliberately slim copies of Kubernetes objects (only the fields checks use) so a cluster-wide
// sweep can keep 100k pods in memory, and so scenario fixtures stay short enough to read.

import type { ReadScope } from './read-scope.js';
import type { Target } from './target.js';
import type { PolicySystemsFact } from './policies.js';

export type Labels = Record<string, string>;

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortFact {
  name?: string;
  port: number;
  /** Number, or the name of a container port. Defaults to `port` when unset in the API. */
  targetPort: number | string;
  protocol: Protocol;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceFact {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** "None" for headless services. */
  clusterIP?: string;
  clusterIPs?: string[];
  /** null/undefined = service without selector (manual Endpoints). */
  selector?: Labels | null;
  ports: ServicePortFact[];
  externalName?: string;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  loadBalancerIngress?: { ip?: string; hostname?: string }[];
  labels?: Labels;
  createdAt?: string;
  /** Set only when ClientIP (None is the default). */
  sessionAffinity?: 'ClientIP';
  /** spec.ipFamilies, primary first; absent on servers that do not set it. */
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** Topology-aware routing asked for: the service.kubernetes.io/topology-mode annotation (or the older topology-aware-hints one), or spec.trafficDistribution. */
  topologyMode?: string;
  trafficDistribution?: string;
}

export interface ContainerPortFact {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  /** Port on the node's addresses forwarded to this container port; only the CNI's portMappings plugin (portmap) makes it real. */
  hostPort?: number;
}

export interface ContainerFact {
  name: string;
  ports: ContainerPortFact[];
  ready: boolean;
  started?: boolean;
  restartCount: number;
  /** Current state, flattened. */
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  /** e.g. CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, Completed, OOMKilled */
  reason?: string;
  message?: string;
  /** Reason of the last termination, e.g. OOMKilled, Error. */
  lastTerminationReason?: string;
  /** Message of the last termination (the termination log, or its last log lines with FallbackToLogsOnError). */
  lastTerminationMessage?: string;
  hasReadinessProbe?: boolean;
}

export interface PodConditionFact {
  type: string; // Ready, ContainersReady, PodScheduled, Initialized, or a readiness gate
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PodFact {
  namespace: string;
  name: string;
  labels: Labels;
  nodeName?: string;
  podIP?: string;
  /** status.podIPs when the pod has more than one (dual-stack); podIP is the first. */
  podIPs?: string[];
  hostNetwork?: boolean;
  /** spec.serviceAccountName; undefined = not known (the API server always sets one). */
  serviceAccountName?: string;
  /** spec.dnsPolicy when not the API's default ClusterFirst (Default, ClusterFirstWithHostNet, None). */
  dnsPolicy?: string;
  /** spec.dnsConfig: merged into the resolv.conf the kubelet writes for the pod. */
  dnsConfig?: PodDnsConfigFact;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  ready: boolean;
  conditions: PodConditionFact[];
  containers: ContainerFact[];
  /** Set while the pod is being deleted. */
  deletionTimestamp?: string;
  ownerKind?: string;
  ownerName?: string;
  createdAt?: string;
}

export interface PodDnsConfigFact {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export interface EndpointFact {
  addresses: string[];
  /** EndpointSlice condition; null = unknown (treat as ready, per the API docs). */
  ready: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
  nodeName?: string;
  targetRef?: { kind: string; name: string; namespace?: string };
  /** hints.forZones: the zones kube-proxy may route this endpoint for (topology-aware routing). */
  hintZones?: string[];
}

export interface EndpointSliceFact {
  namespace: string;
  name: string;
  /** Value of the kubernetes.io/service-name label. */
  serviceName: string;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  ports: { name?: string; port: number; protocol: Protocol }[];
  endpoints: EndpointFact[];
  /** 'endpoints' when converted from a legacy v1 Endpoints object (fallback). */
  source: 'endpointslice' | 'endpoints';
}

export interface NodeFact {
  name: string;
  labels: Labels;
  /** Ready condition: true/false, null = Unknown (kubelet stopped posting). */
  ready: boolean | null;
  readyReason?: string;
  readyMessage?: string;
  /** NetworkUnavailable condition; null when the CNI does not set it. */
  networkUnavailable: boolean | null;
  networkUnavailableReason?: string;
  internalIP?: string;
  podCIDRs: string[];
  unschedulable: boolean;
  taints: { key: string; value?: string; effect: string }[];
  kubeletVersion?: string;
  kubeProxyVersion?: string;
}

export interface NetworkPolicyPortFact {
  protocol: Protocol;
  /** Number or named port; undefined = all ports. */
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeerFact {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyRuleFact {
  /** undefined/empty = all sources (ingress) or destinations (egress). */
  peers?: NetworkPolicyPeerFact[];
  /** undefined/empty = all ports. */
  ports?: NetworkPolicyPortFact[];
}

export interface NetworkPolicyFact {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  policyTypes: ('Ingress' | 'Egress')[];
  ingress: NetworkPolicyRuleFact[];
  egress: NetworkPolicyRuleFact[];
}

export interface NamespaceFact {
  name: string;
  labels: Labels;
}

/**
 * Which namespaces a report may show (the access policy's scope of the channel it goes to);
 * `labels` is undefined for a namespace the gather did not see.
 */
export type NamespaceVisibility = (namespace: string, labels: Labels | undefined) => boolean;

export interface DaemonSetFact {
  namespace: string;
  name: string;
  labels: Labels;
  /** spec.selector.matchLabels, used to find the DaemonSet's pods. */
  selector: Labels;
  desired: number;
  ready: number;
  available: number;
  updated?: number;
  images: string[];
}

/** Outcome of one TCP connect from the probing source. */
export type TcpOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error' | 'skipped';

export interface TcpProbeFact {
  role: 'clusterIP' | 'endpoint' | 'nodePort' | 'loadBalancer';
  ip: string;
  port: number;
  protocol: Protocol;
  /** Service port name/number this probe belongs to. */
  servicePort?: number;
  pod?: string;
  node?: string;
  outcome: TcpOutcome;
  /** errno or reason text, e.g. ECONNREFUSED, EHOSTUNREACH, "UDP not probed". */
  detail?: string;
  ms: number;
}

export type DnsOutcome = 'resolved' | 'nxdomain' | 'timeout' | 'refused' | 'servfail' | 'error' | 'skipped';

export interface DnsProbeFact {
  name: string;
  /** What the name is for: the target service, the API service (kubernetes.default), an ExternalName CNAME target. */
  /** client-search: the target's short name as the --from client's namespace search path expands it first. */
  /** dns-endpoint: kubernetes.default asked of one CoreDNS pod directly, past the Service (one bad replica fails one query in N). */
  /** node-resolve: kubernetes.default asked from a node's own network by its agent (one node that cannot resolve). */
  /** external: a name outside the cluster asked through cluster DNS from the probe source (CoreDNS must forward it). */
  /** coredns-upstream: that name asked of one of CoreDNS's `forward .` upstreams directly, from a CoreDNS pod's node by its agent. */
  purpose: 'service' | 'kubernetes-default' | 'external-name' | 'client-search' | 'dns-endpoint' | 'node-resolve' | 'external' | 'coredns-upstream' | 'other';
  type: 'A' | 'AAAA' | 'CNAME' | 'ANY';
  outcome: DnsOutcome;
  addresses?: string[];
  server?: string;
  /** The CoreDNS pod and its node (dns-endpoint), or the node that asked (node-resolve). */
  pod?: string;
  node?: string;
  detail?: string;
  ms: number;
}

export interface ProbeSource {
  description: string;
  /** The source pod's namespace and labels, when the probes run as (or for) a pod. */
  namespace?: string;
  podLabels?: Labels;
  /** The source pod's service account, when the pod is known (Calico and Cilium policies may select by it). */
  serviceAccount?: string;
  ip?: string;
  /** The node the probe packets leave from: its kernel and kube-proxy rules are on the path. */
  node?: string;
  pod?: { namespace: string; name: string; ip?: string };
}

export interface ProbeFacts {
  enabled: boolean;
  /** Why probes were not run (e.g. --no-probes, outside the cluster network). */
  skipReason?: string;
  /** Where the probes ran from, used to evaluate NetworkPolicies against the probing source. */
  source?: ProbeSource;
  tcp: TcpProbeFact[];
  dns: DnsProbeFact[];
  /** Node-to-node bulk transfers through the agents (source node ↔ endpoint nodes). */
  transfers?: TransferProbeFact[];
  /** `dns <name>`: the name resolved through the client's search list, query by query, as its resolver would. */
  searchExpansion?: SearchExpansionFact;
}

/** One lookup walked through a resolv.conf search list (A and AAAA per candidate, in order, until one answers). */
export interface SearchExpansionFact {
  name: string;
  server: string;
  /** The resolv.conf it followed (derived from the pod spec) and whose: "pod shop/checkout-…", "a pod in shop with default DNS settings". */
  client: string;
  searches: string[];
  ndots: number;
  /** nodata: the name exists without that record type (an AAAA asked of an IPv4-only name). */
  queries: { name: string; type: 'A' | 'AAAA'; outcome: DnsOutcome | 'nodata'; ms: number }[];
  /** The candidate that answered, if any. */
  answeredBy?: string;
  ms: number;
}

/** Kernel/network facts of one node, read by the node agent (lib/agent). */
export interface NodeKernelFacts {
  /** net.ipv4.ip_forward; null = unknown (see `unknown`). */
  ipForward: boolean | null;
  ipv6Forward: boolean | null;
  /** /proc/sys/net/bridge present (br_netfilter loaded). */
  bridgeNetfilterLoaded: boolean | null;
  bridgeNfCallIptables: boolean | null;
  bridgeNfCallIp6tables: boolean | null;
  conntrack: { count: number; max: number } | null;
  rpFilter: { all: number | null; default: number | null; interfaces: Record<string, number> };
  /**
   * primary: the uplink (default route); cni: interfaces a CNI or kube-proxy creates (bridges,
   * overlay devices); pod: the node's end of a pod's veth (its MTU is the pod's MTU).
   */
  interfaces: { name: string; mtu: number; kind: 'primary' | 'cni' | 'pod' | 'other'; up?: boolean }[];
  routes: { destination: string; gateway?: string; device?: string }[];
  /** What netfilter does on this node; null = could not be read (see `unknown.netfilter`). */
  netfilter?: NetfilterFacts | null;
  /** What kube-proxy programmed for the Service addresses the engine asked about. */
  serviceRules?: ServiceRulesFact[];
  /** Connection-tracking entries towards the addresses the engine asked about. */
  conntrackEntries?: ConntrackEntriesFact[];
  /** The node's CNI configuration directory; absent from agents older than the reader. */
  cniConfig?: CniConfigFact;
  /** field → why it could not be read ("unknown, because …"). */
  unknown: Record<string, string>;
  readAt: string;
}

/**
 * The CNI configuration the container runtime reads (/etc/cni/net.d): containerd and CRI-O load
 * the lexically first .conf/.conflist/.json file, so `files[0]` is the active network.
 */
export interface CniConfigFact {
  dir: string;
  /** Config files in the runtime's order (lexical), at most the reader's bound. */
  files: CniConfigFileFact[];
  /** More config files than the reader looked at. */
  truncated?: boolean;
  /** Set when the directory could not be read ("unknown, because …"); `files` is then empty. */
  unknown?: string;
}

export interface CniConfigFileFact {
  /** File name inside `dir`. */
  file: string;
  /** The network name (`name`). */
  name?: string;
  /** The plugin chain in order; a single-plugin .conf is a chain of one. */
  plugins: CniPluginFact[];
  /** Set when the file could not be read or parsed ("unknown, because …"); `plugins` is then empty. */
  unknown?: string;
}

export interface CniPluginFact {
  type: string;
  /** `capabilities.portMappings: true`: the runtime hands this plugin the pod's hostPorts. */
  portMappings: boolean;
}

/** One netfilter rule that drops or rejects, as the node's tool prints it. */
export interface NetfilterRuleFact {
  /** "ip filter", "inet firewall", "iptables filter" … */
  table: string;
  chain: string;
  /** The hook of the base chain it sits in (or jumps from): forward, input, output, prerouting, postrouting. */
  hook?: string;
  verdict: 'drop' | 'reject';
  /** The rule as text (iptables-save line or nft rule), for evidence. */
  text: string;
}

export interface NetfilterFacts {
  /** Which tools answered: nft JSON, iptables-save (nf_tables backend), iptables-legacy-save. */
  sources: ('nft' | 'iptables-nft' | 'iptables-legacy')[];
  /**
   * Policy of the forward path: `drop` when any base chain on the forward hook (the filter FORWARD
   * chain with iptables) has policy drop; null when it could not be read.
   */
  forwardPolicy: 'accept' | 'drop' | null;
  /** Base chains on the forward hook whose policy is drop ("ip filter FORWARD"). */
  forwardDropChains: string[];
  /** Drop/reject rules on the forward path that belong to neither kube-proxy nor a CNI. */
  foreignDrops: NetfilterRuleFact[];
  /** Rules found only in iptables-legacy while the nf_tables backend also has rules (kubernetes#109811). */
  legacyRuleCount: number;
  /** How kube-proxy programs this node, from the rules it left; null when no kube-proxy rules exist. */
  kubeProxyMode: 'iptables' | 'nftables' | 'ipvs' | null;
}

/** What kube-proxy programmed on a node for one Service address (ClusterIP:port/protocol). */
export interface ServiceRulesFact {
  ip: string;
  port: number;
  protocol: Protocol;
  /** unknown: the mode cannot be read here (IPVS without ipvsadm), see `detail`. */
  mode: 'iptables' | 'nftables' | 'ipvs' | 'unknown';
  /** No rule at all for this address (kube-proxy never synced it, or it is not kube-proxy's). */
  found: boolean;
  /** DNAT targets "ip:port", in rule order. */
  backends: string[];
  /** kube-proxy rejects (no endpoints in its view). */
  rejects: boolean;
  detail?: string;
}

/** Conntrack entries to one address, summarised. */
export interface ConntrackEntriesFact {
  ip: string;
  port: number;
  protocol: Protocol;
  total: number;
  /** Entries the far end never answered ([UNREPLIED]): SYNs with no reply. */
  unreplied: number;
  /** Where the unreplied entries were DNATed to (reply-direction source), "ip:port" → count. */
  unrepliedTo: Record<string, number>;
  /** A few entries as conntrack prints them, for evidence. */
  samples: string[];
}

/** A bulk transfer between two nodes' agents: moves more than a packet so an MTU black hole shows. */
export interface TransferProbeFact {
  /** The node whose agent received the bytes, and the node it fetched them from. */
  from: string;
  to: string;
  bytes: number;
  received: number;
  outcome: 'complete' | 'stalled' | 'refused' | 'error' | 'skipped';
  detail?: string;
  ms: number;
}

export interface NodeAgentFact {
  node: string;
  status: 'ok' | 'unreachable' | 'timeout' | 'unauthorized' | 'error' | 'not-deployed';
  detail?: string;
  facts?: NodeKernelFacts;
}

/** CoreDNS's Corefile (ConfigMap kube-system/coredns, key Corefile). */
export interface CorefileFact {
  /** The Corefile text; absent when the ConfigMap or its key does not exist (another DNS, another name). */
  text?: string;
  /** Set when it could not be read ("unknown, because …"). */
  unknown?: string;
}

/**
 * One Kubernetes Event (core v1) about an object in scope: the kubelet, the CNI and the
 * controllers say here why a pod has no network, a node no pod CIDR, a Service no slices.
 */
export interface EventFact {
  /** The namespace the Event lives in (node events usually sit in "default"). */
  namespace: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  /** How many times it happened (series count or the deprecated count; 1 when neither is set). */
  count: number;
  /** Newest occurrence the Event records (series.lastObservedTime, lastTimestamp or eventTime). */
  lastSeen?: string;
  /** Who reported it: reportingComponent or source.component (kubelet, node-controller …). */
  reporter?: string;
}

/** The Events read for a job. Absent = not gathered for this kind of job. */
export interface EventsFact {
  /** Events whose reason netcheck knows to matter for networking (NETWORK_EVENT_REASONS). */
  items: EventFact[];
  /** A read stopped at its page bound: more events exist than were read. */
  truncated?: boolean;
  /** Set when a read failed: the events are then incomplete ("unknown, because …"). */
  unknown?: string;
}

/** An API request we were not allowed (or failed) to make; becomes an `error` finding. */
export interface AccessErrorFact {
  verb: 'get' | 'list';
  resource: string;
  group?: string;
  namespace?: string;
  status: number;
  message: string;
}

export interface Facts {
  target: Target;
  collectedAt: string;
  /** Services in the target namespace (svc/dns jobs) or all namespaces (cluster). */
  services: ServiceFact[];
  /** Services named like the target in other namespaces (for service-not-found). */
  sameNameElsewhere: ServiceFact[];
  /** The in-cluster Service an ExternalName target points at, when it names one (absent = not looked up). */
  referencedServices?: ServiceFact[];
  pods: PodFact[];
  endpointSlices: EndpointSliceFact[];
  nodes: NodeFact[];
  networkPolicies: NetworkPolicyFact[];
  /**
   * Calico, Cilium and admin network policies, and which of their APIs the cluster serves.
   * Absent = not gathered for this job (node jobs); the policy checks then judge NetworkPolicy alone.
   */
  policySystems?: PolicySystemsFact;
  namespaces: NamespaceFact[];
  /** DaemonSets of system components (kube-proxy, CNIs) in kube-system and CNI namespaces. */
  systemDaemonSets: DaemonSetFact[];
  /** Pods of system components (kube-proxy, CNI, CoreDNS/kube-dns). */
  systemPods: PodFact[];
  /** kube-dns Service and its EndpointSlices, when DNS is in scope. */
  dns?: { service?: ServiceFact; endpointSlices: EndpointSliceFact[]; corefile?: CorefileFact };
  probes: ProbeFacts;
  /** Events about the pods, Service and nodes in scope (svc, dns and node jobs). */
  events?: EventsFact;
  nodeAgents: NodeAgentFact[];
  accessErrors: AccessErrorFact[];
  /** How many API requests the gather made (a bound we test). */
  apiRequests?: number;
  /** Namespaced mode: the only namespaces netcheck could read. Absent: it reads cluster-wide. */
  readScope?: ReadScope;
  /**
   * What the caller keeps of the findings. `problems` (a sweep's per-Service view): only fail, warn
   * and error reach anyone, so a check may spare work that would only word a pass or a skip (its
   * evidence; a weighing that could only turn it into another skip), but never reports a pass it
   * did not weigh: it answers a skip then. Absent: every finding is reported. `passed` and
   * `skippedBecause` (lib/checks/lib/finding.ts) give such a view the check's bare pass or skip
   * and word one only for a report that shows it.
   */
  keeps?: 'problems';
}
