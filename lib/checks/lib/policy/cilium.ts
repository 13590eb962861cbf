import {
  ipInCidr,
  matchesSelector,
  type CiliumPolicyFact,
  type CiliumPortFact,
  type CiliumRuleFact,
  type CiliumRuleSetFact,
  type LabelSelector,
  type Labels,
} from '../../../model/index.js';
import type { Connection, Direction, Endpoint } from '../netpol.js';
import { describeSelector } from '../netpol.js';
import { anyOf, isPodEnd, otherEnd, type CommonPolicy, type CommonRule, type Match, type PodEnd, type PolicyContext } from './types.js';

// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy in the common form
// (https://docs.cilium.io/en/stable/security/policy/language/): a rule set whose section for a
// direction is present puts the selected endpoints into default deny for that direction
// (unless enableDefaultDeny says otherwise); allow rules are additive; any matching deny rule
// wins over every allow. Selectors see Cilium's own labels: io.kubernetes.pod.namespace and
// io.cilium.k8s.namespace.labels.<key>, with optional source prefixes (k8s:, any:).

const NAMESPACE_KEY = 'io.kubernetes.pod.namespace';
const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';
const SERVICE_ACCOUNT_KEY = 'io.cilium.k8s.policy.serviceaccount';
/** Cilium labels every endpoint with its cluster's name (cluster-name in cilium-config), which netcheck cannot read. */
const CLUSTER_KEY = 'io.cilium.k8s.policy.cluster';

function stripSource(key: string): string {
  return key.replace(/^(k8s|any|container|reserved):/, '');
}

function normalise(selector: LabelSelector): LabelSelector {
  return {
    ...(selector.matchLabels ? { matchLabels: Object.fromEntries(Object.entries(selector.matchLabels).map(([k, v]) => [stripSource(k), v])) } : {}),
    ...(selector.matchExpressions ? { matchExpressions: selector.matchExpressions.map((e) => ({ ...e, key: stripSource(e.key) })) } : {}),
  };
}

/** Does the selector ask about this label at all (matchLabels or an expression)? */
function mentions(selector: LabelSelector, key: string): boolean {
  return (selector.matchLabels !== undefined && Object.hasOwn(selector.matchLabels, key)) || (selector.matchExpressions ?? []).some((e) => e.key === key);
}

function ciliumLabels(pod: PodEnd, ctx: PolicyContext): Labels {
  return ctx.labelsFor('cilium', pod, () => {
    const labels: Labels = { ...pod.labels, [NAMESPACE_KEY]: pod.namespace };
    for (const [k, v] of Object.entries(ctx.namespaceLabels(pod.namespace))) labels[`${NAMESPACE_LABELS_PREFIX}${k}`] = v;
    if (pod.serviceAccount !== undefined) labels[SERVICE_ACCOUNT_KEY] = pod.serviceAccount;
    return labels;
  });
}

/** Does a (normalised) selector pick this pod? Unknown when it asks for a service account netcheck does not know. */
function selects(selector: LabelSelector, pod: PodEnd, ctx: PolicyContext): Match {
  if (pod.serviceAccount === undefined && mentions(selector, SERVICE_ACCOUNT_KEY))
    return { unknown: `it selects by service account (${SERVICE_ACCOUNT_KEY}) and that of ${pod.description} is not known` };
  if (mentions(selector, CLUSTER_KEY)) return { unknown: `it selects by Cilium cluster name (${CLUSTER_KEY}), which netcheck cannot read` };
  return matchesSelector(selector, ciliumLabels(pod, ctx));
}

/** What Cilium's entities mean for the other end, as far as netcheck can tell it apart. */
function entityMatches(entity: string, other: Endpoint, self: Endpoint, ctx: PolicyContext): Match {
  const isPod = isPodEnd(other) || (other.ip !== undefined && ctx.podIPs.has(other.ip));
  const node = other.ip !== undefined ? ctx.nodeByIP.get(other.ip) : undefined;
  const selfNode = self.ip !== undefined ? ctx.podNode.get(self.ip) : undefined;
  switch (entity) {
    case 'all':
      return true;
    case 'cluster':
      return isPod || node !== undefined;
    case 'world':
    case 'world-ipv4':
    case 'world-ipv6':
      return !isPod && node === undefined && other.ip !== undefined;
    case 'host':
      return node !== undefined && selfNode !== undefined && node.name === selfNode;
    case 'remote-node':
      return node !== undefined && (selfNode === undefined || node.name !== selfNode);
    case 'kube-apiserver':
      return isPod ? false : { unknown: 'netcheck does not know which addresses are the kube-apiserver (entity kube-apiserver)' };
    default:
      return isPod ? false : { unknown: `entity ${entity} is not evaluated by netcheck` };
  }
}

function portMatches(ports: CiliumPortFact[], connection: Connection): boolean {
  return ports.some((p) => {
    const protocol = (p.protocol ?? 'ANY').toUpperCase();
    if (protocol !== 'ANY' && protocol !== connection.protocol) return false;
    if (p.port === undefined || p.port === '0' || p.port === '') return true;
    if (/^\d+$/.test(p.port)) {
      const first = Number(p.port);
      return connection.port >= first && connection.port <= (p.endPort ?? first);
    }
    return (connection.destination.containerPorts ?? []).some((c) => c.name === p.port && c.containerPort === connection.port);
  });
}

function describeRule(rule: CiliumRuleFact, preposition: string): string {
  const peers: string[] = [];
  for (const s of rule.endpoints ?? []) peers.push(`endpoints ${describeSelector(s)}`);
  for (const c of rule.cidr ?? []) peers.push(`CIDR ${c}`);
  for (const c of rule.cidrSet ?? []) peers.push(`CIDR ${c.cidr}${c.except?.length ? ` except ${c.except.join(', ')}` : ''}`);
  for (const e of rule.entities ?? []) peers.push(`entity ${e}`);
  for (const u of rule.unsupported ?? []) peers.push(u);
  const ports = (rule.toPorts ?? []).flatMap((tp) => tp.ports.map((p) => `${p.port ?? 'any'}${p.endPort ? `-${p.endPort}` : ''}/${p.protocol ?? 'ANY'}`));
  return `${preposition} ${peers.length ? peers.join(' or ') : rule.toPorts?.length ? 'anywhere' : 'nothing'}; ${ports.length ? ports.join(', ') : 'all ports'}`;
}

function toRule(policy: CiliumPolicyFact, rule: CiliumRuleFact, index: number, direction: Direction, deny: boolean): CommonRule {
  const section = `${direction === 'Ingress' ? 'ingress' : 'egress'}${deny ? 'Deny' : ''}`;
  const endpoints = (rule.endpoints ?? []).map(normalise).map((selector) => ({ selector, anyNamespace: policy.namespace === undefined || mentions(selector, NAMESPACE_KEY) }));
  const hasPeer = endpoints.length > 0 || !!rule.cidr?.length || !!rule.cidrSet?.length || !!rule.entities?.length || !!rule.unsupported?.length;
  return {
    direction,
    index,
    section,
    action: deny ? 'Deny' : 'Allow',
    text: `${deny ? 'Deny' : 'Allow'} ${describeRule(rule, direction === 'Ingress' ? 'from' : 'to')}`,
    matches(connection, ctx) {
      const other = otherEnd(connection, direction);
      const self = direction === 'Ingress' ? connection.destination : connection.source;
      const portOk = !rule.toPorts?.length || rule.toPorts.some((tp) => tp.ports.length === 0 || portMatches(tp.ports, connection));
      if (!portOk) return false;
      // An empty rule ({}) selects no peer: it only puts the endpoint into default deny.
      if (!hasPeer) return !!rule.toPorts?.length;
      const otherIsPod = isPodEnd(other) || (other.ip !== undefined && ctx.podIPs.has(other.ip));
      const peers: Match[] = [];
      if (isPodEnd(other)) {
        for (const e of endpoints) peers.push((e.anyNamespace || other.namespace === policy.namespace) && selects(e.selector, other, ctx));
      }
      // CIDR rules select addresses outside the cluster's endpoints; pods are matched by identity.
      if (other.ip !== undefined && !otherIsPod) {
        for (const c of rule.cidr ?? []) peers.push(ipInCidr(other.ip, c));
        for (const c of rule.cidrSet ?? []) peers.push(ipInCidr(other.ip, c.cidr) && !(c.except ?? []).some((x) => ipInCidr(other.ip as string, x)));
      }
      for (const e of rule.entities ?? []) peers.push(entityMatches(e, other, self, ctx));
      if (rule.unsupported?.length) peers.push({ unknown: `its ${rule.unsupported.join(', ')} ${rule.unsupported.length === 1 ? 'is' : 'are'} not evaluated by netcheck` });
      return anyOf(peers);
    },
  };
}

function sectionRules(policy: CiliumPolicyFact, spec: CiliumRuleSetFact, prefix: string, direction: Direction): CommonRule[] {
  const allow = direction === 'Ingress' ? spec.ingress : spec.egress;
  const deny = direction === 'Ingress' ? spec.ingressDeny : spec.egressDeny;
  const rename = (rule: CommonRule): CommonRule => (prefix ? { ...rule, section: `${prefix}${rule.section}` } : rule);
  return [...(deny ?? []).map((r, i) => rename(toRule(policy, r, i, direction, true))), ...(allow ?? []).map((r, i) => rename(toRule(policy, r, i, direction, false)))];
}

function specApplies(spec: CiliumRuleSetFact, direction: Direction): boolean {
  return direction === 'Ingress' ? spec.ingress !== undefined || spec.ingressDeny !== undefined : spec.egress !== undefined || spec.egressDeny !== undefined;
}

/** One common policy per rule set (`spec` and each of `specs`): each selects its own endpoints. */
export function fromCiliumPolicy(policy: CiliumPolicyFact): CommonPolicy[] {
  const plural = policy.kind === 'CiliumNetworkPolicy' ? 'ciliumnetworkpolicies' : 'ciliumclusterwidenetworkpolicies';
  const ref = { system: 'cilium' as const, kind: policy.kind, name: policy.name, ...(policy.namespace ? { namespace: policy.namespace } : {}), resource: plural };
  return policy.specs.map((spec, i): CommonPolicy => {
    // A rule set with only a nodeSelector is a host policy: it never selects a pod.
    const selector = spec.endpointSelector ? normalise(spec.endpointSelector) : undefined;
    const prefix = policy.specs.length > 1 ? `specs[${i}].` : '';
    const namespace = policy.namespace ?? selector?.matchLabels?.[NAMESPACE_KEY];
    const labelKey = Object.keys(selector?.matchLabels ?? {}).find((k) => k !== NAMESPACE_KEY && !k.startsWith(NAMESPACE_LABELS_PREFIX));
    const label = labelKey !== undefined ? { key: labelKey, value: selector?.matchLabels?.[labelKey] as string } : undefined;
    return {
      ref,
      stage: 'namespace',
      ...(namespace !== undefined || label ? { hint: { ...(namespace !== undefined ? { namespace } : {}), ...(label ? { label } : {}) } } : {}),
      appliesTo(pod, direction, ctx) {
        if (!selector || !specApplies(spec, direction)) return false;
        if (policy.namespace !== undefined && pod.namespace !== policy.namespace) return false;
        return selects(selector, pod, ctx);
      },
      isolates(direction) {
        const flag = direction === 'Ingress' ? spec.enableDefaultDeny?.ingress : spec.enableDefaultDeny?.egress;
        return specApplies(spec, direction) && flag !== false;
      },
      rules: { Ingress: sectionRules(policy, spec, prefix, 'Ingress'), Egress: sectionRules(policy, spec, prefix, 'Egress') },
    };
  });
}
