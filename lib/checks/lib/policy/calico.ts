import { isIP } from 'node:net';
import { ipInCidr, type CalicoEntityFact, type CalicoPolicyFact, type CalicoRuleFact, type Labels } from '../../../model/index.js';
import type { Connection, Direction, Endpoint } from '../netpol.js';
import { calicoSelector, CalicoSelectorError, calicoSelectorKeys, requiredLabels } from './calico-selector.js';
import { allOf, isPodEnd, type CommonPolicy, type CommonRule, type Match, type PodEnd, type PolicyContext } from './types.js';

// Calico NetworkPolicy and GlobalNetworkPolicy in the common form. Rules carry their own action
// (Allow, Deny, Pass, Log) and match source and destination entities regardless of direction;
// the evaluator orders them by tier and order. Calico adds labels of its own that selectors may
// use: projectcalico.org/namespace (and /orchestrator) on endpoints, projectcalico.org/name on
// namespaces.

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'TCP', '17': 'UDP', '132': 'SCTP', '1': 'ICMP', '58': 'ICMPV6' };

function protocolName(p: string | number): string {
  const text = String(p).toUpperCase();
  return PROTOCOL_NUMBERS[text] ?? text;
}

function podLabels(end: Endpoint & { namespace: string; labels: Labels }, ctx: PolicyContext): Labels {
  return ctx.labelsFor('calico', end, () => ({ ...end.labels, 'projectcalico.org/namespace': end.namespace, 'projectcalico.org/orchestrator': 'k8s' }));
}

function namespaceLabels(ctx: PolicyContext, name: string): Labels {
  return { ...ctx.namespaceLabels(name), 'projectcalico.org/name': name };
}

/** A selector that does not parse matches nothing netcheck can vouch for: unknown. */
export function calicoSelects(text: string | undefined, labels: Labels): Match {
  try {
    return calicoSelector(text)(labels);
  } catch (e) {
    if (e instanceof CalicoSelectorError) return { unknown: e.message };
    throw e;
  }
}

/** The label Calico gives every service account its name under; their other labels netcheck does not read. */
const SERVICE_ACCOUNT_NAME = 'projectcalico.org/name';

function unknownServiceAccount(end: PodEnd): Match {
  return { unknown: `the service account of ${end.description} is not known` };
}

/** A selector over service accounts (serviceAccountSelector, serviceAccounts.selector): decidable on the account's name alone. */
function serviceAccountSelects(selector: string, end: PodEnd): Match {
  let keys: ReadonlySet<string>;
  try {
    keys = calicoSelectorKeys(selector);
  } catch (e) {
    if (e instanceof CalicoSelectorError) return { unknown: e.message };
    throw e;
  }
  if ([...keys].some((k) => k !== SERVICE_ACCOUNT_NAME)) return { unknown: `its service account selector "${selector}" reads the accounts' labels, which netcheck does not read` };
  if (keys.size === 0) return calicoSelects(selector, {});
  if (end.serviceAccount === undefined) return unknownServiceAccount(end);
  return calicoSelects(selector, { [SERVICE_ACCOUNT_NAME]: end.serviceAccount });
}

function serviceAccountsMatch(accounts: NonNullable<CalicoEntityFact['serviceAccounts']>, end: PodEnd): Match {
  const checks: Match[] = [];
  if (accounts.names?.length) checks.push(end.serviceAccount === undefined ? unknownServiceAccount(end) : accounts.names.includes(end.serviceAccount));
  if (accounts.selector !== undefined) checks.push(serviceAccountSelects(accounts.selector, end));
  return allOf(checks);
}

function portMatches(ports: (number | string)[], connection: Connection): Match {
  return ports.some((p) => {
    if (typeof p === 'number') return connection.port === p;
    const range = /^(\d+):(\d+)$/.exec(p);
    if (range) return connection.port >= Number(range[1]) && connection.port <= Number(range[2]);
    if (/^\d+$/.test(p)) return connection.port === Number(p);
    return (connection.destination.containerPorts ?? []).some((c) => c.name === p && c.containerPort === connection.port && c.protocol === connection.protocol);
  });
}

/** Does the entity (source or destination of a rule) match `end`? `isDestination` adds the port. */
function entityMatches(policy: CalicoPolicyFact, entity: CalicoEntityFact | undefined, end: Endpoint, connection: Connection, isDestination: boolean, ctx: PolicyContext): Match {
  if (!entity) return true;
  if (entity.unsupported?.length) return { unknown: `its ${entity.unsupported.join(', ')} ${entity.unsupported.length === 1 ? 'is' : 'are'} not evaluated by netcheck` };
  const checks: Match[] = [];
  if (entity.nets?.length) checks.push(end.ip !== undefined && entity.nets.some((n) => ipInCidr(end.ip as string, n)));
  if (entity.notNets?.length) checks.push(end.ip === undefined || !entity.notNets.some((n) => ipInCidr(end.ip as string, n)));
  if (entity.selector !== undefined || entity.namespaceSelector !== undefined || entity.serviceAccounts !== undefined) {
    if (!isPodEnd(end)) checks.push(false);
    else {
      if (entity.namespaceSelector !== undefined) checks.push(calicoSelects(entity.namespaceSelector, namespaceLabels(ctx, end.namespace)));
      // A namespaced policy's selectors stay in its namespace unless a namespaceSelector widens them.
      else if (policy.namespace !== undefined) checks.push(end.namespace === policy.namespace);
      if (entity.selector !== undefined) checks.push(calicoSelects(entity.selector, podLabels(end, ctx)));
      if (entity.serviceAccounts !== undefined) checks.push(serviceAccountsMatch(entity.serviceAccounts, end));
    }
  }
  if (entity.notSelector !== undefined && isPodEnd(end)) {
    const m = calicoSelects(entity.notSelector, podLabels(end, ctx));
    checks.push(typeof m === 'boolean' ? !m : m);
  }
  if (isDestination) {
    if (entity.ports?.length) checks.push(portMatches(entity.ports, connection));
    if (entity.notPorts?.length) {
      const m = portMatches(entity.notPorts, connection);
      checks.push(typeof m === 'boolean' ? !m : m);
    }
  } else if (entity.ports?.length || entity.notPorts?.length) {
    checks.push({ unknown: 'it matches source ports, which are ephemeral' });
  }
  return allOf(checks);
}

function describeEntity(entity: CalicoEntityFact | undefined): string {
  if (!entity) return 'any';
  const parts: string[] = [];
  if (entity.selector !== undefined) parts.push(`selector ${entity.selector || 'all()'}`);
  if (entity.namespaceSelector !== undefined) parts.push(`namespaceSelector ${entity.namespaceSelector || 'all()'}`);
  if (entity.notSelector !== undefined) parts.push(`notSelector ${entity.notSelector}`);
  if (entity.nets?.length) parts.push(`nets ${entity.nets.join(',')}`);
  if (entity.notNets?.length) parts.push(`notNets ${entity.notNets.join(',')}`);
  if (entity.ports?.length) parts.push(`ports ${entity.ports.join(',')}`);
  if (entity.notPorts?.length) parts.push(`notPorts ${entity.notPorts.join(',')}`);
  if (entity.serviceAccounts?.names?.length) parts.push(`serviceAccounts ${entity.serviceAccounts.names.join(',')}`);
  if (entity.serviceAccounts?.selector !== undefined) parts.push(`serviceAccounts selector ${entity.serviceAccounts.selector || 'all()'}`);
  return parts.length ? parts.join(' ') : 'any';
}

function toRule(policy: CalicoPolicyFact, rule: CalicoRuleFact, index: number, direction: Direction): CommonRule {
  const protocol = `${rule.protocol !== undefined ? ` ${protocolName(rule.protocol)}` : ''}${rule.ipVersion !== undefined ? ` IPv${rule.ipVersion}` : ''}`;
  return {
    direction,
    index,
    section: direction.toLowerCase(),
    action: rule.action,
    text: `${rule.action}${protocol} from ${describeEntity(rule.source)} to ${describeEntity(rule.destination)}`,
    matches(connection, ctx) {
      if (rule.unsupported?.length) return { unknown: `its ${rule.unsupported.join(', ')} match is not evaluated by netcheck` };
      const checks: Match[] = [];
      if (rule.protocol !== undefined) checks.push(protocolName(rule.protocol) === connection.protocol);
      if (rule.notProtocol !== undefined) checks.push(protocolName(rule.notProtocol) !== connection.protocol);
      if (rule.ipVersion !== undefined) {
        const ip = connection.destination.ip ?? connection.source.ip;
        checks.push(ip === undefined ? { unknown: `it matches IPv${rule.ipVersion} only and the connection's addresses are not known` } : isIP(ip) === rule.ipVersion);
      }
      checks.push(entityMatches(policy, rule.source, connection.source, connection, false, ctx));
      checks.push(entityMatches(policy, rule.destination, connection.destination, connection, true, ctx));
      return allOf(checks);
    },
  };
}

export function calicoKind(policy: Pick<CalicoPolicyFact, 'kind' | 'group'>): string {
  return `${policy.kind}.${policy.group}`;
}

function hintOf(policy: CalicoPolicyFact): CommonPolicy['hint'] {
  const required = requiredLabels(policy.selector);
  const namespace = policy.namespace ?? required.find((r) => r.key === 'projectcalico.org/namespace')?.value;
  const label = required.find((r) => !r.key.startsWith('projectcalico.org/'));
  return namespace !== undefined || label ? { ...(namespace !== undefined ? { namespace } : {}), ...(label ? { label } : {}) } : undefined;
}

export function fromCalicoPolicy(policy: CalicoPolicyFact): CommonPolicy {
  const hint = hintOf(policy);
  const plural = policy.kind === 'NetworkPolicy' ? 'networkpolicies' : 'globalnetworkpolicies';
  return {
    ref: { system: 'calico', kind: calicoKind(policy), name: policy.name, ...(policy.namespace ? { namespace: policy.namespace } : {}), resource: `${plural}.${policy.group}` },
    stage: 'namespace',
    tier: policy.tier,
    ...(policy.order !== undefined ? { order: policy.order } : {}),
    placement: `tier ${policy.tier}, order ${policy.order ?? 'none'}`,
    ...(hint ? { hint } : {}),
    appliesTo(pod, direction, ctx) {
      // preDNAT and doNotTrack policies are for host endpoints, not pods.
      if (policy.hostOnly || !policy.types.includes(direction)) return false;
      if (policy.namespace !== undefined && policy.namespace !== pod.namespace) return false;
      const checks: Match[] = [calicoSelects(policy.selector, podLabels(pod, ctx))];
      if (policy.namespace === undefined && policy.namespaceSelector !== undefined) checks.push(calicoSelects(policy.namespaceSelector, namespaceLabels(ctx, pod.namespace)));
      if (policy.serviceAccountSelector !== undefined) checks.push(serviceAccountSelects(policy.serviceAccountSelector, pod));
      return allOf(checks);
    },
    isolates: () => true,
    rules: {
      Ingress: policy.ingress.map((r, i) => toRule(policy, r, i, 'Ingress')),
      Egress: policy.egress.map((r, i) => toRule(policy, r, i, 'Egress')),
    },
  };
}
