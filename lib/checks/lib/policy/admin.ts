import { ipInCidr, matchesSelector, type AdminPeerFact, type AdminPolicyFact, type AdminPortFact, type AdminRuleFact } from '../../../model/index.js';
import { describeSelector, type Connection, type Direction } from '../netpol.js';
import { allOf, anyOf, isPodEnd, otherEnd, type CommonPolicy, type CommonRule, type Match, type PodEnd, type PolicyContext } from './types.js';

// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1,
// https://network-policy-api.sigs.k8s.io/reference/spec/): cluster-scoped, rules in order with
// Allow, Deny or Pass. ANPs are evaluated before any NetworkPolicy, lowest priority number first;
// the single BANP "default" after them, for what nothing else decided.

function podsMatch(
  pods: { namespaceSelector: import('../../../model/index.js').LabelSelector; podSelector: import('../../../model/index.js').LabelSelector },
  pod: PodEnd,
  ctx: PolicyContext,
): boolean {
  return matchesSelector(pods.namespaceSelector, ctx.namespaceLabels(pod.namespace)) && matchesSelector(pods.podSelector, pod.labels);
}

function peerMatches(peer: AdminPeerFact, connection: Connection, direction: Direction, ctx: PolicyContext): Match {
  const other = otherEnd(connection, direction);
  const checks: Match[] = [];
  if (peer.namespaces) checks.push(isPodEnd(other) && matchesSelector(peer.namespaces, ctx.namespaceLabels(other.namespace)));
  if (peer.pods) checks.push(isPodEnd(other) && podsMatch(peer.pods, other, ctx));
  if (peer.nodes) {
    const node = other.ip !== undefined ? ctx.nodeByIP.get(other.ip) : undefined;
    checks.push(node !== undefined && matchesSelector(peer.nodes, node.labels));
  }
  if (peer.networks?.length) checks.push(other.ip !== undefined && peer.networks.some((n) => ipInCidr(other.ip as string, n)));
  if (peer.unsupported?.length) checks.push({ unknown: `its ${peer.unsupported.join(', ')} peer is not evaluated by netcheck` });
  return anyOf(checks);
}

function portMatches(port: AdminPortFact, connection: Connection): Match {
  if (port.unsupported !== undefined) return { unknown: `its port (${port.unsupported}) is of a kind netcheck does not evaluate` };
  if (port.portNumber) return port.portNumber.protocol === connection.protocol && port.portNumber.port === connection.port;
  if (port.portRange) return port.portRange.protocol === connection.protocol && connection.port >= port.portRange.start && connection.port <= port.portRange.end;
  if (port.namedPort !== undefined)
    return (connection.destination.containerPorts ?? []).some((c) => c.name === port.namedPort && c.containerPort === connection.port && c.protocol === connection.protocol);
  return false;
}

function describePeer(peer: AdminPeerFact): string {
  const parts: string[] = [];
  if (peer.namespaces) parts.push(`namespaces ${describeSelector(peer.namespaces)}`);
  if (peer.pods) parts.push(`pods ${describeSelector(peer.pods.podSelector)} in namespaces ${describeSelector(peer.pods.namespaceSelector)}`);
  if (peer.nodes) parts.push(`nodes ${describeSelector(peer.nodes)}`);
  if (peer.networks?.length) parts.push(`networks ${peer.networks.join(', ')}`);
  for (const u of peer.unsupported ?? []) parts.push(u);
  return parts.join(' or ');
}

function describePort(port: AdminPortFact): string {
  if (port.portNumber) return `${port.portNumber.port}/${port.portNumber.protocol}`;
  if (port.portRange) return `${port.portRange.start}-${port.portRange.end}/${port.portRange.protocol}`;
  if (port.namedPort !== undefined) return `port "${port.namedPort}"`;
  return `port (${port.unsupported})`;
}

function toRule(rule: AdminRuleFact, index: number, direction: Direction, kind: AdminPolicyFact['kind']): CommonRule {
  const preposition = direction === 'Ingress' ? 'from' : 'to';
  // In its own words: a ClusterNetworkPolicy accepts where the admin policies allowed.
  const action = kind === 'ClusterNetworkPolicy' && rule.action === 'Allow' ? 'Accept' : rule.action;
  return {
    direction,
    index,
    section: direction.toLowerCase(),
    ...(rule.name ? { name: rule.name } : {}),
    action: rule.action,
    text: `${action} ${preposition} ${rule.peers.map(describePeer).join(' or ') || 'nothing'}; ${rule.ports?.length ? rule.ports.map(describePort).join(', ') : 'all ports'}`,
    matches(connection, ctx) {
      const ports: Match = !rule.ports?.length || anyOf(rule.ports.map((p) => portMatches(p, connection)));
      return allOf([ports, anyOf(rule.peers.map((p) => peerMatches(p, connection, direction, ctx)))]);
    },
  };
}

/** Evaluated after NetworkPolicy: the BaselineAdminNetworkPolicy and Baseline-tier ClusterNetworkPolicies. */
export function isBaseline(policy: Pick<AdminPolicyFact, 'kind' | 'tier'>): boolean {
  return policy.kind === 'BaselineAdminNetworkPolicy' || (policy.kind === 'ClusterNetworkPolicy' && policy.tier === 'Baseline');
}

const RESOURCES: Record<AdminPolicyFact['kind'], string> = {
  AdminNetworkPolicy: 'adminnetworkpolicy',
  BaselineAdminNetworkPolicy: 'baselineadminnetworkpolicy',
  ClusterNetworkPolicy: 'clusternetworkpolicy',
};

export function fromAdminPolicy(policy: AdminPolicyFact): CommonPolicy {
  const baseline = isBaseline(policy);
  const namespaceSelector = policy.subject.namespaces ?? policy.subject.pods?.namespaceSelector;
  const namespace = namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  const podLabels = policy.subject.namespaces ? undefined : policy.subject.pods?.podSelector.matchLabels;
  const labelKey = Object.keys(podLabels ?? {})[0];
  const label = labelKey !== undefined ? { key: labelKey, value: podLabels?.[labelKey] as string } : undefined;
  return {
    ...(namespace !== undefined || label ? { hint: { ...(namespace !== undefined ? { namespace } : {}), ...(label ? { label } : {}) } } : {}),
    ref: { system: 'admin', kind: policy.kind, name: policy.name, resource: RESOURCES[policy.kind] },
    stage: baseline ? 'baseline' : 'admin',
    ...(policy.priority !== undefined ? { priority: policy.priority } : {}),
    ...(policy.kind === 'ClusterNetworkPolicy'
      ? { placement: `tier ${policy.tier ?? 'unknown'}, priority ${policy.priority ?? 'none'}` }
      : baseline
        ? {}
        : { placement: `priority ${policy.priority ?? 'none'}` }),
    appliesTo(pod, direction, ctx) {
      if ((direction === 'Ingress' ? policy.ingress : policy.egress).length === 0) return false;
      if (policy.subject.unsupported?.length)
        return { unknown: `its ${policy.subject.unsupported.join(', ')} ${policy.subject.unsupported.length === 1 ? 'is' : 'are'} not evaluated by netcheck` };
      if (policy.subject.namespaces) return matchesSelector(policy.subject.namespaces, ctx.namespaceLabels(pod.namespace));
      if (policy.subject.pods) return podsMatch(policy.subject.pods, pod, ctx);
      return false;
    },
    // Admin policies never isolate: what no rule matches falls through to the next stage.
    isolates: () => false,
    rules: { Ingress: policy.ingress.map((r, i) => toRule(r, i, 'Ingress', policy.kind)), Egress: policy.egress.map((r, i) => toRule(r, i, 'Egress', policy.kind)) },
  };
}
