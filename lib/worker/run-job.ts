import { run, type EngineDeps } from '../engine.js';
import { alertThreadKey } from '../jobs/alerts.js';
import type { Job } from '../jobs/schema.js';
import {
  describeTarget,
  findingFingerprint,
  namespacesOutsideScope,
  onCluster,
  outsideScopeRefusal,
  targetKey,
  targetLabel,
  type Finding,
  type Report,
  type SweepReport,
} from '../model/index.js';
import { plural } from '../render/mrkdwn.js';
import { isProblem, verdictLine } from '../render/report-view.js';
import { engineWithSilences, runAction, silenceListings } from './actions.js';
import type { Log } from '../observability/logger.js';
import { postToResponseUrl, RESPONSE_URL_TTL_MS, RESPONSE_URL_USES, SlackPostError, type ThreadPoster } from '../post/slack.js';
import { escapeMrkdwn } from '../render/mrkdwn.js';
import { renderSlackFollowUp, renderSlackJobFailure, renderSlackSummary, renderSlackThread, type SlackMessage, type SlackThread } from '../render/slack.js';
import { renderSlackProgress, type ProgressContext, type ProgressPhase } from '../render/slack-progress.js';
import { rerunValue } from '../slack/rerun.js';
import { diffFindings, toFindingRefs } from '../summary/diff.js';
import { threadId, type StateRegistry } from '../state/registry.js';
import { refIdentity, type AlertThread, type JobProgress } from '../state/state.js';
import { checkJobAccess, type WorkerAccess } from './access.js';

export interface RunJobDeps {
  cluster: string;
  engine: EngineDeps;
  poster: ThreadPoster;
  /** What the worker remembers between jobs (a ConfigMap in-cluster; memory for local runs). */
  state: StateRegistry;
  logger: Log;
  /** Receives at which a failure is posted to the requester instead of being retried. */
  maxAttempts: number;
  onFindings?: (findings: readonly Pick<Finding, 'code' | 'status'>[]) => void;
  /** Aborted at the job's deadline: from then on this attempt gathers and posts nothing more. */
  signal?: AbortSignal;
  /** Where probes leave from when the target names no client (the worker's node), for the progress parent. */
  from?: string;
  /** Least time between two edits of the progress parent; default PROGRESS_INTERVAL_MS. */
  progressIntervalMs?: number;
  /** The access policy, checked again here; unset only where there is none (tests of other things). */
  access?: WorkerAccess;
}

/** Slack's pace for one channel: about one message (post or edit) a second. */
export const PROGRESS_INTERVAL_MS = 1_000;

export type JobOutcome = { status: Report['status'] | 'duplicate' | 'refused'; posted: { channel: string; ts: string } | null };

/**
 * Where this job's answer goes, once known: the thread, the parent the job may edit (its own
 * progress parent, or a re-run's original parent), and how many messages already landed there.
 */
interface OpenThread {
  channel: string;
  threadTs: string;
  parentTs?: string;
  posted: number;
  /** The alert group's thread existed before this job (the job adds to it). */
  alertThread?: AlertThread;
  resumed: boolean;
  /** The parent shows this job's progress already (it was just posted as such). */
  showsProgress?: true;
}

/**
 * Runs one job and posts its result. Throws to ask for a retry (the queue redelivers); on the
 * last attempt a failure is posted instead, so no request ends in silence.
 *
 * Every message is recorded in the state store before the next one goes out (the progress parent
 * first of all), so a redelivery after a crash or the deadline edits the same parent and posts
 * only what is missing: one thread per job.
 */
export async function runJob(job: Job, attempt: number, deps: RunJobDeps): Promise<JobOutcome> {
  const log = deps.logger;
  const { signal } = deps;
  let seen: boolean;
  let progress: JobProgress | undefined;
  try {
    seen = await deps.state.seen(job.id);
    progress = seen ? undefined : await deps.state.progressOf(job.id);
  } catch (error) {
    // The state store is down: retry while attempts remain; on the last one the requester, who
    // was told results would come, hears why instead of silence (a rare duplicate beats that).
    if (attempt < deps.maxAttempts) throw error;
    log.error('state store unreadable on the last attempt; telling the requester', { jobId: job.id, error: String(error) });
    return { status: 'error', posted: await postFailure(job, deps, `netcheck could not read its state (${errorText(error)}), so this job was not run`) };
  }
  if (seen) {
    log.info('job already answered; skipping redelivery', { jobId: job.id });
    return { status: 'duplicate', posted: null };
  }
  if (job.cluster !== deps.cluster) {
    // A misrouted job will never succeed here: answer instead of retrying it into the DLQ.
    const posted = await postFailure(job, deps, `this worker serves cluster "${deps.cluster}", not "${job.cluster}"`);
    await rememberAnswered(job, deps);
    return { status: 'error', posted };
  }
  const readScope = deps.engine.readScope;
  const outside = readScope ? namespacesOutsideScope(job.target, readScope) : [];
  if (readScope && outside.length) {
    // Not a failure to retry: its Roles will not reach that namespace on any attempt.
    log.warn('job outside the namespaced scope refused', { jobId: job.id, outside, scope: readScope.namespaces });
    await tellRefusal(job, outsideScopeRefusal(outside, readScope), deps);
    await rememberAnswered(job, deps);
    return { status: 'refused', posted: null };
  }
  let scoped = deps.engine;
  let summaryKey = job.cluster;
  if (deps.access) {
    const access = await checkJobAccess(job, deps.access, log);
    if (!access.allowed) {
      await tellRefusal(job, access.refusal, deps);
      await rememberAnswered(job, deps);
      return { status: 'refused', posted: null };
    }
    if (access.visible) scoped = { ...scoped, visible: access.visible };
    // A scoped sweep is compared with the last sweep of the same scope, not the whole cluster's.
    if (access.scopeKey) summaryKey = access.scopeKey;
  }

  if (job.action) {
    // A button: the worker's answer is a note (or the full checks) in the clicked thread.
    try {
      const posted = await runAction(job, job.action, deps);
      await rememberAnswered(job, deps);
      return { status: 'ok', posted };
    } catch (error) {
      if (attempt < deps.maxAttempts) throw error;
      const posted = await postFailure(job, deps, errorText(error));
      await rememberAnswered(job, deps);
      return { status: 'error', posted };
    }
  }

  const progressCtx: ProgressContext = {
    target: targetLabel(job.target),
    cluster: job.cluster,
    ...(!('from' in job.target && job.target.from) && deps.from ? { from: deps.from } : {}),
    ...(job.requester.id ? { requester: `<@${job.requester.id}>` } : job.requester.name ? { requester: escapeMrkdwn(job.requester.name) } : {}),
    resumed: progress !== undefined,
  };
  let open: OpenThread | 'response_url';
  try {
    open = await openThread(job, progress, progressCtx, deps);
  } catch (error) {
    if (!canUseResponseUrl(job, error)) throw error;
    open = 'response_url';
  }
  if (progress) log.info('resuming a job whose answer is partly posted', { jobId: job.id, attempt, ts: progress.threadTs, posted: progress.posted });

  const updates = progressUpdates(open === 'response_url' ? undefined : open, progressCtx, deps);
  const target = onCluster(job.target, job.cluster);
  let thread: SlackThread;
  let status: Report['status'];
  let report: Report | undefined;
  let sweep: SweepReport | undefined;
  try {
    // Slack silences hold in the channel they were made in: every report for that channel honours them.
    const silences = await deps.state.silences();
    const engine: EngineDeps = {
      ...engineWithSilences(scoped, silences, job.reply.channel),
      onPhase: (phase) => {
        // Stops the engine at its next phase once the deadline passed; abortable() stops waiting at once.
        signal?.throwIfAborted();
        deps.engine.onPhase?.(phase);
        updates.phase(phase);
      },
    };
    const result = await abortable(run(target, engine), signal);
    if (result.kind === 'sweep') {
      const swept = result;
      // Every sweep compares with the cluster's last one, whatever triggered either.
      const { summary, since } = await withChanges(swept, summaryKey, deps);
      thread = renderSlackSummary(summary, {
        cluster: job.cluster,
        title: job.trigger === 'schedule' ? 'Daily network summary' : job.trigger === 'channel' ? 'Network baseline for this incident' : undefined,
        rerunValue: rerunValue(job),
        silences: silenceListings(silences, job.reply.channel, new Date()),
        firstSeen: (code, subject) => since[refIdentity({ code, subject })],
      });
      sweep = summary;
      status = summary.status;
      deps.onFindings?.([...summary.clusterFindings, ...summary.problems.flatMap((p) => p.findings)]);
    } else {
      report = result;
      thread = renderSlackThread(result, {
        cluster: job.cluster,
        requester: job.requester.id ? `<@${job.requester.id}>` : job.requester.name,
        trigger: job.trigger,
        buttons: { target: job.target, cluster: job.cluster, ...(job.alert ? { incidentThread: threadId(alertThreadKey(job)) } : {}) },
      });
      status = result.status;
      deps.onFindings?.(result.findings);
    }
  } catch (error) {
    await updates.settled();
    if (attempt < deps.maxAttempts) throw error;
    log.error('job failed on its last attempt; telling the requester', { jobId: job.id, error: String(error) });
    const posted = await postFailure(job, deps, errorText(error), open === 'response_url' ? undefined : open);
    await rememberAnswered(job, deps);
    return { status: 'error', posted };
  }
  await updates.settled();

  let posted: { channel: string; ts: string };
  if (open === 'response_url') {
    posted = (await viaResponseUrl(job, thread, deps))!;
  } else {
    try {
      posted = await deliver(job, open, thread, report ?? sweep, deps);
    } catch (error) {
      // The bot left the channel between the parent and the replies: the requester still hears.
      if (!canUseResponseUrl(job, error)) throw error;
      posted = (await viaResponseUrl(job, thread, deps))!;
    }
  }
  await rememberAnswered(job, deps);
  log.info('job answered', { jobId: job.id, status, channel: posted.channel, ts: posted.ts });
  return { status, posted };
}

/**
 * Finds or makes the thread: a redelivery takes the one it recorded; a re-run goes under the
 * original parent; an alert goes into its group's incident thread; anything else posts a progress
 * parent now, and records its ts before anything else is posted.
 */
async function openThread(job: Job, progress: JobProgress | undefined, ctx: ProgressContext, deps: RunJobDeps): Promise<OpenThread> {
  if (progress) {
    const alertThread = job.alert ? await deps.state.threadFor(alertThreadKey(job)) : undefined;
    const ownsGroupThread = alertThread !== undefined && alertThread.ts === progress.parentTs;
    return {
      channel: progress.channel,
      threadTs: progress.threadTs,
      ...(progress.parentTs ? { parentTs: progress.parentTs } : {}),
      posted: progress.posted,
      ...(alertThread && !ownsGroupThread ? { alertThread } : {}),
      resumed: true,
    };
  }
  const channel = job.reply.channel;
  if (job.reply.threadTs) return { channel, threadTs: job.reply.threadTs, parentTs: job.reply.threadTs, posted: 0, resumed: false };
  if (job.alert) {
    const key = alertThreadKey(job);
    const existing = await deps.state.threadFor(key);
    if (existing) return { channel: existing.channel, threadTs: existing.ts, posted: 0, alertThread: existing, resumed: false };
    const ts = await deps.poster.postMessage(channel, renderSlackProgress('gather', ctx), { signal: deps.signal });
    // The group's thread first: the other targets' jobs of this notification go into it.
    await deps.state.rememberThread(key, { channel, ts, status: job.alert.status });
    await recordProgress(job, { channel, threadTs: ts, parentTs: ts, posted: 0 }, deps);
    return { channel, threadTs: ts, parentTs: ts, posted: 0, resumed: false, showsProgress: true };
  }
  const ts = await deps.poster.postMessage(channel, renderSlackProgress('gather', ctx), { signal: deps.signal });
  await recordProgress(job, { channel, threadTs: ts, parentTs: ts, posted: 0 }, deps);
  return { channel, threadTs: ts, parentTs: ts, posted: 0, resumed: false, showsProgress: true };
}

/**
 * A failed progress write must not stop the answer (the requester is waiting); the price is
 * that a crash right after it could repeat a message. Logged, so the cause is visible.
 */
async function recordProgress(job: Job, progress: Omit<JobProgress, 'at'>, deps: RunJobDeps): Promise<void> {
  try {
    await deps.state.saveProgress(job.id, progress);
  } catch (error) {
    deps.logger.warn("could not record the answer's progress; a redelivery may repeat a message", { jobId: job.id, error: String(error) });
  }
}

/**
 * Edits the parent as phases finish, at most once per PROGRESS_INTERVAL_MS: Slack allows about
 * one message a second per channel, and the parent, its edits and the replies all draw on it, so
 * a job that finishes quickly shows no phase edits at all (its verdict is the next edit) instead
 * of waiting out 429s. Edits coalesce to the latest phase and run one at a time; a failed edit is
 * logged, never fatal. `settled` drops an edit not yet due and waits for one in flight.
 */
function progressUpdates(open: OpenThread | undefined, ctx: ProgressContext, deps: RunJobDeps): { phase(phase: ProgressPhase): void; settled(): Promise<void> } {
  const interval = deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  // A re-run's parent still shows the last verdict, a resumed one whatever the last attempt left.
  let shown: ProgressPhase | undefined = open?.showsProgress ? 'gather' : undefined;
  let wanted: ProgressPhase | undefined;
  let lastAt = open?.showsProgress ? performance.now() : -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = Promise.resolve();
  const send = () => {
    timer = undefined;
    const next = wanted;
    if (!open?.parentTs || !next || next === shown || deps.signal?.aborted) return;
    shown = next;
    lastAt = performance.now();
    inFlight = deps.poster.updateMessage(open.channel, open.parentTs, renderSlackProgress(next, ctx), { signal: deps.signal }).catch((error: unknown) => {
      deps.logger.warn('could not update the progress parent', { channel: open.channel, ts: open.parentTs, error: String(error) });
    });
  };
  return {
    phase(phase) {
      if (!open?.parentTs) return;
      wanted = phase;
      if (timer) return;
      timer = setTimeout(() => void inFlight.then(send), Math.max(0, lastAt + interval - performance.now()));
    },
    async settled() {
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

/**
 * Puts the verdict where the job's answer goes: the final edit of the parent it owns, then the
 * messages not yet recorded as posted, each recorded before the next goes out.
 */
async function deliver(job: Job, open: OpenThread, thread: SlackThread, result: Report | SweepReport | undefined, deps: RunJobDeps): Promise<{ channel: string; ts: string }> {
  const { channel, threadTs } = open;
  const problems = problemFingerprints(result);
  const messages = threadMessages(job, open, thread, result, problems);
  if (open.parentTs) {
    try {
      await deps.poster.updateMessage(channel, open.parentTs, thread.parent, { signal: deps.signal });
    } catch (error) {
      // A parent someone deleted, or one that is not ours: the replies still carry the verdict.
      if (!(error instanceof SlackPostError) || !['message_not_found', 'cant_update_message'].includes(error.code)) throw error;
      deps.logger.warn('could not put the verdict on the parent; it goes into the thread only', { channel, ts: open.parentTs, code: error.code });
      if (!job.reply.threadTs) messages.unshift(thread.parent);
    }
  }
  for (let i = open.posted; i < messages.length; i++) {
    await deps.poster.postMessage(channel, messages[i]!, { threadTs, signal: deps.signal });
    await recordProgress(job, { channel, threadTs, ...(open.parentTs ? { parentTs: open.parentTs } : {}), posted: i + 1 }, deps);
  }
  if (job.alert) {
    const key = alertThreadKey(job);
    await deps.state.rememberThread(key, { channel, ts: threadTs, status: job.alert.status, target: targetKey(job.target) });
    await deps.state.recordNotification(key, problems);
  }
  return { channel, ts: threadTs };
}

/** The messages after the parent, in order: the same list on every attempt, so counts resume. */
function threadMessages(job: Job, open: OpenThread, thread: SlackThread, result: Report | SweepReport | undefined, problems: readonly string[]): SlackMessage[] {
  // A re-run keeps its own verdict in the thread too: the parent shows only the latest one.
  if (job.reply.threadTs) return [thread.parent, ...thread.replies];
  const group = open.alertThread;
  if (!job.alert || !group) return [...thread.replies];
  const report = result?.kind === 'diagnosis' ? result : undefined;
  // Another target of the alert group: its diagnosis is a section of the incident thread.
  const reported = group.targets?.includes(targetKey(job.target)) ?? false;
  if (job.alert.status === 'resolved' && report && reported) {
    return [renderSlackFollowUp({ kind: 'resolved', alertName: job.alert.alertnames[0], report })];
  }
  // A re-fired target whose re-check finds nothing the thread has not announced gets one line, not
  // the whole report again (stable finding ids); a problem gone since, or one after the group
  // resolved (by Alertmanager or the Resolved button), is news and is posted whole.
  const announced = group.announced ?? {};
  const unchanged =
    reported &&
    result !== undefined &&
    job.alert.status === 'firing' &&
    group.lastStatus === 'firing' &&
    problems.every((p) => announced[p] !== undefined) &&
    (problems.length > 0 || Object.keys(announced).length === 0);
  if (unchanged) {
    const verdict = report ? verdictLine(report) : `${result.status} — ${plural(problems.length, 'known problem')}`;
    return [
      renderSlackFollowUp({
        kind: 'unchanged',
        since: group.firstAt ?? group.at,
        notification: (group.notifications ?? 1) + 1,
        status: result.status,
        verdict,
        alertNames: job.alert.alertnames,
        count: job.alert.count,
        silenced: result.silences?.silenced ?? 0,
        ...(group.acknowledged ? { acknowledgedBy: group.acknowledged.by } : {}),
      }),
    ];
  }
  const note = reported ? [renderSlackFollowUp({ kind: 'more-alerts', count: job.alert.count, alertNames: job.alert.alertnames })] : [];
  return [...note, thread.parent, ...thread.replies];
}

function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('job aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Best effort once the answer is posted: failing the job now would have SQS redeliver it and the
 * requester see the thread twice, which is worse than a duplicate after a rare state outage.
 */
async function rememberAnswered(job: Job, deps: RunJobDeps): Promise<void> {
  try {
    await deps.state.markSeen(job.id);
  } catch (error) {
    deps.logger.warn('could not record the job as answered', { jobId: job.id, error: String(error) });
  }
}

/**
 * The sweep with what changed since the last one of the same scope, and since when each current
 * problem has been seen (the same code on the same subject is the same problem, whatever its text says).
 */
async function withChanges(report: SweepReport, key: string, deps: RunJobDeps): Promise<{ summary: SweepReport; since: Record<string, string> }> {
  const current = toFindingRefs(report);
  const previous = await deps.state.lastSummary(key);
  const before = new Set(previous?.findings.map(refIdentity) ?? []);
  const since = Object.fromEntries(
    current.map((ref) => {
      const id = refIdentity(ref);
      return [id, previous?.since?.[id] ?? (before.has(id) ? previous!.at : report.startedAt)];
    }),
  );
  await deps.state.saveSummary(key, { at: report.startedAt, findings: current, since });
  if (!previous) return { summary: report, since };
  return { summary: { ...report, changes: { since: previous.at, ...diffFindings(previous.findings, current) } }, since };
}

/** Fingerprints of the problems a report announces (silenced ones are not announced). */
function problemFingerprints(result: Report | SweepReport | undefined): string[] {
  if (!result) return [];
  const findings = result.kind === 'sweep' ? [...result.clusterFindings, ...result.problems.flatMap((p) => p.findings)] : result.findings;
  return [...new Set(findings.filter((f) => isProblem(f) && !f.silenced).map((f) => findingFingerprint(f.id)))];
}

/**
 * The answer when there is no report. Into the job's own thread when it has one (the parent is
 * edited to say so); sent without the deadline's signal, because on the last attempt no
 * redelivered copy will answer instead.
 */
async function postFailure(job: Job, deps: RunJobDeps, reason: string, open?: OpenThread): Promise<{ channel: string; ts: string }> {
  const message = renderSlackJobFailure({ target: describeTarget(job.target), cluster: job.cluster, reason });
  const channel = open?.channel ?? job.reply.channel;
  try {
    if (open?.parentTs && !job.reply.threadTs) {
      await deps.poster.updateMessage(channel, open.parentTs, message);
      return { channel, ts: open.parentTs };
    }
    const threadTs = open?.threadTs ?? job.reply.threadTs;
    if (threadTs) return { channel, ts: await deps.poster.postReply(channel, threadTs, message) };
    return { channel, ts: await deps.poster.postMessage(channel, message) };
  } catch (error) {
    if (!canUseResponseUrl(job, error)) throw error;
    return (await viaResponseUrl(job, { parent: message, replies: [] }, deps))!;
  }
}

/**
 * The requester hears a refusal privately while their response_url lasts; a job without one
 * (a button, an injected message) gets the audit line and the metric, and nothing in the channel.
 */
async function tellRefusal(job: Job, refusal: string, deps: RunJobDeps): Promise<void> {
  const url = job.reply.responseUrl;
  if (!url || Date.now() - Date.parse(job.requestedAt) > RESPONSE_URL_TTL_MS) return;
  const text = `:no_entry: ${escapeMrkdwn(refusal)}`;
  try {
    await postToResponseUrl(url, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  } catch (error) {
    deps.logger.warn('could not tell the requester about a refusal', { jobId: job.id, error: String(error) });
  }
}

/** A channel the bot is not in and cannot join (private channels, DMs), with a live response_url. */
function canUseResponseUrl(job: Job, error: unknown): boolean {
  return error instanceof SlackPostError && error.code === 'not_in_channel' && !!job.reply.responseUrl && Date.now() - Date.parse(job.requestedAt) <= RESPONSE_URL_TTL_MS;
}

/**
 * The slash command's response_url still reaches the requester, privately, for 30 minutes and
 * five posts — the parent, the first replies, and how to get threads (invite the bot). Null when
 * it does not apply.
 */
async function viaResponseUrl(job: Job, thread: SlackThread, deps: RunJobDeps): Promise<{ channel: string; ts: string } | null> {
  const url = job.reply.responseUrl;
  if (!url) return null;
  const invite: SlackMessage = {
    text: 'netcheck is not in this channel, so this answer is visible to you only. Invite it with /invite @netcheck to get threads here.',
    blocks: [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: ':lock: netcheck is not in this channel, so this answer is visible to you only. `/invite @netcheck` to get threads here.' }],
      },
    ],
  };
  const messages = [thread.parent, ...thread.replies.slice(0, RESPONSE_URL_USES - 2), invite];
  for (const message of messages) await postToResponseUrl(url, message);
  deps.logger.info('answered through the response_url: the bot is not in the channel', { jobId: job.id, channel: job.reply.channel, messages: messages.length });
  return { channel: job.reply.channel, ts: 'response_url' };
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
