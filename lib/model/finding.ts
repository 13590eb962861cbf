import type { SilenceMark } from './silence.js';

// What a check says. Findings are the contract between the checks, the verdict, the renderers
// and the JSON output: each names what it is about as typed subjects, so the verdict links a
// cause to its symptoms by shared subjects and no layer reads another's prose.

/** Every stable code a finding may carry; never renamed once released (users silence and route by it). */
export const CODES = [
  'api-access-denied',
  'node-agent-unreachable',
  'service-not-found',
  'node-not-found',
  'externalname-unresolvable',
  'loadbalancer-pending',
  'service-without-selector',
  'selector-matches-no-pods',
  'pods-not-ready',
  'target-port-mismatch',
  'protocol-mismatch',
  'no-ready-endpoints',
  'clusterip-refused',
  'clusterip-timeout',
  'endpoint-refused',
  'endpoint-timeout',
  'path-mtu-blackhole',
  'conntrack-unreplied',
  'dns-service-name-failed',
  'dns-ndots-search-expansion',
  'cluster-dns-down',
  'coredns-endpoint-failing',
  'coredns-config-fault',
  'coredns-upstream-failing',
  'nodelocal-dns-unhealthy',
  'node-dns-resolution-failed',
  'nodeport-no-local-endpoints',
  'internal-traffic-local-no-endpoint',
  'session-affinity-behind-snat',
  'dual-stack-mismatch',
  'topology-hints-disabled',
  'node-not-ready',
  'node-network-unavailable',
  'pod-cidr-unavailable',
  'ip-forward-disabled',
  'bridge-nf-call-iptables-disabled',
  'pod-cidr-route-missing',
  'rp-filter-strict',
  'conntrack-table-full',
  'mtu-mismatch',
  'hostport-without-portmap',
  'forward-blocked-by-netfilter',
  'kube-proxy-rules-stale',
  'kube-proxy-unhealthy',
  'cni-unhealthy',
  'pod-network-setup-failed',
  'network-policy-denies',
  'calico-host-endpoint-denies',
  'dns-egress-denied',
] as const;
export type Code = (typeof CODES)[number];

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

/**
 * Where a check sits in the causal chain. A lower rank is closer to the root: when two failing
 * findings could explain each other, the verdict prefers the lower rank.
 */
export type Layer =
  | 'access' // we could not read something
  | 'object' // the Service object itself
  | 'workload' // selector, pods, ports
  | 'node' // node conditions
  | 'kernel' // node agent facts
  | 'system' // kube-proxy, CNI, cluster DNS
  | 'policy' // NetworkPolicy
  | 'endpoint' // EndpointSlices
  | 'dataplane' // probe outcomes (symptoms)
  | 'dns'; // DNS probe outcomes

/** Closer to the root first: when counts tie, the deeper layer is the likelier cause. */
export const LAYER_RANK: Record<Layer, number> = {
  access: 0,
  object: 1,
  workload: 2,
  node: 3,
  kernel: 4,
  system: 5,
  policy: 6,
  endpoint: 7,
  dataplane: 8,
  dns: 8,
};

/**
 * Something a finding is about. Every subject has a `name`; namespaced kinds carry their
 * namespace, pods their IP and node when known, ports their number and protocol.
 */
export type Subject =
  | { kind: 'namespace'; name: string; namespace?: never }
  | { kind: 'service'; name: string; namespace: string }
  | { kind: 'pod'; name: string; namespace: string; ip?: string; node?: string }
  | { kind: 'node'; name: string; namespace?: never }
  /** A Service port: name "<service>:<port>", so port-level causes and probe symptoms meet on it. */
  | { kind: 'port'; name: string; namespace: string; service: string; port: number; protocol?: string }
  /** policyKind: NetworkPolicy, GlobalNetworkPolicy.projectcalico.org, CiliumNetworkPolicy, AdminNetworkPolicy …; rule: the deciding rule ("ingress[0]", with its name when it has one). */
  | { kind: 'networkpolicy'; name: string; namespace?: string; policyKind?: string; rule?: string }
  | { kind: 'daemonset'; name: string; namespace: string }
  | { kind: 'dns'; name: string; namespace?: string }
  /** An address on the data path (a ClusterIP, a pod IP no object owns any more). */
  | { kind: 'ip'; name: string; namespace?: never };

export type SubjectKind = Subject['kind'];

export function subjectKey(subject: Subject): string {
  return `${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
}

export interface Finding {
  /** Unique within a report and stable across runs: code plus subjects ("ip-forward-disabled@node/node-2"). */
  id: string;
  code: Code;
  layer: Layer;
  status: FindingStatus;
  title: string;
  detail: string;
  evidence: string[];
  /** Copy-pasteable fix; empty for pass/skip. */
  remediation: string;
  docs: string;
  subjects: Subject[];
  /** Filled by the verdict: the code of the finding that explains this one (kept for JSON consumers). */
  explainedBy?: Code;
  /** Filled by the verdict: the id of the finding that explains this one. */
  causeId?: string;
  /** A live silence holds this problem: it is shown and counted, but no longer sets the status or the root cause. */
  silenced?: SilenceMark;
}

/** The stable part of an id: code and the sorted subject keys (not the title, which carries counts). */
export function findingId(code: Code, subjects: readonly Subject[]): string {
  // Most findings name no subject or one (a sweep makes ~100k of them): no set, no sort then.
  if (subjects.length === 0) return code;
  if (subjects.length === 1) return `${code}@${subjectKey(subjects[0] as Subject)}`;
  const keys = [...new Set(subjects.map(subjectKey))].sort();
  return keys.length ? `${code}@${keys.join(',')}` : code;
}
