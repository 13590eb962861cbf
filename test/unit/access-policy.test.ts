import { describe, expect, it } from '@jest/globals';
import { auditDecision } from '../../lib/access/audit.js';
import { channelSees, decide, describeChannel, type AccessRequest } from '../../lib/access/evaluate.js';
import { createGroupResolver } from '../../lib/access/groups.js';
import { parseAccessPolicy, type AccessPolicy } from '../../lib/access/policy.js';

const policy = (input: unknown): AccessPolicy => {
  const parsed = parseAccessPolicy(input, ['prod', 'staging']);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.policy;
};

const teamPolicy = policy({
  default: 'deny',
  contact: '#platform-help',
  channels: {
    C0SHOP: { clusters: ['staging'], namespaces: ['shop'], commands: ['svc', 'dns'] },
    C0PLATFORM: { clusters: ['*'], namespaces: ['*'], commands: ['*'] },
    C0TEAMS: { clusters: ['prod'], namespaces: [{ selector: { matchLabels: { team: 'shop' } } }], commands: ['svc'] },
  },
  users: { U0ALICE: { clusters: ['*'], namespaces: ['*'], commands: ['*'] } },
  groups: { S0SRE: { clusters: ['prod'], namespaces: ['*'], commands: ['svc', 'cluster'] } },
  everyone: { clusters: ['staging'], namespaces: ['shop'], commands: ['svc'] },
});

const ask = (over: Partial<AccessRequest>): AccessRequest => ({
  channel: 'C0SHOP',
  user: 'U0BOB',
  automated: false,
  command: 'svc',
  cluster: 'staging',
  namespaces: ['shop'],
  ...over,
});

describe('access policy schema', () => {
  it('names the field that is wrong', () => {
    const bad = parseAccessPolicy({ default: 'maybe', channels: { general: { clusters: ['prod'] } } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toMatch(/default:.*\n?.*channels\.general/s);
  });

  it('refuses a grant naming a cluster that does not exist', () => {
    const bad = parseAccessPolicy({ default: 'deny', channels: { C0X: { clusters: ['qa'], namespaces: ['*'], commands: ['*'] } } }, ['prod']);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems).toEqual(['channels.C0X.clusters: "qa" is not one of the clusters (prod)']);
  });

  it('refuses an empty namespace selector, which would match everything', () => {
    expect(parseAccessPolicy({ default: 'deny', everyone: { clusters: ['*'], namespaces: [{ selector: {} }] } }).ok).toBe(false);
  });
});

describe('decide', () => {
  it('allows what both the channel and the person are granted, naming both rules', () => {
    expect(decide(teamPolicy, ask({}), { groups: [] })).toMatchObject({ outcome: 'allowed', rule: 'channel:C0SHOP + everyone' });
  });

  it('refuses another namespace, another cluster and another command by the channel rule', () => {
    expect(decide(teamPolicy, ask({ namespaces: ['kube-system'], user: 'U0ALICE' }))).toMatchObject({
      outcome: 'refused',
      rule: 'channel:C0SHOP',
      reason: 'channel C0SHOP is not granted namespace kube-system',
    });
    expect(decide(teamPolicy, ask({ cluster: 'prod', user: 'U0ALICE' }))).toMatchObject({
      outcome: 'refused',
      rule: 'channel:C0SHOP',
      reason: 'channel C0SHOP is not granted cluster prod',
    });
    expect(decide(teamPolicy, ask({ command: 'cluster', namespaces: [] }))).toMatchObject({ outcome: 'refused', rule: 'channel:C0SHOP' });
  });

  it('refuses a --from client in a namespace the channel may not read', () => {
    expect(decide(teamPolicy, ask({ namespaces: ['shop', 'hr-private'] }))).toMatchObject({ outcome: 'refused', reason: 'channel C0SHOP is not granted namespace hr-private' });
  });

  it('applies the default to a channel without a rule', () => {
    expect(decide(teamPolicy, ask({ channel: 'D0DM', user: 'U0ALICE' }))).toMatchObject({ outcome: 'refused', rule: 'default:deny' });
    const open = policy({ default: 'allow' });
    expect(decide(open, ask({ channel: 'D0DM' }), { groups: [] })).toMatchObject({ outcome: 'allowed', rule: 'default:allow + default:allow' });
  });

  it('leaves a decision that hangs on group membership to the worker, and decides it there', () => {
    const request = ask({ channel: 'C0PLATFORM', cluster: 'prod', namespaces: [], command: 'cluster' });
    expect(decide(teamPolicy, request)).toMatchObject({ outcome: 'undecided', rule: 'group:S0SRE' });
    expect(decide(teamPolicy, request, { groups: ['S0SRE'] })).toMatchObject({ outcome: 'allowed', rule: 'channel:C0PLATFORM + group:S0SRE' });
    expect(decide(teamPolicy, request, { groups: [] })).toMatchObject({ outcome: 'refused', rule: 'everyone' });
  });

  it('refuses at the door what no group could grant', () => {
    expect(decide(teamPolicy, ask({ channel: 'C0PLATFORM', command: 'node', cluster: 'prod', namespaces: [] }))).toMatchObject({ outcome: 'refused' });
  });

  it('judges label selectors only with the namespace labels', () => {
    const request = ask({ channel: 'C0TEAMS', cluster: 'prod', namespaces: ['cart'], user: 'U0ALICE' });
    expect(decide(teamPolicy, request).outcome).toBe('undecided');
    expect(decide(teamPolicy, request, { namespaceLabels: () => ({ team: 'shop' }) }).outcome).toBe('allowed');
    expect(decide(teamPolicy, request, { namespaceLabels: () => ({ team: 'hr' }) })).toMatchObject({ outcome: 'refused', rule: 'channel:C0TEAMS' });
  });

  it('lets automated triggers through on the channel rule alone', () => {
    expect(decide(teamPolicy, ask({ user: undefined, automated: true }))).toMatchObject({ outcome: 'allowed', rule: 'channel:C0SHOP' });
    expect(decide(teamPolicy, ask({ user: undefined, automated: true, namespaces: ['hr-private'] })).outcome).toBe('refused');
    // Commands bound people, not reports: an alert's svc check reaches a channel granted no commands.
    const readOnly = policy({ default: 'deny', channels: { C0INC: { clusters: ['prod'], namespaces: ['*'], commands: [] } } });
    expect(decide(readOnly, ask({ channel: 'C0INC', cluster: 'prod', user: undefined, automated: true })).outcome).toBe('allowed');
    expect(decide(readOnly, ask({ channel: 'C0INC', cluster: 'prod', user: 'U0ALICE' })).outcome).toBe('refused');
  });

  it('refuses a person request without a user', () => {
    expect(decide(teamPolicy, ask({ user: undefined }))).toMatchObject({ outcome: 'refused', rule: 'no-user' });
  });
});

describe('channelSees', () => {
  it('limits a channel to its namespaces on its clusters', () => {
    const sees = channelSees(teamPolicy, 'C0SHOP', 'staging');
    expect([sees('shop', {}), sees('hr-private', {})]).toEqual([true, false]);
    expect(channelSees(teamPolicy, 'C0SHOP', 'prod')('shop', {})).toBe(false);
    expect(channelSees(teamPolicy, 'C0TEAMS', 'prod')('cart', { team: 'shop' })).toBe(true);
    expect(channelSees(teamPolicy, 'C0TEAMS', 'prod')('cart', undefined)).toBe(false);
    expect(channelSees(teamPolicy, 'C0NONE', 'prod')('shop', {})).toBe(false);
  });

  it('describes what a channel may ask', () => {
    expect(describeChannel(teamPolicy, 'C0SHOP')).toBe('This channel may ask: svc, dns on staging in shop.');
    expect(describeChannel(teamPolicy, 'C0TEAMS')).toBe('This channel may ask: svc on prod in namespaces labelled team=shop.');
  });
});

describe('group resolver', () => {
  it('caches member lists for the TTL and forgets failures', async () => {
    let clock = 0;
    const asked: string[] = [];
    let fail = true;
    const resolver = createGroupResolver({
      ttlMs: 1000,
      now: () => clock,
      members: async (group) => {
        asked.push(group);
        if (group === 'S0FLAKY' && fail) throw new Error('ratelimited');
        return group === 'S0SRE' ? ['U0BOB'] : [];
      },
    });
    expect(await resolver.groupsOf('U0BOB', ['S0SRE', 'S0DEV'])).toEqual(['S0SRE']);
    expect(await resolver.groupsOf('U0CAROL', ['S0SRE'])).toEqual([]);
    expect(asked).toEqual(['S0SRE', 'S0DEV']);
    clock = 1500;
    await resolver.groupsOf('U0BOB', ['S0SRE']);
    expect(asked).toEqual(['S0SRE', 'S0DEV', 'S0SRE']);
    await expect(resolver.groupsOf('U0BOB', ['S0FLAKY'])).rejects.toThrow('ratelimited');
    fail = false;
    expect(await resolver.groupsOf('U0BOB', ['S0FLAKY'])).toEqual([]);
  });
});

describe('audit line', () => {
  it('writes one structured line per decision, with the EMF refusal metric on refusals only', () => {
    const lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
    const log = {
      info: (message: string, extra: Record<string, unknown>) => void lines.push({ level: 'info', message, extra }),
      warn: (message: string, extra: Record<string, unknown>) => void lines.push({ level: 'warn', message, extra }),
      error: () => undefined,
    } as unknown as Parameters<typeof auditDecision>[0];
    const refusedRequest = ask({ cluster: 'prod' });
    auditDecision(log, { at: 'door', request: refusedRequest, decision: decide(teamPolicy, refusedRequest), target: 'svc payments in shop', trigger: 'slash' }, new Date(0));
    auditDecision(log, { at: 'worker', request: ask({}), decision: decide(teamPolicy, ask({}), { groups: [] }), target: 'svc payments in shop', jobId: 'j1' });
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'access refused'],
      ['info', 'access allowed'],
    ]);
    expect(lines[0]!.extra).toMatchObject({
      audit: 'access',
      decisionPoint: 'door',
      outcome: 'refused',
      rule: 'channel:C0SHOP',
      user: 'U0BOB',
      channel: 'C0SHOP',
      command: 'svc',
      cluster: 'prod',
      namespaces: ['shop'],
      target: 'svc payments in shop',
      AccessRefusals: 1,
    });
    expect(lines[0]!.extra._aws).toMatchObject({ Timestamp: 0, CloudWatchMetrics: [{ Namespace: 'netcheck', Metrics: [{ Name: 'AccessRefusals', Unit: 'Count' }] }] });
    expect(lines[1]!.extra).toMatchObject({ outcome: 'allowed', rule: 'channel:C0SHOP + everyone', jobId: 'j1' });
    expect(lines[1]!.extra).not.toHaveProperty('_aws');
  });
});
