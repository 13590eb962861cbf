import { ObjectCache, type Labels, type NamespaceFact, type NodeFact, type PodFact } from '../../../model/index.js';
import { namespaceLabels, type Connection, type Direction, type Endpoint } from '../netpol.js';

// The common rule form every policy system is translated into (one module per system), and the
// context the rules are matched in. The evaluator (evaluate.ts) applies each system's precedence
// to these; the translators only say whether a rule matches a connection.

/** true/false, or why netcheck cannot tell (a field it does not evaluate, a selector that does not parse). */
export type Match = boolean | { unknown: string };

export type PolicySystemName = 'kubernetes' | 'calico' | 'cilium' | 'admin';

export interface PolicyRef {
  system: PolicySystemName;
  /** What the user calls it, and the finding's subject policyKind: NetworkPolicy, GlobalNetworkPolicy.projectcalico.org, CiliumNetworkPolicy, AdminNetworkPolicy … */
  kind: string;
  name: string;
  namespace?: string;
  /** The resource as kubectl names it, for the fix: "networkpolicies.projectcalico.org". */
  resource: string;
}

export type RuleAction = 'Allow' | 'Deny' | 'Pass' | 'Log';

export interface CommonRule {
  direction: Direction;
  /** Position in the policy's list for its direction (0-based); the JSON path is `${section}[${index}]`. */
  index: number;
  /** The list it sits in: ingress, egress, ingressDeny, egressDeny. */
  section: string;
  name?: string;
  action: RuleAction;
  /** For a person: "Deny from all pods in namespaces team=dev on 8080/TCP". */
  text: string;
  matches(connection: Connection, ctx: PolicyContext): Match;
}

export interface CommonPolicy {
  ref: PolicyRef;
  /** AdminNetworkPolicy first, then the namespace-level systems, then BaselineAdminNetworkPolicy. */
  stage: 'admin' | 'namespace' | 'baseline';
  /** AdminNetworkPolicy priority. */
  priority?: number;
  /** Calico tier and order (NetworkPolicies sit in tier default at order 1000, as Calico enforces them). */
  tier?: string;
  order?: number;
  /**
   * Does the policy apply to this pod in this direction? A matter of the pod's namespace, labels and service account
   * and the namespaces' labels only (ctx.namespaceLabels, ctx.labelsFor): callers may answer it
   * once for pods that look alike, with a context holding no pods or nodes.
   */
  appliesTo(pod: PodEnd, direction: Direction, ctx: PolicyContext): Match;
  /** Additive systems (NetworkPolicy, Cilium): does applying make the pod default-deny in that direction? */
  isolates(direction: Direction): boolean;
  rules: Record<Direction, CommonRule[]>;
  /** "priority 10", "tier security, order 100": where it sits, for the evidence. */
  placement?: string;
  /**
   * What a pod must have for the policy to apply, when the selector says so plainly: a
   * namespace, a label (of the pod's own Kubernetes labels), or both (then both are required). An
   * index hint for a sweep, which weighs every cluster-wide policy for every service; appliesTo
   * always decides.
   */
  hint?: { namespace?: string; label?: { key: string; value: string } };
}

export type PodEnd = Endpoint & { namespace: string; labels: Labels };

export function isPodEnd(end: Endpoint): end is PodEnd {
  return end.namespace !== undefined && end.labels !== undefined;
}

/** What rules are matched against besides the connection: namespace and node labels, which IPs are pods. */
export interface PolicyContext {
  namespaces: NamespaceFact[];
  namespaceLabels(name: string): Labels;
  /** Nodes by InternalIP (Cilium host entities, AdminNetworkPolicy node peers). */
  nodeByIP: Map<string, NodeFact>;
  /** Pod IPs netcheck knows of: Cilium's CIDR and world rules do not apply to cluster endpoints. */
  podIPs: Set<string>;
  /** The node of each known pod IP (Cilium's host entity is the pod's own node). */
  podNode: Map<string, string>;
  /**
   * A system's view of a pod's labels (Calico and Cilium add their own), built once per pod and
   * context: a sweep weighs hundreds of cluster-wide policies against each service's pods.
   */
  labelsFor(system: 'calico' | 'cilium', pod: PodEnd, build: () => Labels): Labels;
}

/** Node and pod indexes are built on first use: a sweep's per-service views mostly never need them. */
export function policyContext(namespaces: NamespaceFact[], nodes: NodeFact[], pods: readonly PodFact[]): PolicyContext {
  const labelsCache = new Map<string, Labels>();
  let nodeByIP: Map<string, NodeFact> | undefined;
  let podIndex: { ips: Set<string>; nodes: Map<string, string> } | undefined;
  const indexPods = () => {
    if (podIndex) return podIndex;
    podIndex = { ips: new Set(), nodes: new Map() };
    for (const pod of pods) {
      if (!pod.podIP || pod.hostNetwork) continue;
      podIndex.ips.add(pod.podIP);
      if (pod.nodeName) podIndex.nodes.set(pod.podIP, pod.nodeName);
    }
    return podIndex;
  };
  type Built = { namespace: string; serviceAccount: string | undefined; labels: Labels };
  const systemLabels = { calico: new ObjectCache<Labels, Built>(), cilium: new ObjectCache<Labels, Built>() };
  return {
    namespaces,
    labelsFor(system, pod, build) {
      const cache = systemLabels[system];
      // By the pod's own labels object, but a system's view adds the namespace and service account:
      // an endpoint made from the same labels with other ones gets its own.
      const built = cache.get(pod.labels);
      if (built && built.namespace === pod.namespace && built.serviceAccount === pod.serviceAccount) return built.labels;
      const labels = build();
      cache.set(pod.labels, { namespace: pod.namespace, serviceAccount: pod.serviceAccount, labels });
      return labels;
    },
    namespaceLabels(name) {
      let labels = labelsCache.get(name);
      if (!labels) labelsCache.set(name, (labels = namespaceLabels(namespaces, name)));
      return labels;
    },
    get nodeByIP() {
      if (!nodeByIP) {
        nodeByIP = new Map();
        for (const node of nodes) if (node.internalIP) nodeByIP.set(node.internalIP, node);
      }
      return nodeByIP;
    },
    get podIPs() {
      return indexPods().ips;
    },
    get podNode() {
      return indexPods().nodes;
    },
  };
}

/** Combine matches with AND: false wins, then unknown. */
export function allOf(matches: Match[]): Match {
  let unknown: Match | undefined;
  for (const m of matches) {
    if (m === false) return false;
    if (m !== true) unknown ??= m;
  }
  return unknown ?? true;
}

/** Combine matches with OR: true wins, then unknown. */
export function anyOf(matches: Match[]): Match {
  let unknown: Match | undefined;
  for (const m of matches) {
    if (m === true) return true;
    if (m !== false) unknown ??= m;
  }
  return unknown ?? false;
}

export function ruleLabel(rule: CommonRule): string {
  return `${rule.section}[${rule.index}]${rule.name ? ` "${rule.name}"` : ''}`;
}

export function policyLabel(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The other end of the connection, seen from a policy of this direction. */
export function otherEnd(connection: Connection, direction: Direction): Endpoint {
  return direction === 'Ingress' ? connection.source : connection.destination;
}

export function portText(port: number, protocol: string): string {
  return `${port}/${protocol}`;
}
