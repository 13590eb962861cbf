import type { AdminPolicyFact, CalicoPolicyFact, CiliumPolicyFact, Facts, PolicySystemsFact } from '../../../model/index.js';
import type { Connection, Direction } from '../netpol.js';
import { fromAdminPolicy, isBaseline } from './admin.js';
import { fromCalicoPolicy } from './calico.js';
import { fromCiliumPolicy } from './cilium.js';
import { fromNetworkPolicy } from './kubernetes.js';
import {
  isPodEnd,
  otherEnd,
  policyContext,
  policyLabel,
  portText,
  ruleLabel,
  type CommonPolicy,
  type CommonRule,
  type Match,
  type PodEnd,
  type PolicyContext,
  type PolicyRef,
} from './types.js';

// One evaluator for every policy system, in the precedence the cluster enforces:
//   1. AdminNetworkPolicy, lowest priority number first: the first matching rule's Allow or Deny
//      is final; Pass skips the remaining admin policies.
//   2. The namespace level. With Calico: tiers by order, policies by order within a tier
//      (NetworkPolicies in tier default at order 1000); the first matching Allow/Deny decides,
//      Log goes on, Pass jumps to the next tier, and a tier whose policies select the pod but
//      decide nothing denies. With Cilium (and plain NetworkPolicy): any matching deny wins, then
//      any matching allow; a pod selected for a direction and admitted by nothing is denied.
//      Without Calico or Cilium policies, NetworkPolicy alone.
//   3. BaselineAdminNetworkPolicy, for what no earlier stage decided; then the default: allowed.
// Calico (3.30+) enforces the admin policies itself, as two tiers of its own (adminnetworkpolicy
// at order 1,000, baselineadminnetworkpolicy at 10,000,000, both ending in Pass; kube-admin and
// kube-baseline in later releases): where its tiers say so, they are ordered among the other
// tiers, and a Calico tier ordered before 1,000 decides before any AdminNetworkPolicy.
// A rule netcheck cannot judge (a field it does not evaluate) that could decide makes the
// direction unknown, never allowed.

export type Stage = 'admin' | 'namespace' | 'baseline' | 'none';

export interface Decision {
  policy: PolicyRef;
  /** The rule that decided; absent when the pod is isolated (or a Calico tier ended) and no rule admits. */
  rule?: CommonRule;
  placement?: string;
  /** Which of the three stages the deciding policy belongs to. */
  stage: CommonPolicy['stage'];
}

export interface DirectionVerdict {
  direction: Direction;
  /** null = unknown (see `unknown`). */
  allowed: boolean | null;
  stage: Stage;
  /** The rule that decided, or the policies that isolate the pod when nothing admits; empty when no policy applies. */
  decidedBy: Decision[];
  /** One sentence: what decided and why. */
  reason: string;
  /** What every applicable policy did, in evaluation order. */
  trace: string[];
  unknown?: string;
}

export interface ConnectionVerdict {
  /** null = unknown. */
  allowed: boolean | null;
  /** At the destination; null when it is not a pod. */
  ingress: DirectionVerdict | null;
  /** At the source; null when it is not a pod. */
  egress: DirectionVerdict | null;
}

export interface CompiledPolicies {
  admin: CommonPolicy[];
  baseline: CommonPolicy[];
  kubernetes: CommonPolicy[];
  calico: CommonPolicy[];
  cilium: CommonPolicy[];
  tiers: Map<string, { order?: number; defaultAction?: 'Deny' | 'Pass' }>;
  /** Calico's own tiers for the admin policies, when its tiers list them: the policies are then evaluated in them. */
  calicoAdminTiers: { admin?: string; baseline?: string };
  /** The admin, Calico, Cilium and baseline policies that may apply to a pod (by their hints), in that order. */
  beyond: PolicyIndex;
  ctx: PolicyContext;
}

export interface PolicyIndex {
  candidates(pod: PodEnd): CommonPolicy[];
}

/**
 * Policies by the namespace and label their hint names, so a pod meets only those that could
 * select it. A hint naming both files the policy under the pair: a cluster-wide policy for one
 * namespace's app is then weighed only for that namespace's pods carrying that label.
 */
function indexPolicies(policies: CommonPolicy[]): PolicyIndex {
  if (policies.length === 0) return NO_POLICIES;
  const always: number[] = [];
  const byNamespace = new Map<string, number[]>();
  const byLabel = new Map<string, Map<string, number[]>>();
  const byNamespaceLabel = new Map<string, Map<string, Map<string, number[]>>>();
  const add = <K>(map: Map<K, number[]>, key: K, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  const labelMap = <K>(map: Map<K, Map<string, Map<string, number[]>>>, key: K) => {
    let labels = map.get(key);
    if (!labels) map.set(key, (labels = new Map()));
    return labels;
  };
  policies.forEach((p, i) => {
    const label = p.hint?.label;
    const namespace = p.hint?.namespace;
    if (label) {
      const byKey = namespace !== undefined ? labelMap(byNamespaceLabel, namespace) : byLabel;
      let values = byKey.get(label.key);
      if (!values) byKey.set(label.key, (values = new Map()));
      add(values, label.value, i);
    } else if (namespace !== undefined) add(byNamespace, namespace, i);
    else always.push(i);
  });
  return {
    candidates(pod) {
      const ids = [...always, ...(byNamespace.get(pod.namespace) ?? [])];
      const inNamespace = byNamespaceLabel.get(pod.namespace);
      for (const key in pod.labels) {
        const value = pod.labels[key] as string;
        const found = byLabel.get(key)?.get(value);
        if (found) ids.push(...found);
        const foundHere = inNamespace?.get(key)?.get(value);
        if (foundHere) ids.push(...foundHere);
      }
      if (ids.length === 0) return NONE;
      return ids.sort((a, b) => a - b).map((i) => policies[i] as CommonPolicy);
    },
  };
}

const NONE: CommonPolicy[] = [];
const NO_POLICIES: PolicyIndex = { candidates: () => NONE };

/** The indexes one after another: each list's candidates in its own order, the lists in theirs. */
function chained(indexes: PolicyIndex[]): PolicyIndex {
  const parts = indexes.filter((i) => i !== NO_POLICIES);
  if (parts.length <= 1) return parts[0] ?? NO_POLICIES;
  return {
    candidates(pod) {
      const out: CommonPolicy[] = [];
      for (const part of parts) for (const p of part.candidates(pod)) out.push(p);
      return out;
    },
  };
}

/** Calico's own default-tier order (the tier every policy without one, and every NetworkPolicy, is in). */
const DEFAULT_TIER_ORDER = 1_000_000;

function byOrderThenName(a: { order?: number; name: string }, b: { order?: number; name: string }): number {
  const ao = a.order ?? Number.POSITIVE_INFINITY;
  const bo = b.order ?? Number.POSITIVE_INFINITY;
  if (ao !== bo) return ao < bo ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

type Extended = Pick<CompiledPolicies, 'admin' | 'baseline' | 'calico' | 'cilium' | 'tiers' | 'calicoAdminTiers' | 'beyond'> & {
  /** `beyond` in its parts (Calico, Cilium), for a namespace's set to put its own policies before. */
  calicoIndex: PolicyIndex;
  ciliumIndex: PolicyIndex;
  adminIndex: PolicyIndex;
  baselineIndex: PolicyIndex;
};

const extendedCache = new WeakMap<object, Extended>();
const translations = new WeakMap<object, CommonPolicy | CommonPolicy[]>();

/** Each policy fact translated once: a sweep's namespaces share the cluster-wide ones. */
function translated<F extends object, T extends CommonPolicy | CommonPolicy[]>(fact: F, translate: (fact: F) => T): T {
  let out = translations.get(fact) as T | undefined;
  if (!out) translations.set(fact, (out = translate(fact)));
  return out;
}
const kubernetesCache = new WeakMap<object, CommonPolicy[]>();
const NO_SYSTEMS = {};

/** How a namespace's policy systems were made from the cluster-wide ones (withNamespacedPolicies). */
interface Derivation {
  clusterWide: PolicySystemsFact;
  calico: CalicoPolicyFact[];
  cilium: CiliumPolicyFact[];
}
const derivations = new WeakMap<PolicySystemsFact, Derivation>();

/**
 * One namespace's policy systems for a sweep: its own Calico and Cilium policies, then every
 * cluster-wide one. The same facts a gather of that namespace would hold, but compiled from the
 * cluster-wide set, which is translated and indexed once per sweep rather than once per namespace.
 */
export function withNamespacedPolicies(clusterWide: PolicySystemsFact, own: { calico: CalicoPolicyFact[]; cilium: CiliumPolicyFact[] }): PolicySystemsFact {
  const systems = { ...clusterWide, calico: [...own.calico, ...clusterWide.calico], cilium: [...own.cilium, ...clusterWide.cilium] };
  derivations.set(systems, { clusterWide, calico: own.calico, cilium: own.cilium });
  return systems;
}

function extended(parts: Omit<Extended, 'beyond'>): Extended {
  return { ...parts, beyond: chained([parts.adminIndex, parts.calicoIndex, parts.ciliumIndex, parts.baselineIndex]) };
}

/** The Calico, Cilium and admin policies, translated once per policySystems object (a sweep shares it between services). */
function compileExtended(systems: Facts['policySystems']): Extended {
  const cached = extendedCache.get(systems ?? NO_SYSTEMS);
  if (cached) return cached;
  const derived = systems && derivations.get(systems);
  let result: Extended;
  if (derived) {
    const base = compileExtended(derived.clusterWide);
    const calico = derived.calico.map((p) => translated(p, fromCalicoPolicy));
    const cilium = derived.cilium.flatMap((p) => translated(p, fromCiliumPolicy));
    result = extended({
      ...base,
      calico: [...calico, ...base.calico],
      cilium: [...cilium, ...base.cilium],
      calicoIndex: chained([indexPolicies(calico), base.calicoIndex]),
      ciliumIndex: chained([indexPolicies(cilium), base.ciliumIndex]),
    });
  } else {
    // Same priority: the API leaves the order undefined; netcheck takes the name order.
    const byPriority = (a: AdminPolicyFact, b: AdminPolicyFact) => byOrderThenName({ order: a.priority, name: a.name }, { order: b.priority, name: b.name });
    const admin = (systems?.admin ?? []).filter((p) => !isBaseline(p)).sort(byPriority);
    const baseline = (systems?.admin ?? []).filter(isBaseline).sort(byPriority);
    const tiers = new Map<string, { order?: number; defaultAction?: 'Deny' | 'Pass' }>([['default', { order: DEFAULT_TIER_ORDER }]]);
    for (const t of systems?.calicoTiers ?? [])
      tiers.set(t.name, { ...(t.order !== undefined ? { order: t.order } : {}), ...(t.defaultAction ? { defaultAction: t.defaultAction } : {}) });
    const calicoAdminTiers = { admin: passTier(tiers, CALICO_ADMIN_TIERS), baseline: passTier(tiers, CALICO_BASELINE_TIERS) };
    const compiled = {
      admin: admin.map((p) => translated(p, fromAdminPolicy)),
      baseline: baseline.map((p) => translated(p, fromAdminPolicy)),
      calico: (systems?.calico ?? []).map((p) => translated(p, fromCalicoPolicy)),
      cilium: (systems?.cilium ?? []).flatMap((p) => translated(p, fromCiliumPolicy)),
    };
    result = extended({
      ...compiled,
      tiers,
      calicoAdminTiers,
      adminIndex: indexPolicies(compiled.admin),
      calicoIndex: indexPolicies(compiled.calico),
      ciliumIndex: indexPolicies(compiled.cilium),
      baselineIndex: indexPolicies(compiled.baseline),
    });
  }
  extendedCache.set(systems ?? NO_SYSTEMS, result);
  return result;
}

/** Calico's tiers for AdminNetworkPolicies and the BaselineAdminNetworkPolicy, newest name first. */
const CALICO_ADMIN_TIERS = ['kube-admin', 'adminnetworkpolicy'];
const CALICO_BASELINE_TIERS = ['kube-baseline', 'baselineadminnetworkpolicy'];
/** Within its tier Calico orders the BaselineAdminNetworkPolicy (which has no priority) as if it had this order. */
const CALICO_BASELINE_ORDER = 1000;

/** The first of `names` among the tiers; Calico fixes its default action to Pass whatever the object says. */
function passTier(tiers: CompiledPolicies['tiers'], names: string[]): string | undefined {
  const name = names.find((n) => tiers.has(n));
  if (name !== undefined) tiers.set(name, { ...tiers.get(name), defaultAction: 'Pass' });
  return name;
}

/** An admin policy placed in Calico's tier for it: its priority is its order there; the BANP, which has none, sits at Calico's fixed order. */
function inCalicoTier(policy: CommonPolicy, tier: string): CommonPolicy {
  const order = policy.priority ?? (policy.stage === 'baseline' ? CALICO_BASELINE_ORDER : undefined);
  const within = policy.priority !== undefined ? `priority ${policy.priority}` : `order ${order ?? 'none'}`;
  return { ...policy, tier, ...(order !== undefined ? { order } : {}), placement: `tier ${tier}, ${within}` };
}

const calicoPlaced = new WeakMap<CompiledPolicies, CommonPolicy[]>();

/** Every policy Calico evaluates in its tiers when it enforces the admin policies itself; undefined when it does not (or has no policies of its own). */
function calicoTiered(set: CompiledPolicies): CommonPolicy[] | undefined {
  const { admin, baseline } = set.calicoAdminTiers;
  // Cilium policies beside Calico's are no setup Calico enforces: those keep the staged evaluation.
  if (admin === undefined || set.calico.length === 0 || set.cilium.length > 0) return undefined;
  let placed = calicoPlaced.get(set);
  if (!placed) {
    placed = [
      ...set.admin.map((p) => inCalicoTier(p, admin)),
      ...set.calico,
      ...set.kubernetes,
      ...(baseline !== undefined ? set.baseline.map((p) => inCalicoTier(p, baseline)) : []),
    ];
    calicoPlaced.set(set, placed);
  }
  return placed;
}

export function compilePolicies(facts: Pick<Facts, 'networkPolicies' | 'policySystems' | 'namespaces' | 'nodes' | 'pods'>): CompiledPolicies {
  let kubernetes = kubernetesCache.get(facts.networkPolicies);
  if (!kubernetes) kubernetesCache.set(facts.networkPolicies, (kubernetes = facts.networkPolicies.map(fromNetworkPolicy)));
  return { ...compileExtended(facts.policySystems), kubernetes, ctx: policyContext(facts.namespaces, facts.nodes, facts.pods) };
}

type StageResult = { kind: 'allow' | 'deny'; decidedBy: Decision[]; reason: string } | { kind: 'pass' | 'none' } | { kind: 'unknown'; reason: string };

interface Walk {
  pod: PodEnd;
  direction: Direction;
  connection: Connection;
  ctx: PolicyContext;
  trace: string[];
}

function decision(policy: CommonPolicy, rule?: CommonRule): Decision {
  return { policy: policy.ref, ...(rule ? { rule } : {}), ...(policy.placement ? { placement: policy.placement } : {}), stage: policy.stage };
}

function wanted(walk: Walk): string {
  return `${otherEnd(walk.connection, walk.direction).description} on ${portText(walk.connection.port, walk.connection.protocol)}`;
}

function ruleReason(walk: Walk, policy: CommonPolicy, rule: CommonRule): string {
  const verb = rule.action === 'Allow' ? 'admits' : 'denies';
  const placement = policy.placement ? ` (${policy.placement})` : '';
  return `${policyLabel(policy.ref)}${placement} ${ruleLabel(rule)} (${rule.text}) ${verb} ${wanted(walk)}`;
}

function unknownReason(policy: CommonPolicy, rule: CommonRule | undefined, match: Exclude<Match, boolean>): string {
  return `${policyLabel(policy.ref)}${rule ? ` ${ruleLabel(rule)}` : ''} may decide, but ${match.unknown}`;
}

function applicable(policies: CommonPolicy[], walk: Walk): CommonPolicy[] | { unknown: string } {
  const out: CommonPolicy[] = [];
  for (const p of policies) {
    const m = p.appliesTo(walk.pod, walk.direction, walk.ctx);
    if (m === true) out.push(p);
    else if (m !== false) return { unknown: unknownReason(p, undefined, m) };
  }
  return out;
}

function record(walk: Walk, policy: CommonPolicy, rule: CommonRule, m: Match): void {
  const outcome = m === true ? 'matches' : m === false ? 'does not match' : `unknown (${m.unknown})`;
  walk.trace.push(`${walk.direction} ${policyLabel(policy.ref)}${policy.placement ? ` (${policy.placement})` : ''} ${ruleLabel(rule)} ${rule.text}: ${outcome}`);
}

/** Ordered rules, first match decides (admin policies, the baseline). */
function orderedStage(policies: CommonPolicy[], walk: Walk, allowPass: boolean): StageResult {
  const selecting = applicable(policies, walk);
  if (!Array.isArray(selecting)) return { kind: 'unknown', reason: selecting.unknown };
  for (const policy of selecting) {
    for (const rule of policy.rules[walk.direction]) {
      const m = rule.matches(walk.connection, walk.ctx);
      record(walk, policy, rule, m);
      if (m === false) continue;
      if (m !== true) return { kind: 'unknown', reason: unknownReason(policy, rule, m) };
      if (rule.action === 'Pass' && allowPass) return { kind: 'pass' };
      if (rule.action === 'Allow' || rule.action === 'Deny')
        return { kind: rule.action === 'Allow' ? 'allow' : 'deny', decidedBy: [decision(policy, rule)], reason: ruleReason(walk, policy, rule) };
    }
  }
  return { kind: 'none' };
}

function names(policies: CommonPolicy[]): string {
  return [...new Set(policies.map((p) => policyLabel(p.ref)))].join(', ');
}

/** Calico: tiers in order, policies in order, first Allow/Deny; Pass to the next tier; end of tier denies. */
function calicoStage(policies: CommonPolicy[], walk: Walk, tiers: CompiledPolicies['tiers']): StageResult {
  const selecting = applicable(policies, walk);
  if (!Array.isArray(selecting)) return { kind: 'unknown', reason: selecting.unknown };
  const byTier = new Map<string, CommonPolicy[]>();
  for (const p of selecting) {
    const tier = p.tier ?? 'default';
    const list = byTier.get(tier);
    if (list) list.push(p);
    else byTier.set(tier, [p]);
  }
  const tierNames = [...byTier.keys()].sort((a, b) => byOrderThenName({ order: tiers.get(a)?.order, name: a }, { order: tiers.get(b)?.order, name: b }));
  tiersLoop: for (const tier of tierNames) {
    const inTier = (byTier.get(tier) ?? []).sort((a, b) => byOrderThenName({ order: a.order, name: a.ref.name }, { order: b.order, name: b.ref.name }));
    for (const policy of inTier) {
      for (const rule of policy.rules[walk.direction]) {
        const m = rule.matches(walk.connection, walk.ctx);
        record(walk, policy, rule, m);
        if (m === false || (m === true && rule.action === 'Log')) continue;
        if (m !== true) return { kind: 'unknown', reason: unknownReason(policy, rule, m) };
        if (rule.action === 'Pass') continue tiersLoop;
        return { kind: rule.action === 'Allow' ? 'allow' : 'deny', decidedBy: [decision(policy, rule)], reason: ruleReason(walk, policy, rule) };
      }
    }
    if (tiers.get(tier)?.defaultAction === 'Pass') continue;
    return {
      kind: 'deny',
      decidedBy: inTier.map((p) => decision(p)),
      reason: `${names(inTier)} ${inTier.length === 1 ? 'selects' : 'select'} ${walk.pod.description} in Calico tier ${tier} and no rule matches ${wanted(walk)}, so the end of the tier denies it`,
    };
  }
  return { kind: 'none' };
}

/** NetworkPolicy and Cilium: deny rules win, then any allow; isolated and unadmitted = denied. */
function additiveStage(policies: CommonPolicy[], walk: Walk): StageResult {
  const selecting = applicable(policies, walk);
  if (!Array.isArray(selecting)) return { kind: 'unknown', reason: selecting.unknown };
  if (selecting.length === 0) return { kind: 'none' };
  let unknownDeny: string | undefined;
  let unknownAllow: string | undefined;
  let allowed: StageResult | undefined;
  for (const policy of selecting) {
    for (const rule of policy.rules[walk.direction]) {
      if (rule.action !== 'Deny') continue;
      const m = rule.matches(walk.connection, walk.ctx);
      record(walk, policy, rule, m);
      if (m === true) return { kind: 'deny', decidedBy: [decision(policy, rule)], reason: ruleReason(walk, policy, rule) };
      if (m !== false) unknownDeny ??= unknownReason(policy, rule, m);
    }
  }
  if (unknownDeny) return { kind: 'unknown', reason: unknownDeny };
  for (const policy of selecting) {
    for (const rule of policy.rules[walk.direction]) {
      if (rule.action !== 'Allow') continue;
      const m = rule.matches(walk.connection, walk.ctx);
      record(walk, policy, rule, m);
      if (m === true) allowed ??= { kind: 'allow', decidedBy: [decision(policy, rule)], reason: ruleReason(walk, policy, rule) };
      else if (m !== false) unknownAllow ??= unknownReason(policy, rule, m);
    }
  }
  if (allowed) return allowed;
  const isolating = selecting.filter((p) => p.isolates(walk.direction));
  if (isolating.length === 0) return { kind: 'none' };
  if (unknownAllow) return { kind: 'unknown', reason: unknownAllow };
  const kinds = [...new Set(isolating.map((p) => p.ref.kind))];
  return {
    kind: 'deny',
    decidedBy: isolating.map((p) => decision(p)),
    reason: `${names(isolating)} ${isolating.length === 1 ? 'selects' : 'select'} ${walk.pod.description} for ${walk.direction.toLowerCase()} and no ${kinds.length === 1 ? kinds[0] : 'policy'} rule admits ${wanted(walk)}`,
  };
}

function namespaceStage(set: CompiledPolicies, walk: Walk): StageResult {
  const results: StageResult[] = [];
  if (set.calico.length) results.push(calicoStage([...set.calico, ...set.kubernetes], walk, set.tiers));
  if (set.cilium.length) results.push(additiveStage([...set.cilium, ...set.kubernetes], walk));
  if (!set.calico.length && !set.cilium.length) results.push(additiveStage(set.kubernetes, walk));
  return results.find((r) => r.kind === 'deny') ?? results.find((r) => r.kind === 'unknown') ?? results.find((r) => r.kind === 'allow') ?? { kind: 'none' };
}

function verdict(walk: Walk, stage: Stage, result: StageResult): DirectionVerdict {
  const base = { direction: walk.direction, stage, trace: walk.trace };
  if (result.kind === 'unknown') return { ...base, allowed: null, decidedBy: [], reason: `unknown, because ${result.reason}`, unknown: result.reason };
  if (result.kind === 'allow' || result.kind === 'deny') return { ...base, allowed: result.kind === 'allow', decidedBy: result.decidedBy, reason: result.reason };
  return { ...base, stage: 'none', allowed: true, decidedBy: [], reason: `no policy decides ${walk.direction.toLowerCase()} for ${walk.pod.description}` };
}

export function decideDirection(set: CompiledPolicies, pod: PodEnd, direction: Direction, connection: Connection): DirectionVerdict {
  const walk: Walk = { pod, direction, connection, ctx: set.ctx, trace: [] };
  const tiered = calicoTiered(set);
  if (tiered) {
    const result = calicoStage(tiered, walk, set.tiers);
    const stage = result.kind === 'allow' || result.kind === 'deny' ? stageOf(result.decidedBy) : 'namespace';
    if (result.kind !== 'none' && result.kind !== 'pass') return verdict(walk, stage, result);
    // Calico evaluated the admin policies it knows the tiers of; a baseline without its tier comes after.
    const baseline = set.calicoAdminTiers.baseline !== undefined ? ({ kind: 'none' } as const) : orderedStage(set.baseline, walk, true);
    return verdict(walk, baseline.kind === 'none' ? 'none' : 'baseline', baseline);
  }
  const admin = orderedStage(set.admin, walk, true);
  if (admin.kind !== 'none' && admin.kind !== 'pass') return verdict(walk, 'admin', admin);
  const namespace = namespaceStage(set, walk);
  if (namespace.kind !== 'none' && namespace.kind !== 'pass') return verdict(walk, 'namespace', namespace);
  // A Baseline ClusterNetworkPolicy's Pass ends its tier: the default (allowed) then applies.
  const baseline = orderedStage(set.baseline, walk, true);
  return verdict(walk, baseline.kind === 'none' ? 'none' : 'baseline', baseline);
}

/** Which stage a decision belongs to, when Calico evaluated every stage in its tiers. */
function stageOf(decidedBy: Decision[]): Stage {
  return decidedBy[0]?.stage ?? 'namespace';
}

/** Would the policies let this connection through? The source's egress and the destination's ingress must both. */
export function decideConnection(set: CompiledPolicies, connection: Connection): ConnectionVerdict {
  const ingress = isPodEnd(connection.destination) ? decideDirection(set, connection.destination, 'Ingress', connection) : null;
  const egress = isPodEnd(connection.source) ? decideDirection(set, connection.source, 'Egress', connection) : null;
  const sides = [ingress, egress].filter((v): v is DirectionVerdict => v !== null);
  const allowed = sides.some((v) => v.allowed === false) ? false : sides.some((v) => v.allowed === null) ? null : true;
  return { allowed, ingress, egress };
}

/** Are there policies beyond NetworkPolicy to weigh? Without them the NetworkPolicy texts stay as they were. */
export function hasPolicySystems(set: Pick<CompiledPolicies, 'admin' | 'baseline' | 'calico' | 'cilium'>): boolean {
  return set.admin.length + set.baseline.length + set.calico.length + set.cilium.length > 0;
}

const compiled = new WeakMap<object, CompiledPolicies>();

/**
 * The Calico, Cilium and admin policies alone (no NetworkPolicies, no context), shared by every
 * facts object holding the same policySystems: a sweep asks this of 10k services, which need the
 * per-service context (compilePolicies) only when some policy could apply.
 */
export function policySystemsOf(facts: Pick<Facts, 'policySystems'>): Pick<CompiledPolicies, 'admin' | 'baseline' | 'calico' | 'cilium' | 'beyond'> {
  return compileExtended(facts.policySystems);
}

/** compilePolicies, once per facts object (a check run and its texts share it). */
export function policiesOf(facts: Pick<Facts, 'networkPolicies' | 'policySystems' | 'namespaces' | 'nodes' | 'pods'>): CompiledPolicies {
  let set = compiled.get(facts);
  if (!set) compiled.set(facts, (set = compilePolicies(facts)));
  return set;
}
