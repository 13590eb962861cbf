import {
  ipInCidr,
  type CalicoEntityFact,
  type CalicoHostEndpointFact,
  type CalicoPolicyFact,
  type CalicoRuleFact,
  type Labels,
  type NodeFact,
  type PolicySystemsFact,
  type Protocol,
} from '../../../model/index.js';
import { calicoKind, calicoSelects } from './calico.js';
import type { Match } from './types.js';

// Calico host-endpoint policy, apart from the pod policy engine (evaluate.ts): a HostEndpoint
// puts a node interface under policy, with rules of its own (Calico's "Summary of host endpoint
// policies"):
//  - traffic to or from a process in the host's network namespace (hostNetwork pods) is denied
//    unless a policy selecting the host endpoint allows it — Felix's failsafe ports excepted;
//  - pre-DNAT policies (ingress only) see the original destination (node IP and NodePort); they
//    have no default deny: a packet they neither allow nor deny goes on to normal policy, and one
//    they allow to a host process skips normal policy;
//  - forwarded traffic (NodePort DNATed to a pod) meets only applyOnForward policies, and is
//    allowed when none selects the host endpoint in that direction;
//  - untracked (doNotTrack) policies are not evaluated here: they make the answer unknown.

/**
 * Felix's defaults for FailsafeInboundHostPorts / FailsafeOutboundHostPorts (ssh, DHCP, BGP, etcd,
 * Typha, the API server, kube-proxy's health ports). FelixConfiguration is not read: a cluster
 * that changed them is judged by these.
 */
export const FAILSAFE_INBOUND: readonly string[] = ['TCP:22', 'UDP:68', 'TCP:179', 'TCP:2379', 'TCP:2380', 'TCP:5473', 'TCP:6443', 'TCP:6666', 'TCP:6667'];
export const FAILSAFE_OUTBOUND: readonly string[] = ['UDP:53', 'UDP:67', 'TCP:179', 'TCP:2379', 'TCP:2380', 'TCP:5473', 'TCP:6443', 'TCP:6666', 'TCP:6667'];

/** One end of a host-endpoint flow: a pod, the host itself (its HostEndpoint's labels), or an address. */
export interface HostFlowEnd {
  ip?: string;
  /** Calico's labels of the end when it is a Calico endpoint (pods carry projectcalico.org/namespace). */
  labels?: Labels;
  /** Pods only: host endpoints are not namespaced. */
  namespace?: string;
  description: string;
}

export interface HostFlow {
  node: string;
  hostEndpoint: CalicoHostEndpointFact;
  /** Ingress: arriving through the host endpoint; Egress: leaving through it. */
  direction: 'Ingress' | 'Egress';
  /** local: to or from a process in the host's network namespace; forward: routed on to a pod. */
  path: 'local' | 'forward';
  protocol: Protocol;
  source: HostFlowEnd;
  destination: HostFlowEnd;
  port: number;
  /** Ingress only: what pre-DNAT policy sees (the node address and the NodePort), when DNAT changes it. */
  original?: { destination: HostFlowEnd; port: number };
}

export interface HostPolicyHit {
  name: string;
  /** "GlobalNetworkPolicy.projectcalico.org". */
  kind: string;
  resource: string;
  tier: string;
  /** "ingress[1]"; absent when the end of the tier decided. */
  rule?: string;
}

export type HostFlowVerdict =
  | { outcome: 'allowed'; reason: string; policy?: HostPolicyHit }
  | { outcome: 'denied'; reason: string; policy?: HostPolicyHit; noPolicy?: boolean; endOfTier?: HostPolicyHit[] }
  | { outcome: 'unknown'; reason: string };

export interface HostPolicyContext {
  systems: PolicySystemsFact;
  namespaceLabels(name: string): Labels;
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'TCP', '17': 'UDP', '132': 'SCTP', '1': 'ICMP', '58': 'ICMPV6' };
const protocolName = (p: string | number) => PROTOCOL_NUMBERS[String(p).toUpperCase()] ?? String(p).toUpperCase();

/** Calico's own default-tier order, as evaluate.ts orders tiers. */
const DEFAULT_TIER_ORDER = 1_000_000;

function and(matches: Match[]): Match {
  let unknown: Match | undefined;
  for (const m of matches) {
    if (m === false) return false;
    if (m !== true) unknown ??= m;
  }
  return unknown ?? true;
}

const not = (m: Match): Match => (typeof m === 'boolean' ? !m : m);

/**
 * The host endpoints that police `node`'s traffic with other hosts: every interface ("*"), the one
 * holding the node's InternalIP, or the named interface the node's agent reports as its uplink.
 */
export function hostEndpointsOf(
  systems: PolicySystemsFact,
  node: NodeFact,
  primaryInterface: string | undefined,
): { covering: CalicoHostEndpointFact[]; unknown: { hostEndpoint: CalicoHostEndpointFact; reason: string }[] } {
  const covering: CalicoHostEndpointFact[] = [];
  const unknown: { hostEndpoint: CalicoHostEndpointFact; reason: string }[] = [];
  for (const hep of systems.calicoHostEndpoints ?? []) {
    if (hep.node !== node.name) continue;
    if (
      hep.interfaceName === '*' ||
      (node.internalIP !== undefined && hep.expectedIPs?.includes(node.internalIP)) ||
      (hep.interfaceName !== undefined && hep.interfaceName === primaryInterface)
    ) {
      covering.push(hep);
    } else if (hep.interfaceName !== undefined && primaryInterface === undefined) {
      unknown.push({
        hostEndpoint: hep,
        reason: `unknown, because HostEndpoint ${hep.name} covers interface ${hep.interfaceName} of ${node.name} and no agent said which interface carries the node's traffic`,
      });
    }
  }
  return { covering, unknown };
}

/** Only GlobalNetworkPolicies select host endpoints; one with a namespaceSelector selects pods only. */
function selectingPolicies(flow: HostFlow, systems: PolicySystemsFact): CalicoPolicyFact[] | { unknown: string } {
  const selected: CalicoPolicyFact[] = [];
  for (const policy of systems.calico) {
    if (policy.kind !== 'GlobalNetworkPolicy' || policy.namespaceSelector !== undefined || !policy.types.includes(flow.direction)) continue;
    const m = calicoSelects(policy.selector, flow.hostEndpoint.labels);
    if (typeof m === 'object') return { unknown: `unknown, because ${policy.name}'s selector cannot be evaluated: ${m.unknown}` };
    if (m) selected.push(policy);
  }
  return selected;
}

function entityMatches(entity: CalicoEntityFact | undefined, end: HostFlowEnd, port: number | undefined, ctx: HostPolicyContext): Match {
  if (!entity) return true;
  if (entity.unsupported?.length) return { unknown: `it matches ${entity.unsupported.join(', ')}, which netcheck does not evaluate` };
  const checks: Match[] = [];
  const nets = (list: string[]): Match =>
    end.ip === undefined
      ? { unknown: `it matches addresses (${list.join(', ')}) and ${end.description} has none netcheck knows` }
      : list.some((n) => ipInCidr(end.ip as string, n));
  if (entity.nets?.length) checks.push(nets(entity.nets));
  if (entity.notNets?.length) checks.push(not(nets(entity.notNets)));
  const bySelector = (text: string): Match => {
    if (end.labels) return calicoSelects(text, end.labels);
    // An address no Calico endpoint owns never matches a selector; one netcheck cannot place might.
    return end.ip === undefined ? { unknown: `it matches Calico endpoints by selector and ${end.description} is not one netcheck knows` } : false;
  };
  if (entity.selector !== undefined) checks.push(bySelector(entity.selector));
  if (entity.notSelector !== undefined) checks.push(not(bySelector(entity.notSelector)));
  if (entity.namespaceSelector !== undefined) {
    checks.push(
      end.namespace !== undefined
        ? calicoSelects(entity.namespaceSelector, { ...ctx.namespaceLabels(end.namespace), 'projectcalico.org/name': end.namespace })
        : { unknown: `it matches by namespaceSelector and ${end.description} is not a pod` },
    );
  }
  if (port === undefined) {
    if (entity.ports?.length || entity.notPorts?.length) checks.push({ unknown: 'it matches source ports, which are ephemeral' });
  } else {
    const inPorts = (ports: (number | string)[]): Match => {
      let unknown: Match = false;
      for (const p of ports) {
        const range = typeof p === 'string' ? /^(\d+):(\d+)$/.exec(p) : null;
        if (typeof p === 'number' || /^\d+$/.test(p)) {
          if (Number(p) === port) return true;
        } else if (range) {
          if (port >= Number(range[1]) && port <= Number(range[2])) return true;
        } else unknown = { unknown: `it names port "${p}", which netcheck does not resolve on host endpoints` };
      }
      return unknown;
    };
    if (entity.ports?.length) checks.push(inPorts(entity.ports));
    if (entity.notPorts?.length) checks.push(not(inPorts(entity.notPorts)));
  }
  return and(checks);
}

function ruleMatches(rule: CalicoRuleFact, source: HostFlowEnd, destination: HostFlowEnd, port: number, protocol: Protocol, ctx: HostPolicyContext): Match {
  if (rule.unsupported?.length) return { unknown: `it matches ${rule.unsupported.join(', ')}, which netcheck does not evaluate` };
  const checks: Match[] = [];
  if (rule.protocol !== undefined) checks.push(protocolName(rule.protocol) === protocol);
  if (rule.notProtocol !== undefined) checks.push(protocolName(rule.notProtocol) !== protocol);
  checks.push(entityMatches(rule.source, source, undefined, ctx));
  checks.push(entityMatches(rule.destination, destination, port, ctx));
  return and(checks);
}

function hit(policy: CalicoPolicyFact, rule?: string): HostPolicyHit {
  return { name: policy.name, kind: calicoKind(policy), resource: `globalnetworkpolicies.${policy.group}`, tier: policy.tier, ...(rule ? { rule } : {}) };
}

type Walk = { decided: 'Allow' | 'Deny'; policy: CalicoPolicyFact; rule: string } | { endOfTier: CalicoPolicyFact[]; tier: string } | { unknown: string } | { noMatch: true };

/** Tiers by order, policies by order then name; the first Allow or Deny decides, Pass leaves the tier. */
function walk(policies: CalicoPolicyFact[], flow: HostFlow, destination: HostFlowEnd, port: number, endOfTierDenies: boolean, ctx: HostPolicyContext): Walk {
  const tierOrder = new Map<string, number | undefined>([['default', DEFAULT_TIER_ORDER]]);
  const tierPass = new Set<string>();
  for (const t of ctx.systems.calicoTiers) {
    tierOrder.set(t.name, t.order);
    if (t.defaultAction === 'Pass') tierPass.add(t.name);
  }
  const order = (value: number | undefined) => value ?? Number.POSITIVE_INFINITY;
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const tiers = [...new Set(policies.map((p) => p.tier))].sort((a, b) => order(tierOrder.get(a)) - order(tierOrder.get(b)) || byName(a, b));
  const section = flow.direction === 'Ingress' ? 'ingress' : 'egress';
  tiers: for (const tier of tiers) {
    const inTier = policies.filter((p) => p.tier === tier).sort((a, b) => order(a.order) - order(b.order) || byName(a.name, b.name));
    for (const policy of inTier) {
      for (const [index, rule] of policy[section].entries()) {
        const m = ruleMatches(rule, flow.source, destination, port, flow.protocol, ctx);
        if (m === false) continue;
        if (m !== true) return { unknown: `unknown, because rule ${section}[${index}] of ${policy.name} decides it and ${m.unknown}` };
        if (rule.action === 'Allow' || rule.action === 'Deny') return { decided: rule.action, policy, rule: `${section}[${index}]` };
        if (rule.action === 'Pass') continue tiers;
      }
    }
    if (endOfTierDenies && !tierPass.has(tier)) return { endOfTier: inTier, tier };
  }
  return { noMatch: true };
}

function failsafe(flow: HostFlow): boolean {
  const list = flow.direction === 'Ingress' ? FAILSAFE_INBOUND : FAILSAFE_OUTBOUND;
  return list.includes(`${flow.protocol}:${flow.port}`);
}

/** What Calico's host-endpoint policy does to one flow through one host endpoint. */
export function judgeHostFlow(flow: HostFlow, ctx: HostPolicyContext): HostFlowVerdict {
  const hep = flow.hostEndpoint.name;
  const what = `${flow.protocol} ${flow.port}`;
  if (flow.path === 'local' && failsafe(flow)) {
    return { outcome: 'allowed', reason: `${what} is one of Felix's default failsafe ports, open through HostEndpoint ${hep} whatever the policy (FelixConfiguration not read)` };
  }
  const selected = selectingPolicies(flow, ctx.systems);
  if ('unknown' in selected) return { outcome: 'unknown', reason: selected.unknown };
  const untracked = selected.filter((p) => p.doNotTrack);
  if (untracked.length)
    return {
      outcome: 'unknown',
      reason: `unknown, because untracked (doNotTrack) policy ${untracked.map((p) => p.name).join(', ')} selects HostEndpoint ${hep}, which netcheck does not evaluate`,
    };

  let preAllowed: CalicoPolicyFact | undefined;
  if (flow.direction === 'Ingress') {
    const pre = selected.filter((p) => p.preDNAT);
    const original = flow.original ?? { destination: flow.destination, port: flow.port };
    const result = walk(pre, flow, original.destination, original.port, false, ctx);
    if ('unknown' in result) return { outcome: 'unknown', reason: result.unknown };
    if ('decided' in result) {
      const policy = hit(result.policy, result.rule);
      if (result.decided === 'Deny')
        return {
          outcome: 'denied',
          policy,
          reason: `pre-DNAT policy ${result.policy.name} (${result.rule}) denies ${flow.source.description} → ${original.port} through HostEndpoint ${hep} on ${flow.node}`,
        };
      if (flow.path === 'local') return { outcome: 'allowed', policy, reason: `pre-DNAT policy ${result.policy.name} (${result.rule}) allows it through HostEndpoint ${hep}` };
      preAllowed = result.policy;
    }
  }

  const normal = selected.filter((p) => !p.preDNAT && !p.doNotTrack && (flow.path === 'local' || p.applyOnForward));
  if (normal.length === 0 && flow.path === 'forward') {
    return {
      outcome: 'allowed',
      reason: `no applyOnForward policy selects HostEndpoint ${hep} for ${flow.direction.toLowerCase()}, so Calico lets forwarded traffic through${preAllowed ? ` (and pre-DNAT policy ${preAllowed.name} allows it)` : ''}`,
    };
  }
  if (normal.length === 0) return byProfiles(flow, `no GlobalNetworkPolicy selecting HostEndpoint ${hep} has ${flow.direction.toLowerCase()} rules`);
  const result = walk(normal, flow, flow.destination, flow.port, true, ctx);
  if ('unknown' in result) return { outcome: 'unknown', reason: result.unknown };
  if ('decided' in result) {
    const policy = hit(result.policy, result.rule);
    return result.decided === 'Allow'
      ? { outcome: 'allowed', policy, reason: `${result.policy.name} (${result.rule}) allows it through HostEndpoint ${hep}` }
      : { outcome: 'denied', policy, reason: `${result.policy.name} (${result.rule}) denies ${what} through HostEndpoint ${hep} on ${flow.node}` };
  }
  if ('endOfTier' in result) {
    const names = result.endOfTier.map((p) => p.name).join(', ');
    return {
      outcome: 'denied',
      endOfTier: result.endOfTier.map((p) => hit(p)),
      reason: `${names} ${result.endOfTier.length === 1 ? 'selects' : 'select'} HostEndpoint ${hep}${flow.path === 'forward' ? ' for forwarded traffic (applyOnForward)' : ''} in tier ${result.tier} and no rule allows ${what}, so the end of the tier denies it`,
    };
  }
  return byProfiles(flow, `every tier selecting HostEndpoint ${hep} passes ${what} on`);
}

/** Calico's automatic host endpoints carry projectcalico-default-allow: with no policy deciding, the profile allows. */
const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';

/** No policy decided: the host endpoint's profiles do, and without any, Calico's default denies. */
function byProfiles(flow: HostFlow, why: string): HostFlowVerdict {
  const hep = flow.hostEndpoint;
  const what = `${flow.protocol} ${flow.port}`;
  const profiles = hep.profiles ?? [];
  if (profiles.includes(DEFAULT_ALLOW_PROFILE)) return { outcome: 'allowed', reason: `${why}; its profile ${DEFAULT_ALLOW_PROFILE} allows the rest` };
  if (profiles.length) return { outcome: 'unknown', reason: `unknown, because ${why} and its profiles (${profiles.join(', ')}) decide, which netcheck does not read` };
  return {
    outcome: 'denied',
    noPolicy: true,
    reason:
      `HostEndpoint ${hep.name} puts ${flow.node}'s ${hep.interfaceName === '*' ? 'interfaces' : `interface ${hep.interfaceName ?? '(by expectedIPs)'}`} under Calico policy, ${why}, and it has no profile: ` +
      `Calico's default for a host endpoint denies ${what} ${flow.direction === 'Ingress' ? 'to' : 'from'} the host`,
  };
}
