import { matchesSelector, type Labels, type TargetSpec } from '../model/index.js';
import type { AccessPolicy, Command, Grant } from './policy.js';

// Pure evaluation of the access policy. A request must pass two layers: the channel's (what may be
// asked and shown *here*) and the person's (their own grant, their groups' and everyone's; the
// union). Automated triggers (alerts, schedules, incident channels) have no person: the channel's
// clusters and namespaces alone decide, so they keep working under a deny default and reach
// read-only channels (no commands) too.
//
// What the door cannot know (user-group membership needs the bot token; label selectors need the
// Namespace objects) is "unknown": the door refuses only what is refused whatever the answer, and
// the worker, which knows both, decides the rest.

export interface AccessRequest {
  channel: string;
  /** Absent for automated triggers. */
  user?: string;
  automated: boolean;
  /** The baseline of an incident channel just created: `newIncidentChannels` stands in for its missing rule. */
  newIncidentChannel?: boolean;
  command: Command;
  cluster: string;
  /** Every namespace the request reads: the target's and a --from client's. */
  namespaces: readonly string[];
}

export interface Knowledge {
  /** The user's Slack user groups; undefined while unresolved (at the door). */
  groups?: readonly string[];
  /** A namespace's labels; undefined when not known (at the door, or a namespace that does not exist). */
  namespaceLabels?: (namespace: string) => Labels | undefined;
}

export type Outcome = 'allowed' | 'refused' | 'undecided';

export interface Decision {
  outcome: Outcome;
  /** The rule that decided: `channel:C…`, `user:U…`, `group:S…`, `everyone`, `default:deny`, `default:allow` (joined by " + " when both layers allow). */
  rule: string;
  /** Why, in words, for the audit line and the refusal. */
  reason: string;
}

type Tri = true | false | 'unknown';

interface Layer {
  value: Tri;
  rule: string;
  reason: string;
}

export function commandOf(target: TargetSpec): Command {
  return target.kind;
}

export function namespacesOf(target: TargetSpec): string[] {
  if (target.kind === 'svc' || target.kind === 'dns') {
    return [...new Set([target.namespace, ...(target.from ? [target.from.namespace] : [])])];
  }
  return [];
}

function namespaceCovered(grant: Grant, namespace: string, knowledge: Knowledge): Tri {
  let result: Tri = false;
  for (const entry of grant.namespaces) {
    if (entry === '*' || entry === namespace) return true;
    if (typeof entry === 'object') {
      const labels = knowledge.namespaceLabels?.(namespace);
      if (labels === undefined) result = 'unknown';
      else if (matchesSelector(entry.selector, labels)) return true;
    }
  }
  return result;
}

/** Whether one grant covers the whole request, and if not, the first thing it lacks. */
function covers(grant: Grant, request: AccessRequest, knowledge: Knowledge): { value: Tri; lacks?: string } {
  if (!grant.clusters.includes('*') && !grant.clusters.includes(request.cluster)) return { value: false, lacks: `cluster ${request.cluster}` };
  // Commands are what people may ask; an automated report (an alert, a baseline, a summary) is
  // bounded by the channel's clusters and namespaces only, so a read-only channel still gets them.
  if (!request.automated && !grant.commands.includes('*') && !grant.commands.includes(request.command)) return { value: false, lacks: `the ${request.command} command` };
  let value: Tri = true;
  for (const namespace of request.namespaces) {
    const covered = namespaceCovered(grant, namespace, knowledge);
    if (covered === false) return { value: false, lacks: `namespace ${namespace}` };
    if (covered === 'unknown') value = 'unknown';
  }
  return value === true ? { value } : { value, lacks: `namespace ${request.namespaces.join(', ')} (label selector, decided by the worker)` };
}

function defaultLayer(policy: AccessPolicy, who: string): Layer {
  return policy.default === 'allow'
    ? { value: true, rule: 'default:allow', reason: `${who} has no rule; the default allows` }
    : { value: false, rule: 'default:deny', reason: `${who} has no rule; the default denies` };
}

/** The grant that rules a channel: its own, or for a new incident channel without one, `newIncidentChannels`. */
function channelGrant(policy: AccessPolicy, channel: string, newIncidentChannel: boolean): { grant: Grant; rule: string } | undefined {
  const own = policy.channels[channel];
  if (own) return { grant: own, rule: `channel:${channel}` };
  if (newIncidentChannel && policy.newIncidentChannels) return { grant: policy.newIncidentChannels, rule: 'newIncidentChannels' };
  return undefined;
}

function channelLayer(policy: AccessPolicy, request: AccessRequest, knowledge: Knowledge): Layer {
  const found = channelGrant(policy, request.channel, request.newIncidentChannel === true);
  if (!found) return defaultLayer(policy, `channel ${request.channel}`);
  const { grant, rule } = found;
  const { value, lacks } = covers(grant, request, knowledge);
  return { value, rule, reason: value === true ? `channel ${request.channel} may ask this` : `channel ${request.channel} is not granted ${lacks}` };
}

function personLayer(policy: AccessPolicy, request: AccessRequest, knowledge: Knowledge): Layer {
  if (request.automated) return { value: true, rule: 'automated', reason: 'an automated trigger: the channel decides' };
  const user = request.user;
  if (!user) return { value: false, rule: 'no-user', reason: 'the request names no Slack user' };
  const candidates: { rule: string; grant: Grant; member: Tri }[] = [];
  if (policy.everyone) candidates.push({ rule: 'everyone', grant: policy.everyone, member: true });
  const own = policy.users[user];
  if (own) candidates.push({ rule: `user:${user}`, grant: own, member: true });
  for (const [group, grant] of Object.entries(policy.groups)) {
    const member: Tri = knowledge.groups === undefined ? 'unknown' : knowledge.groups.includes(group);
    if (member !== false) candidates.push({ rule: `group:${group}`, grant, member });
  }
  if (candidates.length === 0) return defaultLayer(policy, `user ${user}`);

  let unknown: string | undefined;
  let firstLack: { rule: string; lacks?: string } | undefined;
  for (const candidate of candidates) {
    const { value, lacks } = covers(candidate.grant, request, knowledge);
    if (value === true && candidate.member === true) return { value: true, rule: candidate.rule, reason: `${candidate.rule} may ask this` };
    if (value !== false) unknown ??= candidate.rule;
    else firstLack ??= { rule: candidate.rule, lacks };
  }
  // Someone possibly in no group at all falls to the default, which may allow.
  const onlyMaybeMember = candidates.every((c) => c.member === 'unknown');
  if (unknown || (onlyMaybeMember && policy.default === 'allow')) {
    return { value: 'unknown', rule: unknown ?? 'default:allow', reason: `user ${user}'s groups or namespace labels decide (resolved by the worker)` };
  }
  const lack = firstLack!;
  return { value: false, rule: lack.rule, reason: `user ${user} is not granted ${lack.lacks} (${candidates.map((c) => c.rule).join(', ')})` };
}

export function decide(policy: AccessPolicy, request: AccessRequest, knowledge: Knowledge = {}): Decision {
  const channel = channelLayer(policy, request, knowledge);
  if (channel.value === false) return { outcome: 'refused', rule: channel.rule, reason: channel.reason };
  const person = personLayer(policy, request, knowledge);
  if (person.value === false) return { outcome: 'refused', rule: person.rule, reason: person.reason };
  if (channel.value === true && person.value === true) {
    return { outcome: 'allowed', rule: request.automated ? channel.rule : `${channel.rule} + ${person.rule}`, reason: `${channel.reason}; ${person.reason}` };
  }
  const pending = channel.value === 'unknown' ? channel : person;
  return { outcome: 'undecided', rule: pending.rule, reason: pending.reason };
}

/**
 * The namespaces a channel may be shown on a cluster: what suggestions, sweeps, baselines and
 * summaries posted there are limited to. Everyone's report in a channel is the channel's to see.
 */
export function channelSees(policy: AccessPolicy, channel: string, cluster: string, newIncidentChannel = false): (namespace: string, labels: Labels | undefined) => boolean {
  const grant = channelGrant(policy, channel, newIncidentChannel)?.grant;
  if (!grant) return () => policy.default === 'allow';
  if (!grant.clusters.includes('*') && !grant.clusters.includes(cluster)) return () => false;
  return (namespace, labels) => namespaceCovered(grant, namespace, { namespaceLabels: () => labels }) === true;
}

/** Whether the channel sees every namespace on the cluster (then its reports need no scoping). */
export function channelSeesAll(policy: AccessPolicy, channel: string, cluster: string, newIncidentChannel = false): boolean {
  const grant = channelGrant(policy, channel, newIncidentChannel)?.grant;
  if (!grant) return policy.default === 'allow';
  return grant.namespaces.includes('*') && (grant.clusters.includes('*') || grant.clusters.includes(cluster));
}

function describeGrant(grant: Grant): string {
  const list = (items: readonly string[], all: string) => (items.includes('*') ? all : items.join(', ') || 'none');
  const namespaces = grant.namespaces.map((n) =>
    typeof n === 'string'
      ? n
      : `namespaces labelled ${[
          ...Object.entries(n.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
          ...(n.selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`),
        ].join(', ')}`,
  );
  return `${list(grant.commands, 'every command')} on ${list(grant.clusters, 'every cluster')} in ${list(namespaces, 'every namespace')}`;
}

/** What this channel may ask, in one line, for a refusal. */
export function describeChannel(policy: AccessPolicy, channel: string): string {
  const grant = policy.channels[channel];
  if (!grant)
    return policy.default === 'allow'
      ? 'This channel has no rule, so the default applies: anything.'
      : 'This channel has no rule, and the default denies: nothing may be asked here.';
  return `This channel may ask: ${describeGrant(grant)}.`;
}
