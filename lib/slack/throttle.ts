// How many checks one person and one channel may start per window. Counted where the request is
// answered (the handler instance) over a sliding window; a refused request consumes nothing and
// is told the limit and when to retry, and nothing is queued for it.

export interface ThrottleLimits {
  /** 0 turns the per-user limit off. */
  perUser: number;
  /** 0 turns the per-channel limit off. */
  perChannel: number;
  windowSeconds: number;
}

export type ThrottleVerdict = { ok: true } | { ok: false; scope: 'user' | 'channel'; limit: number; windowSeconds: number; retryAfterSeconds: number };

export interface Throttle {
  /** Counts one check for this user and channel if both are under their limits. */
  take(who: { user: string; channel: string }): ThrottleVerdict;
}

/** Keys kept before idle ones are swept: bounds memory under a flood of distinct users. */
const MAX_KEYS = 10_000;

export function createMemoryThrottle(limits: ThrottleLimits, now: () => number = Date.now): Throttle {
  const windowMs = limits.windowSeconds * 1000;
  // key → start times of the checks inside the window, oldest first (at most `limit` of them).
  const starts = new Map<string, number[]>();

  const live = (key: string, at: number): number[] => {
    const kept = (starts.get(key) ?? []).filter((t) => t > at - windowMs);
    if (kept.length) starts.set(key, kept);
    else starts.delete(key);
    return kept;
  };
  const sweep = (at: number) => {
    if (starts.size < MAX_KEYS) return;
    for (const key of [...starts.keys()]) live(key, at);
  };

  return {
    take({ user, channel }) {
      const at = now();
      sweep(at);
      const checks = [
        { scope: 'user' as const, key: `u:${user}`, limit: limits.perUser },
        { scope: 'channel' as const, key: `c:${channel}`, limit: limits.perChannel },
      ].filter((c) => c.limit > 0);
      for (const check of checks) {
        const times = live(check.key, at);
        if (times.length >= check.limit) {
          const freesAt = times[times.length - check.limit]! + windowMs;
          return { ok: false, scope: check.scope, limit: check.limit, windowSeconds: limits.windowSeconds, retryAfterSeconds: Math.max(1, Math.ceil((freesAt - at) / 1000)) };
        }
      }
      for (const check of checks) starts.set(check.key, [...live(check.key, at), at].slice(-check.limit));
      return { ok: true };
    },
  };
}

/** The ephemeral answer to a refused request: which limit, and when to try again. */
export function throttledText(verdict: Extract<ThrottleVerdict, { ok: false }>): string {
  const who = verdict.scope === 'user' ? 'you have' : 'this channel has';
  const per = verdict.scope === 'user' ? 'per person' : 'per channel';
  return `:hourglass: Slow down: ${who} started ${verdict.limit} checks in the last ${verdict.windowSeconds} s, the limit ${per}. Nothing was queued; try again in ${verdict.retryAfterSeconds} s.`;
}
