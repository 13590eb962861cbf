// Network policy systems beyond networking.k8s.io/v1 NetworkPolicy: Calico, Cilium and the
// sig-network admin policies. Slim copies of their specs (only the fields the evaluation reads),
// kept close to the CRD field names so fixtures read like the objects users write. Fields we
// see but do not evaluate are kept by name in `unsupported`, so the engine can say "unknown,
// because …" instead of guessing.

import type { LabelSelector } from './facts.js';

/** admin: AdminNetworkPolicy and BaselineAdminNetworkPolicy; cluster: their successor, ClusterNetworkPolicy. */
export type PolicySystem = 'calico' | 'cilium' | 'admin' | 'cluster';

/** What discovery and listing said about one policy API group. */
export interface PolicyApiFact {
  system: PolicySystem;
  group: string;
  version: string;
  /**
   * served: listed; not-installed: discovery does not offer it (or its list said 404);
   * forbidden: offered, but netcheck may not list it (403); unknown: discovery or the list failed otherwise;
   * out-of-scope: offered, but netcheck runs namespaced and may not read its cluster-wide policies
   * (`detail` names them), so whatever they decide is unknown.
   */
  state: 'served' | 'not-installed' | 'forbidden' | 'unknown' | 'out-of-scope';
  detail?: string;
}

// Calico (projectcalico.org/v3 through the Calico API server, or crd.projectcalico.org/v1).

export type CalicoAction = 'Allow' | 'Deny' | 'Log' | 'Pass';

export interface CalicoEntityFact {
  nets?: string[];
  notNets?: string[];
  /** Calico selector expression ("app == 'web' && has(tier)"). */
  selector?: string;
  notSelector?: string;
  namespaceSelector?: string;
  /** Numbers, "start:end" ranges or named ports. */
  ports?: (number | string)[];
  notPorts?: (number | string)[];
  /** Pods running as these service accounts: by name, and by a Calico selector over the accounts' labels. */
  serviceAccounts?: { names?: string[]; selector?: string };
  /** services: fields present that netcheck does not evaluate. */
  unsupported?: string[];
}

export interface CalicoRuleFact {
  action: CalicoAction;
  /** "TCP", "UDP", "SCTP", "ICMP" … or a number; undefined = any protocol. */
  protocol?: string | number;
  notProtocol?: string | number;
  source?: CalicoEntityFact;
  destination?: CalicoEntityFact;
  /** Only connections of this IP family. */
  ipVersion?: 4 | 6;
  /** Fields present that netcheck does not evaluate (an ipVersion other than 4 or 6). */
  unsupported?: string[];
}

export interface CalicoPolicyFact {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy';
  /** Which API it was read from: projectcalico.org (v3) or crd.projectcalico.org (v1). */
  group: string;
  name: string;
  /** Namespaced NetworkPolicy only. */
  namespace?: string;
  /** Tier name; "default" when the spec names none. */
  tier: string;
  /** undefined = no order (evaluated after every ordered policy of its tier). */
  order?: number;
  /** Calico selector of the endpoints the policy applies to; "" or undefined = all(). */
  selector?: string;
  /** GlobalNetworkPolicy: the namespaces whose endpoints it applies to. */
  namespaceSelector?: string;
  /** Only endpoints whose service account this Calico selector matches (over the account's labels). */
  serviceAccountSelector?: string;
  types: ('Ingress' | 'Egress')[];
  ingress: CalicoRuleFact[];
  egress: CalicoRuleFact[];
  /** doNotTrack, preDNAT: host-endpoint policies, not applied to pods (applyOnForward ones still are). */
  hostOnly?: boolean;
  /** Host endpoints: applied before kube-proxy's DNAT (NodePort traffic still addressed to the node). */
  preDNAT?: boolean;
  /** Host endpoints: applied to traffic forwarded through the host, not only to its own processes. */
  applyOnForward?: boolean;
  doNotTrack?: boolean;
}

/**
 * A Calico HostEndpoint: a node interface (or all of them, "*") under Calico policy. Traffic to
 * and from the host's own processes through it is denied unless a policy selecting it allows it
 * (Felix's failsafe ports excepted); forwarded traffic only once applyOnForward policies select it.
 */
export interface CalicoHostEndpointFact {
  group: string;
  name: string;
  labels: Record<string, string>;
  /** spec.node: the Calico (usually Kubernetes) node name. */
  node: string;
  /** "eth0", or "*" for every interface; undefined = the interface owning expectedIPs. */
  interfaceName?: string;
  expectedIPs?: string[];
  profiles?: string[];
}

export interface CalicoTierFact {
  name: string;
  /** undefined = ordered last. */
  order?: number;
  /** Calico 3.30+: what happens at the end of the tier (Deny by default, Pass). */
  defaultAction?: 'Deny' | 'Pass';
}

// Cilium (cilium.io/v2).

export interface CiliumPortFact {
  /** Number or named port, as a string in the CRD ("80", "http"); "0" or undefined = any port. */
  port?: string;
  endPort?: number;
  /** TCP, UDP, SCTP, ANY; undefined = ANY. */
  protocol?: string;
}

export interface CiliumRuleFact {
  /** fromEndpoints / toEndpoints. */
  endpoints?: LabelSelector[];
  /** fromCIDR / toCIDR. */
  cidr?: string[];
  /** fromCIDRSet / toCIDRSet. */
  cidrSet?: { cidr: string; except?: string[] }[];
  /** fromEntities / toEntities: world, cluster, host, remote-node, kube-apiserver, all, … */
  entities?: string[];
  toPorts?: { ports: CiliumPortFact[] }[];
  /** toFQDNs, toServices, fromRequires, toGroups, icmps … present but not evaluated. */
  unsupported?: string[];
}

export interface CiliumRuleSetFact {
  /** undefined with nodeSelector: a host policy, not applied to pods. */
  endpointSelector?: LabelSelector;
  nodeSelector?: LabelSelector;
  /** undefined = the section is absent (does not isolate); [] = present and empty. */
  ingress?: CiliumRuleFact[];
  ingressDeny?: CiliumRuleFact[];
  egress?: CiliumRuleFact[];
  egressDeny?: CiliumRuleFact[];
  enableDefaultDeny?: { ingress?: boolean; egress?: boolean };
}

export interface CiliumPolicyFact {
  kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  name: string;
  namespace?: string;
  /** `spec` and every entry of `specs`, in that order. */
  specs: CiliumRuleSetFact[];
}

// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), and
// their successor ClusterNetworkPolicy (v1alpha2, v1beta1): the same subjects, peers and rules,
// with a tier (Admin or Baseline) and a priority in each, Accept for Allow and protocols for ports.

export interface AdminPodsFact {
  namespaceSelector: LabelSelector;
  podSelector: LabelSelector;
}

export interface AdminPeerFact {
  namespaces?: LabelSelector;
  pods?: AdminPodsFact;
  /** Egress only. */
  nodes?: LabelSelector;
  /** Egress only: CIDRs. */
  networks?: string[];
  /** domainNames, v0.1.1's sameLabels / notSameLabels, and other peers netcheck does not evaluate. */
  unsupported?: string[];
}

export interface AdminPortFact {
  portNumber?: { protocol: 'TCP' | 'UDP' | 'SCTP'; port: number };
  namedPort?: string;
  portRange?: { protocol: 'TCP' | 'UDP' | 'SCTP'; start: number; end: number };
  /** A port of a kind netcheck does not know (the fields it had): whether it matches is unknown. */
  unsupported?: string;
}

export interface AdminRuleFact {
  name?: string;
  action: 'Allow' | 'Deny' | 'Pass';
  /** from (ingress) / to (egress). */
  peers: AdminPeerFact[];
  /** undefined = all ports. */
  ports?: AdminPortFact[];
}

export interface AdminPolicyFact {
  kind: 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy' | 'ClusterNetworkPolicy';
  name: string;
  /** AdminNetworkPolicy and ClusterNetworkPolicy: lower numbers first. */
  priority?: number;
  /** ClusterNetworkPolicy: evaluated before NetworkPolicy (Admin) or after it (Baseline). */
  tier?: 'Admin' | 'Baseline';
  /** `unsupported`: subject fields netcheck does not evaluate (whom the policy applies to is then unknown). */
  subject: { namespaces?: LabelSelector; pods?: AdminPodsFact; unsupported?: string[] };
  ingress: AdminRuleFact[];
  egress: AdminRuleFact[];
}

/** Everything read from the policy systems beyond NetworkPolicy. */
export interface PolicySystemsFact {
  /** One entry per group netcheck asked discovery about. */
  apis: PolicyApiFact[];
  calicoTiers: CalicoTierFact[];
  calico: CalicoPolicyFact[];
  /** Absent: not read (no Calico, or an older gather). */
  calicoHostEndpoints?: CalicoHostEndpointFact[];
  /** Set when the HostEndpoints could not be read ("unknown, because …"). */
  calicoHostEndpointsUnknown?: string;
  cilium: CiliumPolicyFact[];
  admin: AdminPolicyFact[];
}

export function emptyPolicySystems(): PolicySystemsFact {
  return { apis: [], calicoTiers: [], calico: [], cilium: [], admin: [] };
}
