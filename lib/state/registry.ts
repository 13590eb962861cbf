import { createHash } from 'node:crypto';
import { MAX_SEEN, THREAD_TTL_MS, type AlertThread, type StoredSummary } from './state.js';
import type { StateStore } from './store.js';
import type { FindingRef } from '../model/index.js';

// What the worker asks of its state, on top of a StateStore: the Slack thread of an alert group,
// whether a job or event was already handled, and the previous daily summary of a cluster.

export interface StateRegistry {
  /** The live thread of an alert group (see alertThreadKey); undefined if unknown or idle for 7 days. */
  threadFor(key: string): Promise<AlertThread | undefined>;
  rememberThread(key: string, thread: { channel: string; ts: string; status: 'firing' | 'resolved' }): Promise<void>;
  /** True when `id` was marked in the last MAX_SEEN marks. */
  seen(id: string): Promise<boolean>;
  markSeen(id: string): Promise<void>;
  lastSummary(cluster: string): Promise<StoredSummary | undefined>;
  saveSummary(cluster: string, summary: { at: string; findings: FindingRef[] }): Promise<void>;
}

/** Thread keys hold an Alertmanager groupKey (up to KiBs); a digest keeps the stored map small. */
export const threadId = (key: string): string => createHash('sha256').update(key).digest('base64url').slice(0, 32);

export function createStateRegistry(store: StateStore, opts: { now?: () => Date } = {}): StateRegistry {
  const now = opts.now ?? (() => new Date());
  return {
    async threadFor(key) {
      const thread = (await store.read()).threads[threadId(key)];
      if (!thread || Date.parse(thread.at) < now().getTime() - THREAD_TTL_MS) return undefined;
      return thread;
    },
    async rememberThread(key, { channel, ts, status }) {
      const at = now().toISOString();
      await store.update((state) => {
        state.threads[threadId(key)] = { channel, ts, at, lastStatus: status };
      });
    },
    async seen(id) {
      return (await store.read()).seen.includes(id);
    },
    async markSeen(id) {
      await store.update((state) => {
        state.seen = [...state.seen.filter((s) => s !== id), id].slice(-MAX_SEEN);
      });
    },
    async lastSummary(cluster) {
      return (await store.read()).summaries[cluster];
    },
    async saveSummary(cluster, { at, findings }) {
      await store.update((state) => {
        state.summaries[cluster] = { at, findings };
      });
    },
  };
}
