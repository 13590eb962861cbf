import { run, type EngineDeps } from '../engine.js';
import { alertThreadKey } from '../jobs/alerts.js';
import type { Job } from '../jobs/schema.js';
import { describeTarget, findingFingerprint, onCluster, type Finding, type Report, type SweepReport } from '../model/index.js';
import { plural } from '../render/mrkdwn.js';
import { isProblem, verdictLine } from '../render/report-view.js';
import { engineWithSilences, runAction, silenceListings } from './actions.js';
import type { Log } from '../observability/logger.js';
import { postToResponseUrl, RESPONSE_URL_TTL_MS, RESPONSE_URL_USES, SlackPostError, type ThreadPoster } from '../post/slack.js';
import { renderSlackFollowUp, renderSlackJobFailure, renderSlackSummary, renderSlackThread, type SlackMessage, type SlackThread } from '../render/slack.js';
import { rerunValue } from '../slack/rerun.js';
import { diffFindings, toFindingRefs } from '../summary/diff.js';
import { threadId, type StateRegistry } from '../state/registry.js';
import { refIdentity } from '../state/state.js';

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
}

export type JobOutcome = { status: Report['status'] | 'duplicate'; posted: { channel: string; ts: string } | null };

/**
 * Runs one job and posts its result. Throws to ask for a retry (the queue redelivers); on the
 * last attempt a failure is posted instead, so no request ends in silence.
 */
export async function runJob(job: Job, attempt: number, deps: RunJobDeps): Promise<JobOutcome> {
  const log = deps.logger;
  let seen: boolean;
  try {
    seen = await deps.state.seen(job.id);
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
  const target = onCluster(job.target, job.cluster);
  let thread: SlackThread;
  let status: Report['status'];
  let report: Report | undefined;
  let sweep: SweepReport | undefined;
  try {
    // Slack silences hold in the channel they were made in: every report for that channel honours them.
    const silences = await deps.state.silences();
    const result = await run(target, engineWithSilences(deps.engine, silences, job.reply.channel));
    if (result.kind === 'sweep') {
      const swept = result;
      // Every sweep compares with the cluster's last one, whatever triggered either.
      const { summary, since } = await withChanges(swept, deps);
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
    if (attempt < deps.maxAttempts) throw error;
    log.error('job failed on its last attempt; telling the requester', { jobId: job.id, error: String(error) });
    const posted = await postFailure(job, deps, errorText(error));
    await rememberAnswered(job, deps);
    return { status: 'error', posted };
  }

  let posted: { channel: string; ts: string };
  try {
    posted = await postResult(job, thread, report ?? sweep, deps);
  } catch (error) {
    const fallback = await viaResponseUrl(job, thread, error, deps);
    if (!fallback) throw error;
    posted = fallback;
  }
  await rememberAnswered(job, deps);
  log.info('job answered', { jobId: job.id, status, channel: posted.channel, ts: posted.ts });
  return { status, posted };
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
 * The sweep with what changed since the cluster's last one, and since when each current problem
 * has been seen (the same code on the same subject is the same problem, whatever its text says).
 */
async function withChanges(report: SweepReport, deps: RunJobDeps): Promise<{ summary: SweepReport; since: Record<string, string> }> {
  const current = toFindingRefs(report);
  const previous = await deps.state.lastSummary(report.cluster);
  const before = new Set(previous?.findings.map(refIdentity) ?? []);
  const since = Object.fromEntries(
    current.map((ref) => {
      const key = refIdentity(ref);
      return [key, previous?.since?.[key] ?? (before.has(key) ? previous!.at : report.startedAt)];
    }),
  );
  await deps.state.saveSummary(report.cluster, { at: report.startedAt, findings: current, since });
  if (!previous) return { summary: report, since };
  return { summary: { ...report, changes: { since: previous.at, ...diffFindings(previous.findings, current) } }, since };
}

/** Fingerprints of the problems a report announces (silenced ones are not announced). */
function problemFingerprints(result: Report | SweepReport | undefined): string[] {
  if (!result) return [];
  const findings = result.kind === 'sweep' ? [...result.clusterFindings, ...result.problems.flatMap((p) => p.findings)] : result.findings;
  return [...new Set(findings.filter((f) => isProblem(f) && !f.silenced).map((f) => findingFingerprint(f.id)))];
}

/** Where the result goes: the re-run's thread, the alert group's thread, or a new thread. */
async function postResult(job: Job, thread: SlackThread, result: Report | SweepReport | undefined, deps: RunJobDeps): Promise<{ channel: string; ts: string }> {
  const report = result?.kind === 'diagnosis' ? result : undefined;
  const channel = job.reply.channel;
  if (job.reply.threadTs) {
    await deps.poster.postThread(channel, thread, { threadTs: job.reply.threadTs });
    return { channel, ts: job.reply.threadTs };
  }
  if (!job.alert) {
    const { ts } = await deps.poster.postThread(channel, thread);
    return { channel, ts };
  }
  const key = alertThreadKey(job);
  const existing = await deps.state.threadFor(key);
  const problems = problemFingerprints(result);
  if (!existing) {
    const { ts } = await deps.poster.postThread(channel, thread);
    await deps.state.rememberThread(key, { channel, ts, status: job.alert.status });
    await deps.state.recordNotification(key, problems);
    return { channel, ts };
  }
  // The group already has a thread: follow-ups go there instead of opening another one.
  // A problem gone since is news too: a report that was failing and is now clean is posted whole,
  // and so is the first one after the group resolved (by Alertmanager or the Resolved button).
  const announced = existing.announced ?? {};
  const unchanged = job.alert.status === 'firing' && existing.lastStatus === 'firing' && result !== undefined && problems.every((p) => announced[p] !== undefined) && (problems.length > 0 || Object.keys(announced).length === 0);
  if (job.alert.status === 'resolved' && report) {
    await deps.poster.postReply(existing.channel, existing.ts, renderSlackFollowUp({ kind: 'resolved', alertName: job.alert.alertnames[0], report }));
  } else if (unchanged) {
    // Nothing the thread has not announced: one line, not the whole thread again (stable finding ids).
    const notification = (existing.notifications ?? 1) + 1;
    const verdict = report ? verdictLine(report) : `${result.status} — ${plural(problems.length, 'known problem')}`;
    await deps.poster.postReply(
      existing.channel,
      existing.ts,
      renderSlackFollowUp({ kind: 'unchanged', since: existing.firstAt ?? existing.at, notification, status: result.status, verdict, alertNames: job.alert.alertnames, count: job.alert.count, silenced: result.silences?.silenced ?? 0, ...(existing.acknowledged ? { acknowledgedBy: existing.acknowledged.by } : {}) }),
    );
  } else {
    await deps.poster.postReply(
      existing.channel,
      existing.ts,
      renderSlackFollowUp({ kind: 'more-alerts', count: job.alert.count, alertNames: job.alert.alertnames }),
    );
    await deps.poster.postThread(existing.channel, thread, { threadTs: existing.ts });
  }
  await deps.state.rememberThread(key, { channel: existing.channel, ts: existing.ts, status: job.alert.status });
  await deps.state.recordNotification(key, problems);
  return { channel: existing.channel, ts: existing.ts };
}

async function postFailure(job: Job, deps: RunJobDeps, reason: string): Promise<{ channel: string; ts: string }> {
  const message = renderSlackJobFailure({ target: describeTarget(job.target), cluster: job.cluster, reason });
  const channel = job.reply.channel;
  try {
    if (job.reply.threadTs) return { channel, ts: await deps.poster.postReply(channel, job.reply.threadTs, message) };
    const { ts } = await deps.poster.postThread(channel, { parent: message, replies: [] });
    return { channel, ts };
  } catch (error) {
    const fallback = await viaResponseUrl(job, { parent: message, replies: [] }, error, deps);
    if (!fallback) throw error;
    return fallback;
  }
}

/**
 * A channel the bot is not in and cannot join (private channels, DMs): the slash command's
 * response_url still reaches the requester, privately, for 30 minutes and five posts — the
 * parent, the first replies, and how to get threads (invite the bot). Null when it does not apply.
 */
async function viaResponseUrl(job: Job, thread: SlackThread, error: unknown, deps: RunJobDeps): Promise<{ channel: string; ts: string } | null> {
  const url = job.reply.responseUrl;
  if (!(error instanceof SlackPostError) || error.code !== 'not_in_channel' || !url) return null;
  if (Date.now() - Date.parse(job.requestedAt) > RESPONSE_URL_TTL_MS) return null;
  const invite: SlackMessage = {
    text: 'netcheck is not in this channel, so this answer is visible to you only. Invite it with /invite @netcheck to get threads here.',
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: ':lock: netcheck is not in this channel, so this answer is visible to you only. `/invite @netcheck` to get threads here.' }] }],
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
