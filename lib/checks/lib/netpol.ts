import {
  formatLabels,
  ipInCidr,
  matchesSelector,
  type LabelSelector,
  type Labels,
  type NamespaceFact,
  type NetworkPolicyFact,
  type NetworkPolicyPeerFact,
  type NetworkPolicyPortFact,
  type NetworkPolicyRuleFact,
  type PodFact,
  type Protocol,
} from '../../model/index.js';

// NetworkPolicy semantics, per https://kubernetes.io/docs/concepts/services-networking/network-policies/ :
// a pod is isolated for a direction once any policy of that direction selects it; then a connection
// is allowed when at least one of those policies has a rule admitting it (policies are additive).
// A connection needs both the source's egress and the destination's ingress to allow it.

export type Direction = 'Ingress' | 'Egress';

/** One end of a connection. Pods have a namespace and labels; anything else is known by IP only. */
export interface Endpoint {
  namespace?: string;
  labels?: Labels;
  /** A pod's service account; undefined = not a pod, or not known. */
  serviceAccount?: string;
  ip?: string;
  /** Container ports, to resolve named ports when this end is the destination. */
  containerPorts?: PodFact['containers'][number]['ports'];
  description: string;
}

export interface Connection {
  source: Endpoint;
  destination: Endpoint;
  /** Destination port after Service DNAT (the pod's port). */
  port: number;
  protocol: Protocol;
}

export interface RuleOutcome {
  index: number;
  admits: boolean;
  /** Why this rule admits or not, for a person: "from pods app=frontend in shop — source … does not match". */
  reason: string;
}

export interface PolicyOutcome {
  policy: NetworkPolicyFact;
  admits: boolean;
  rules: RuleOutcome[];
}

export interface DirectionOutcome {
  direction: Direction;
  /** Policies of this direction selecting the pod; empty = not isolated, everything allowed. */
  selecting: PolicyOutcome[];
  allowed: boolean;
}

export interface ConnectionOutcome {
  allowed: boolean;
  /** Ingress at the destination; null when the destination is not a pod we know. */
  ingress: DirectionOutcome | null;
  /** Egress at the source; null when the source is not a pod (policies cannot select it). */
  egress: DirectionOutcome | null;
}

/** policyTypes as the API server defaults them when the manifest omits the field. */
export function effectivePolicyTypes(policy: NetworkPolicyFact): Direction[] {
  if (policy.policyTypes.length > 0) return policy.policyTypes;
  return policy.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function isPod(end: Endpoint): end is Endpoint & { namespace: string; labels: Labels } {
  return end.namespace !== undefined && end.labels !== undefined;
}

export function selectsPod(policy: NetworkPolicyFact, namespace: string, labels: Labels): boolean {
  return policy.namespace === namespace && matchesSelector(policy.podSelector, labels);
}

/** Labels of a namespace; the API server always sets kubernetes.io/metadata.name (1.22+). */
export function namespaceLabels(namespaces: NamespaceFact[], name: string): Labels {
  const found = namespaces.find((n) => n.name === name);
  return { ...(found?.labels ?? {}), 'kubernetes.io/metadata.name': name };
}

export function describeSelector(selector: LabelSelector): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const req of selector.matchExpressions ?? []) {
    if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
    else parts.push(`${req.key} ${req.operator === 'In' ? 'in' : 'notin'} (${(req.values ?? []).join(',')})`);
  }
  return parts.length ? parts.join(',') : '<all>';
}

export function describePeer(peer: NetworkPolicyPeerFact, policyNamespace: string): string {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(', ')}` : '';
    return `ipBlock ${peer.ipBlock.cidr}${except}`;
  }
  const pods = peer.podSelector ? `pods ${describeSelector(peer.podSelector)}` : 'all pods';
  if (peer.namespaceSelector) return `${pods} in namespaces ${describeSelector(peer.namespaceSelector)}`;
  return `${pods} in ${policyNamespace}`;
}

export function describePort(port: NetworkPolicyPortFact): string {
  if (port.port === undefined) return `all ${port.protocol} ports`;
  if (port.endPort !== undefined && typeof port.port === 'number') return `${port.port}-${port.endPort}/${port.protocol}`;
  return `${port.port}/${port.protocol}`;
}

/** Does `peer` (from a policy in `policyNamespace`) match the other end of the connection? */
export function peerMatches(peer: NetworkPolicyPeerFact, policyNamespace: string, other: Endpoint, namespaces: NamespaceFact[]): boolean {
  if (peer.ipBlock) {
    if (!other.ip || !ipInCidr(other.ip, peer.ipBlock.cidr)) return false;
    return !(peer.ipBlock.except ?? []).some((cidr) => ipInCidr(other.ip as string, cidr));
  }
  if (!isPod(other)) return false;
  if (peer.namespaceSelector) {
    if (!matchesSelector(peer.namespaceSelector, namespaceLabels(namespaces, other.namespace))) return false;
  } else if (other.namespace !== policyNamespace) {
    return false;
  }
  return peer.podSelector ? matchesSelector(peer.podSelector, other.labels) : true;
}

/** Does a policy port admit the destination port? Named ports resolve against the destination pod. */
export function portMatches(policyPort: NetworkPolicyPortFact, connection: Connection): boolean {
  if (policyPort.protocol !== connection.protocol) return false;
  if (policyPort.port === undefined) return true;
  if (typeof policyPort.port === 'number') {
    const last = policyPort.endPort ?? policyPort.port;
    return connection.port >= policyPort.port && connection.port <= last;
  }
  return (connection.destination.containerPorts ?? []).some((p) => p.name === policyPort.port && p.protocol === connection.protocol && p.containerPort === connection.port);
}

function evaluateRule(
  rule: NetworkPolicyRuleFact,
  index: number,
  policy: NetworkPolicyFact,
  direction: Direction,
  connection: Connection,
  namespaces: NamespaceFact[],
): RuleOutcome {
  const other = direction === 'Ingress' ? connection.source : connection.destination;
  const peers = rule.peers ?? [];
  const ports = rule.ports ?? [];
  const preposition = direction === 'Ingress' ? 'from' : 'to';
  const peerText = peers.length ? peers.map((p) => describePeer(p, policy.namespace)).join(' or ') : 'anywhere';
  const portText = ports.length ? ports.map(describePort).join(', ') : 'all ports';
  const label = `rule ${index + 1} (${preposition} ${peerText}; ${portText})`;
  const peerOk = peers.length === 0 || peers.some((p) => peerMatches(p, policy.namespace, other, namespaces));
  const portOk = ports.length === 0 || ports.some((p) => portMatches(p, connection));
  const wanted = `${connection.port}/${connection.protocol}`;
  if (peerOk && portOk) return { index, admits: true, reason: `${label} admits ${other.description} on ${wanted}` };
  const why: string[] = [];
  if (!peerOk) why.push(`${other.description} is not among its peers`);
  if (!portOk) why.push(`${wanted} is not among its ports`);
  return { index, admits: false, reason: `${label}: ${why.join(' and ')}` };
}

function evaluateDirection(
  direction: Direction,
  policies: NetworkPolicyFact[],
  pod: Endpoint & { namespace: string; labels: Labels },
  connection: Connection,
  namespaces: NamespaceFact[],
): DirectionOutcome {
  const selecting = policies
    .filter((p) => effectivePolicyTypes(p).includes(direction) && selectsPod(p, pod.namespace, pod.labels))
    .map((policy): PolicyOutcome => {
      const rules = (direction === 'Ingress' ? policy.ingress : policy.egress).map((rule, i) => evaluateRule(rule, i, policy, direction, connection, namespaces));
      return { policy, admits: rules.some((r) => r.admits), rules };
    });
  return { direction, selecting, allowed: selecting.length === 0 || selecting.some((p) => p.admits) };
}

/** Would the policies allow this connection? Both the source's egress and the destination's ingress must. */
export function evaluateConnection(policies: NetworkPolicyFact[], namespaces: NamespaceFact[], connection: Connection): ConnectionOutcome {
  const { source, destination } = connection;
  const ingress = isPod(destination) ? evaluateDirection('Ingress', policies, destination, connection, namespaces) : null;
  const egress = isPod(source) ? evaluateDirection('Egress', policies, source, connection, namespaces) : null;
  return { allowed: (ingress?.allowed ?? true) && (egress?.allowed ?? true), ingress, egress };
}

/** A policy with no rules for its direction: nothing is admitted (default deny). */
export function isDenyAll(policy: NetworkPolicyFact, direction: Direction): boolean {
  return effectivePolicyTypes(policy).includes(direction) && (direction === 'Ingress' ? policy.ingress : policy.egress).length === 0;
}

/** Why nothing admits, one line per selecting policy. */
export function explainDenial(outcome: DirectionOutcome): string[] {
  return outcome.selecting.map(({ policy, rules }) => {
    const head = `NetworkPolicy ${policy.namespace}/${policy.name} (podSelector ${describeSelector(policy.podSelector)}, policyTypes ${effectivePolicyTypes(policy).join(',')})`;
    if (rules.length === 0) return `${head} has no ${outcome.direction.toLowerCase()} rules: it denies all ${outcome.direction.toLowerCase()} traffic`;
    return `${head}: ${rules.map((r) => r.reason).join('; ')}`;
  });
}

export function podEndpoint(pod: PodFact): Endpoint & { namespace: string; labels: Labels } {
  return {
    namespace: pod.namespace,
    labels: pod.labels,
    serviceAccount: pod.serviceAccountName,
    ip: pod.podIP,
    containerPorts: pod.containers.flatMap((c) => c.ports),
    description: `pod ${pod.namespace}/${pod.name} (${formatLabels(pod.labels)})`,
  };
}
