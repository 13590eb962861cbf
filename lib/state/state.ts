import * as z from 'zod';
import type { FindingRef, Silence } from '../model/index.js';

// The worker's durable memory, stored as one JSON document (one ConfigMap key). Everything in it
// is bounded so the document stays far below the ConfigMap limit of 1 MiB:
//   - alert threads expire 7 days after their last use, and at most MAX_THREADS are kept (newest);
//   - processed ids: the last MAX_SEEN;
//   - per-cluster summaries: at most MAX_SUMMARY_FINDINGS refs (worst first), titles clipped; if
//     the whole document still exceeds STATE_BUDGET_BYTES the largest summary is halved again,
//     and the number of refs dropped is recorded in `droppedFindings` so the summary can say so.

export const THREAD_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_THREADS = 2000;
export const MAX_SEEN = 1000;
/** Jobs in flight are few (concurrency × workers); these bounds only matter for abandoned ones. */
export const MAX_PROGRESS = 500;
/** Matches the targets one notification checks one by one, with room for later notifications. */
export const MAX_THREAD_TARGETS = 50;
export const PROGRESS_TTL_MS = 24 * 3600 * 1000;
export const MAX_SUMMARY_FINDINGS = 1000;
export const MAX_TITLE = 200;
export const MAX_SILENCES = 500;
/** Problems remembered per alert thread: more than any one report names, bounded all the same. */
export const MAX_ANNOUNCED = 500;
/** Leaves room under 1 MiB for the ConfigMap's metadata and JSON escaping in the API request. */
export const STATE_BUDGET_BYTES = 900_000;

export interface AlertThread {
  channel: string;
  ts: string;
  /** Last time a report went into the thread. */
  at: string;
  lastStatus: 'firing' | 'resolved';
  /** When the thread was opened: "still failing since". */
  firstAt?: string;
  /** Notifications answered in this thread, the first included. */
  notifications?: number;
  /** Fingerprints of the problems already announced here → when each was first seen. */
  announced?: Record<string, string>;
  acknowledged?: { by: string; at: string };
  resolved?: { by: string; at: string };
  /** targetKeys already reported in this thread: a new target's report goes in without a "more alerts" note. */
  targets?: string[];
}

/**
 * How far a job's answer got in Slack, recorded before the next message is posted, so a
 * redelivered job (worker killed, deadline passed) updates the same parent and posts only the
 * messages not yet recorded instead of a second thread.
 */
export interface JobProgress {
  channel: string;
  /** The thread the job's messages go into. */
  threadTs: string;
  /** A parent this job may edit in place (its own progress parent, or the re-run's original parent). */
  parentTs?: string;
  /** How many of the job's thread messages (after the parent) have landed. */
  posted: number;
  /** Last change; abandoned records expire after PROGRESS_TTL_MS. */
  at: string;
}

/** A silence made with Slack's Silence button: always bound to the channel it was made in. */
export type StoredSilence = Silence & { channel: string; createdAt: string };

export interface StoredSummary {
  at: string;
  findings: FindingRef[];
  /** Per problem ("code\u0000subject"), when a summary first saw it: "failing since". */
  since?: Record<string, string>;
  /** Refs left out to respect the size budget. */
  droppedFindings?: number;
}

export interface State {
  version: 1;
  /** Cluster name → last daily summary. */
  summaries: Record<string, StoredSummary>;
  /** Hashed thread key (see registry) → the Slack thread of an alert group. */
  threads: Record<string, AlertThread>;
  /** Processed job / event ids, oldest first. */
  seen: string[];
  /** Hashed job id → what of its answer is already in Slack (removed once the job is answered). */
  progress: Record<string, JobProgress>;
  /** Slack silences, oldest first; expired ones are kept a week so reports can say they expired. */
  silences: StoredSilence[];
}

const findingRefSchema = z.object({
  code: z.string(),
  subject: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'skip', 'error']),
  title: z.string(),
});

const actorSchema = z.object({ by: z.string(), at: z.string() });

const threadSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  at: z.string(),
  lastStatus: z.enum(['firing', 'resolved']),
  firstAt: z.string().optional(),
  notifications: z.number().int().optional(),
  announced: z.record(z.string(), z.string()).optional(),
  acknowledged: actorSchema.optional(),
  resolved: actorSchema.optional(),
  targets: z.array(z.string()).optional(),
});

const storedSilenceSchema = z.object({
  id: z.string(),
  codes: z.array(z.string()).optional(),
  kind: z.enum(['namespace', 'service', 'pod', 'node', 'port', 'networkpolicy', 'daemonset', 'dns', 'ip']).optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  reason: z.string(),
  expiresAt: z.string().optional(),
  createdBy: z.string().optional(),
  createdAt: z.string(),
  channel: z.string(),
});

const stateSchema = z.object({
  version: z.literal(1),
  summaries: z.record(
    z.string(),
    z.object({ at: z.string(), findings: z.array(findingRefSchema), since: z.record(z.string(), z.string()).optional(), droppedFindings: z.number().int().optional() }),
  ),
  threads: z.record(z.string(), threadSchema),
  seen: z.array(z.string()),
  // Absent in documents written before Slack silences existed.
  silences: z.array(storedSilenceSchema).default([]),
  // Documents written before progress records existed have none.
  progress: z
    .record(z.string(), z.object({ channel: z.string(), threadTs: z.string(), parentTs: z.string().optional(), posted: z.number().int().nonnegative(), at: z.string() }))
    .default({}),
});

export const emptyState = (): State => ({ version: 1, summaries: {}, threads: {}, seen: [], silences: [], progress: {} });

/** Stored text → state. Anything unreadable is reported, never thrown: the caller decides to start fresh. */
export function parseState(text: string | undefined): { state: State; problem?: string } {
  if (text === undefined || text === '') return { state: emptyState() };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { state: emptyState(), problem: `stored state is not JSON (${(e as Error).message}); starting from empty state` };
  }
  const result = stateSchema.safeParse(json);
  if (!result.success) {
    return {
      state: emptyState(),
      problem: `stored state has an unexpected shape (${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}); starting from empty state`,
    };
  }
  return { state: result.data };
}

const SEVERITY: Record<FindingRef['status'], number> = { fail: 4, error: 3, warn: 2, skip: 1, pass: 0 };

/** Keep the worst `max` refs, in their original order. */
function keepWorst(findings: FindingRef[], max: number): FindingRef[] {
  if (findings.length <= max) return findings;
  const kept = new Set(
    findings
      .map((ref, index) => ({ ref, index }))
      .sort((a, b) => SEVERITY[b.ref.status] - SEVERITY[a.ref.status] || a.index - b.index)
      .slice(0, max)
      .map(({ index }) => index),
  );
  return findings.filter((_, index) => kept.has(index));
}

/** A problem's identity across summaries: the same check on the same subject. */
export const refIdentity = (ref: Pick<FindingRef, 'code' | 'subject'>): string => `${ref.code}\u0000${ref.subject}`;

/** The `max` most recently first-seen entries. */
function newestEntries(entries: Record<string, string>, max: number): Record<string, string> {
  const all = Object.entries(entries);
  if (all.length <= max) return entries;
  return Object.fromEntries(all.sort(([, a], [, b]) => Date.parse(b) - Date.parse(a)).slice(0, max));
}

export const stateBytes = (state: State): number => Buffer.byteLength(JSON.stringify(state));

/** Prune expired threads and enforce every cap; returns a new state. */
export function compactState(state: State, now: Date): State {
  const cutoff = now.getTime() - THREAD_TTL_MS;
  const threads = Object.entries(state.threads)
    .filter(([, thread]) => Date.parse(thread.at) >= cutoff)
    .sort(([, a], [, b]) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, MAX_THREADS);
  const summaries: Record<string, StoredSummary> = {};
  for (const [cluster, summary] of Object.entries(state.summaries)) {
    const findings = keepWorst(summary.findings, MAX_SUMMARY_FINDINGS).map((ref) => ({ ...ref, title: ref.title.slice(0, MAX_TITLE) }));
    const dropped = (summary.droppedFindings ?? 0) + summary.findings.length - findings.length;
    const since = summary.since
      ? Object.fromEntries(
          findings.flatMap((ref) => {
            const key = refIdentity(ref);
            const at = summary.since?.[key];
            return at ? [[key, at]] : [];
          }),
        )
      : undefined;
    summaries[cluster] = { at: summary.at, findings, ...(since ? { since } : {}), ...(dropped ? { droppedFindings: dropped } : {}) };
  }
  const progressCutoff = now.getTime() - PROGRESS_TTL_MS;
  const progress = Object.entries(state.progress)
    .filter(([, p]) => Date.parse(p.at) >= progressCutoff)
    .sort(([, a], [, b]) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, MAX_PROGRESS);
  const silences = state.silences.filter((silence) => silence.expiresAt === undefined || Date.parse(silence.expiresAt) >= cutoff).slice(-MAX_SILENCES);
  const bounded = threads.map(([id, thread]): [string, AlertThread] => [id, thread.announced ? { ...thread, announced: newestEntries(thread.announced, MAX_ANNOUNCED) } : thread]);
  const compacted: State = {
    version: 1,
    summaries,
    threads: Object.fromEntries(bounded),
    seen: [...new Set(state.seen)].slice(-MAX_SEEN),
    silences,
    progress: Object.fromEntries(progress),
  };

  // Only reachable with many clusters' summaries in one document: shrink the largest until it fits.
  while (stateBytes(compacted) > STATE_BUDGET_BYTES) {
    const largest = Object.values(compacted.summaries).sort((a, b) => b.findings.length - a.findings.length)[0];
    if (!largest || largest.findings.length === 0) throw new Error(`state exceeds ${STATE_BUDGET_BYTES} bytes even without summary findings`);
    const keep = Math.floor(largest.findings.length / 2);
    largest.droppedFindings = (largest.droppedFindings ?? 0) + largest.findings.length - keep;
    largest.findings = keepWorst(largest.findings, keep);
  }
  return compacted;
}
