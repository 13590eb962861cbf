import { randomBytes } from 'node:crypto';
import { run, type EngineDeps } from '../engine.js';
import type { Job, JobAction } from '../jobs/schema.js';
import { isExpired, type Silence } from '../model/index.js';
import { escapeMrkdwn, inlineCode, mention } from '../render/mrkdwn.js';
import { renderSlackAllChecks, renderSlackNote, renderSlackSilences, shortTime, type SilenceListing, type SlackMessage } from '../render/slack.js';
import { scopeLabel, SILENCE_DURATIONS } from '../slack/actions.js';
import type { StoredSilence } from '../state/state.js';
import type { RunJobDeps } from './run-job.js';

// What the buttons do, on the worker's side: it alone holds the state store and the bot token.
// Each action answers in the thread the button was clicked in, so everyone there sees who did what.

/** The silences a report for this channel must honour: the engine's own (files, chart) and this channel's Slack ones. */
export function engineWithSilences(engine: EngineDeps, slack: readonly StoredSilence[], channel: string): EngineDeps {
  return { ...engine, silences: { list: [...(engine.silences?.list ?? []), ...slack.filter((s) => s.channel === channel)], channel } };
}

/** The live Slack silences of a channel, as the daily summary lists them. */
export function silenceListings(silences: readonly StoredSilence[], channel: string, now: Date): SilenceListing[] {
  return silences
    .filter((s) => s.channel === channel && !isExpired(s, now))
    .map((s) => ({
      id: s.id,
      code: s.codes?.join(', ') || 'every code',
      scope: scopeLabel(s),
      ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
      ...(s.createdBy ? { createdBy: s.createdBy } : {}),
    }));
}

const who = (job: Job): string => job.requester.id ?? job.requester.name ?? 'someone';

export async function runAction(job: Job, action: JobAction, deps: RunJobDeps): Promise<{ channel: string; ts: string }> {
  const channel = job.reply.channel;
  const threadTs = job.reply.threadTs;
  const note = await actionNote(job, action, deps);
  // A click answers in its thread; a slash command (silences, unsilence) with a message of its own.
  const ts = threadTs ? await deps.poster.postReply(channel, threadTs, note) : (await deps.poster.postThread(channel, { parent: note, replies: [] })).ts;
  deps.logger.info('button handled', { jobId: job.id, action: action.kind, channel, ts });
  return { channel, ts };
}

async function actionNote(job: Job, action: JobAction, deps: RunJobDeps): Promise<SlackMessage> {
  const by = mention(who(job));
  const now = new Date();
  switch (action.kind) {
    case 'show-checks': {
      if (job.target.kind === 'cluster')
        return renderSlackNote(':warning: Show all checks is for one target; a cluster summary lists its problems in the thread.', 'Show all checks is for one target');
      const silences = await deps.state.silences();
      const report = await run({ ...job.target, cluster: job.cluster }, engineWithSilences(deps.engine, silences, job.reply.channel));
      return renderSlackAllChecks(report);
    }
    case 'silence': {
      const { scope, duration } = action;
      const expiresAt = new Date(now.getTime() + SILENCE_DURATIONS[duration]).toISOString();
      const silence: StoredSilence = {
        id: `s-${randomBytes(4).toString('hex')}`,
        codes: [scope.code],
        ...(scope.kind ? { kind: scope.kind } : {}),
        ...(scope.namespace ? { namespace: scope.namespace } : {}),
        ...(scope.name ? { name: scope.name } : {}),
        reason: `silenced from Slack for ${duration}`,
        expiresAt,
        createdBy: who(job),
        createdAt: now.toISOString(),
        channel: job.reply.channel,
      } satisfies Silence;
      await deps.state.addSilence(silence);
      const what = `${inlineCode(escapeMrkdwn(scope.code))} on *${escapeMrkdwn(scopeLabel(scope))}*`;
      return renderSlackNote(
        `:no_bell: ${by} silenced ${what} in this channel until ${shortTime(expiresAt)} (${inlineCode(silence.id)}). Alert reports and daily summaries here show it as silenced; the daily summary lists it with an Unsilence button.`,
        `${who(job)} silenced ${scope.code} on ${scopeLabel(scope)} until ${shortTime(expiresAt)}`,
      );
    }
    case 'list-silences':
      return renderSlackSilences(silenceListings(await deps.state.silences(), job.reply.channel, now), job.cluster);
    case 'unsilence': {
      const removed = await deps.state.removeSilence(action.silenceId);
      if (!removed)
        return renderSlackNote(
          `:information_source: Silence ${inlineCode(escapeMrkdwn(action.silenceId))} is already gone (removed, or expired over a week ago).`,
          `Silence ${action.silenceId} is already gone`,
        );
      const what = `${inlineCode(escapeMrkdwn(removed.codes?.join(', ') || 'every code'))} on *${escapeMrkdwn(scopeLabel(removed))}*`;
      return renderSlackNote(`:bell: ${by} removed silence ${inlineCode(removed.id)}: ${what} counts again here.`, `${who(job)} removed silence ${removed.id}`);
    }
    case 'acknowledge':
    case 'resolve': {
      const mark = action.kind === 'acknowledge' ? 'acknowledged' : 'resolved';
      const thread = await deps.state.markIncident(action.thread, mark, who(job));
      if (!thread)
        return renderSlackNote(':information_source: netcheck no longer tracks this incident thread (idle for a week); nothing to mark.', 'Incident thread no longer tracked');
      return mark === 'acknowledged'
        ? renderSlackNote(
            `:raised_hand: Acknowledged by ${by} at ${shortTime(now.toISOString())}. Further notifications keep coming into this thread.`,
            `Acknowledged by ${who(job)}`,
          )
        : renderSlackNote(
            `:white_check_mark: Marked resolved by ${by} at ${shortTime(now.toISOString())}. A new notification for this group re-checks and reports here.`,
            `Marked resolved by ${who(job)}`,
          );
    }
  }
}
