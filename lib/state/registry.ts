import { createHash } from 'node:crypto';
import { MAX_SEEN, MAX_THREAD_TARGETS, THREAD_TTL_MS, type AlertThread, type JobProgress, type StoredSilence, type StoredSummary } from './state.js';
import type { StateStore } from './store.js';
import type { FindingRef } from '../model/index.js';

// What the worker asks of its state, on top of a StateStore: the Slack thread of an alert group,
// whether a job or event was already handled, and the previous daily summary of a cluster.

export interface StateRegistry {
  /** The live thread of an alert group (see alertThreadKey); undefined if unknown or idle for 7 days. */
  threadFor(key: string): Promise<AlertThread | undefined>;
  /** `target` (a targetKey) joins the targets the thread has reported on. */
  rememberThread(key: string, thread: { channel: string; ts: string; status: 'firing' | 'resolved'; target?: string }): Promise<void>;
  /** True when `id` was marked in the last MAX_SEEN marks. */
  seen(id: string): Promise<boolean>;
  /** Marks the job answered and drops its progress record, in one write. */
  markSeen(id: string): Promise<void>;
  /** What of a job's answer is already in Slack; undefined before its first message. */
  progressOf(jobId: string): Promise<JobProgress | undefined>;
  saveProgress(jobId: string, progress: Omit<JobProgress, 'at'>): Promise<void>;
  lastSummary(cluster: string): Promise<StoredSummary | undefined>;
  saveSummary(cluster: string, summary: { at: string; findings: FindingRef[]; since?: Record<string, string> }): Promise<void>;
  /** An alert thread by its stored id (`threadId(key)`), as the Acknowledge and Resolved buttons name it. */
  threadById(id: string): Promise<AlertThread | undefined>;
  /**
   * Counts a notification answered in an alert thread and remembers its problems (fingerprints):
   * returns the ones the thread had not announced yet, and since when it has been open.
   */
  recordNotification(key: string, problems: readonly string[]): Promise<{ fresh: string[]; firstAt: string; notifications: number }>;
  markIncident(id: string, mark: 'acknowledged' | 'resolved', by: string): Promise<AlertThread | undefined>;
  /** Every stored Slack silence, expired ones included (reports say they expired). */
  silences(): Promise<StoredSilence[]>;
  addSilence(silence: StoredSilence): Promise<void>;
  /** Removes a silence; undefined when there was none with that id. */
  removeSilence(id: string): Promise<StoredSilence | undefined>;
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
    async rememberThread(key, { channel, ts, status, target }) {
      const at = now().toISOString();
      await store.update((state) => {
        // What the thread remembers (announced problems, acknowledgements) outlives each report.
        const id = threadId(key);
        const targets = [...new Set([...(state.threads[id]?.targets ?? []), ...(target ? [target] : [])])].slice(-MAX_THREAD_TARGETS);
        state.threads[id] = { ...state.threads[id], channel, ts, at, lastStatus: status, ...(targets.length ? { targets } : {}) };
      });
    },
    async seen(id) {
      return (await store.read()).seen.includes(id);
    },
    async markSeen(id) {
      await store.update((state) => {
        state.seen = [...state.seen.filter((s) => s !== id), id].slice(-MAX_SEEN);
        delete state.progress[threadId(id)];
      });
    },
    async progressOf(jobId) {
      return (await store.read()).progress[threadId(jobId)];
    },
    async saveProgress(jobId, progress) {
      const at = now().toISOString();
      await store.update((state) => {
        state.progress[threadId(jobId)] = { ...progress, at };
      });
    },
    async lastSummary(cluster) {
      return (await store.read()).summaries[cluster];
    },
    async saveSummary(cluster, { at, findings, since }) {
      await store.update((state) => {
        state.summaries[cluster] = { at, findings, ...(since ? { since } : {}) };
      });
    },
    async threadById(id) {
      return (await store.read()).threads[id];
    },
    async recordNotification(key, problems) {
      const id = threadId(key);
      const at = now().toISOString();
      const before = (await store.read()).threads[id];
      const fresh = problems.filter((p) => !before?.announced?.[p]);
      const after = await store.update((state) => {
        const thread = state.threads[id];
        if (!thread) return;
        const announced = { ...thread.announced };
        for (const p of problems) announced[p] ??= at;
        state.threads[id] = { ...thread, firstAt: thread.firstAt ?? at, notifications: (thread.notifications ?? 0) + 1, announced };
      });
      const thread = after.threads[id];
      return { fresh, firstAt: thread?.firstAt ?? at, notifications: thread?.notifications ?? 1 };
    },
    async markIncident(id, mark, by) {
      const at = now().toISOString();
      const after = await store.update((state) => {
        const thread = state.threads[id];
        if (thread) state.threads[id] = { ...thread, [mark]: { by, at }, ...(mark === 'resolved' ? { lastStatus: 'resolved' as const } : {}) };
      });
      return after.threads[id];
    },
    async silences() {
      return (await store.read()).silences;
    },
    async addSilence(silence) {
      await store.update((state) => {
        state.silences = [...state.silences.filter((s) => s.id !== silence.id), silence];
      });
    },
    async removeSilence(id) {
      const removed = (await store.read()).silences.find((s) => s.id === id);
      if (!removed) return undefined;
      await store.update((state) => {
        state.silences = state.silences.filter((s) => s.id !== id);
      });
      return removed;
    },
  };
}
