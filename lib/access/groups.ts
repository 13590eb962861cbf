import { LogLevel, WebClient } from '@slack/web-api';

// Slack user-group membership, resolved where the bot token lives (the worker) and cached: a
// policy names a handful of groups, and every job of a person in them would otherwise cost one
// usergroups.users.list call per group.

export type GroupMembers = (group: string) => Promise<readonly string[]>;

export interface GroupResolver {
  /** The groups among `candidates` that `user` belongs to; rejects when a membership cannot be read. */
  groupsOf(user: string, candidates: readonly string[]): Promise<string[]>;
}

export interface GroupResolverOptions {
  members: GroupMembers;
  /** How long one group's member list is trusted; default 5 minutes. */
  ttlMs?: number;
  now?: () => number;
}

export function createGroupResolver(opts: GroupResolverOptions): GroupResolver {
  const ttl = opts.ttlMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();
  const membersOf = (group: string): Promise<ReadonlySet<string>> => {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttl) return hit.members;
    const members = opts.members(group).then((list) => new Set(list));
    cache.set(group, { at: now(), members });
    // A failed read is not remembered: the next job asks again.
    members.catch(() => {
      if (cache.get(group)?.members === members) cache.delete(group);
    });
    return members;
  };
  return {
    async groupsOf(user, candidates) {
      const sets = await Promise.all(candidates.map(async (group) => [group, await membersOf(group)] as const));
      return sets.filter(([, members]) => members.has(user)).map(([group]) => group);
    },
  };
}

/** usergroups.users.list with the bot token (scope usergroups:read). */
export function slackGroupMembers(opts: { token: string; slackApiUrl?: string; timeoutMs?: number }): GroupMembers {
  const client = new WebClient(opts.token, {
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
    logLevel: LogLevel.ERROR,
    timeout: opts.timeoutMs ?? 10_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 100, maxTimeout: 2_000, maxRetryTime: 10_000 },
  });
  return async (group) => {
    // apiCall by name, so the manifest test sees the method (and its scope) like every other call.
    const { users: members } = (await client.apiCall('usergroups.users.list', { usergroup: group })) as { users?: unknown };
    return Array.isArray(members) ? members.filter((u): u is string => typeof u === 'string') : [];
  };
}
