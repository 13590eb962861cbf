import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { authorize } from '../access/authorize.js';
import { escapeMrkdwn } from '../render/mrkdwn.js';
import { refuseAction } from './actions.js';
import { jobFromChannelCreated } from '../jobs/channel.js';
import { buildJob, type Job } from '../jobs/schema.js';
import type { SendOptions } from '../queue/sqs.js';
import { handleSlashCommand, type SlashCommandDeps } from './commands.js';
import { parseRerunValue } from './rerun.js';
import { throttledText } from './throttle.js';

export interface SlackAppDeps extends SlashCommandDeps {
  signingSecret: string;
  incidentPrefixes: string[];
}

/**
 * Listeners only validate, enqueue and ack: AwsLambdaReceiver answers Slack after the listener
 * returns, and Slack gives us 3 seconds including a cold start. Everything slow is the worker's.
 */
export function createSlackApp(deps: SlackAppDeps): { receiver: AwsLambdaReceiver } {
  const receiver = new AwsLambdaReceiver({ signingSecret: deps.signingSecret, logLevel: LogLevel.WARN });
  const app = new App({
    receiver,
    // The handler never calls the Web API (the worker posts), so it needs no bot token and no
    // auth.test round trip on cold start.
    authorize: async () => ({}),
    logLevel: LogLevel.WARN,
  });

  const enqueue = async (job: Job, opts?: SendOptions) => {
    await deps.queueFor(job.cluster).send(job, opts);
    deps.log.info('job queued', { jobId: job.id, trigger: job.trigger, target: job.target, cluster: job.cluster });
  };

  app.command('/netcheck', async ({ command, ack }) => {
    await ack(await handleSlashCommand(command, deps));
  });

  app.action('netcheck_rerun', async ({ ack, body, action, respond }) => {
    await ack();
    // The click is acknowledged already; a response_url that fails must not turn it into a 500.
    const tell = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) });
      } catch (error) {
        deps.log.warn('could not answer a Re-run click', { error: String(error) });
      }
    };
    const value = 'value' in action && typeof action.value === 'string' ? action.value : '';
    const rerun = parseRerunValue(value);
    const channel = body.channel?.id;
    const threadTs = 'message' in body ? (body.message?.thread_ts ?? body.message?.ts) : undefined;
    if (!rerun || !channel || !threadTs) {
      await tell(':warning: This button is out of date; run the command again.');
      return;
    }
    if (!deps.routing.queues[rerun.cluster]) {
      await tell(`:warning: cluster "${rerun.cluster}" is no longer configured.`);
      return;
    }
    // A payload without a user (or with odd fields) is answered, not thrown into a 500.
    const user = (body as { user?: { id?: unknown; name?: unknown } }).user;
    const refusal = refuseAction(deps, { body, channel, action: 'rerun', target: rerun.target, cluster: rerun.cluster });
    if (refusal) {
      await tell(`:no_entry: ${refusal}`);
      return;
    }
    const built = buildJob({
      trigger: 'rerun',
      target: rerun.target,
      cluster: rerun.cluster,
      requester: { ...(typeof user?.id === 'string' ? { id: user.id } : {}), ...(typeof user?.name === 'string' ? { name: user.name } : {}), source: 'slack' },
      reply: { channel, threadTs },
    });
    if (!built.ok) {
      await tell(`:warning: netcheck cannot take this click: ${built.error}`);
      return;
    }
    const allowed = deps.throttle?.take({ user: built.value.requester.id ?? 'unknown', channel }) ?? { ok: true };
    if (!allowed.ok) {
      deps.log.warn('re-run throttled', { user: built.value.requester.id, channel, scope: allowed.scope, limit: allowed.limit });
      await tell(throttledText(allowed));
      return;
    }
    try {
      // A replayed click carries the same trigger_id: SQS FIFO keeps one message for 5 minutes.
      const triggerId = (body as { trigger_id?: unknown }).trigger_id;
      await enqueue(built.value, typeof triggerId === 'string' ? { deduplicationId: `rerun-${triggerId}` } : undefined);
    } catch (error) {
      deps.log.error('could not queue re-run', { error: String(error) });
      await tell(':x: netcheck could not queue the re-run; try again shortly.');
    }
  });

  app.event('channel_created', async ({ event, body }) => {
    const eventId = 'event_id' in body && typeof body.event_id === 'string' ? body.event_id : undefined;
    if (!eventId) return;
    const result = jobFromChannelCreated(event, {
      eventId,
      prefixes: deps.incidentPrefixes,
      cluster: deps.routing.defaultCluster,
    });
    if ('ignored' in result) {
      deps.log.info('channel_created ignored', { eventId, reason: result.ignored });
      return;
    }
    const access = authorize({ policy: deps.access, log: deps.log, at: 'door', channel: result.job.reply.channel, automated: true, target: result.job.target, cluster: result.job.cluster, trigger: 'channel', jobId: result.job.id });
    if (access.refusal) return;
    // A failure here throws: Bolt answers 500 and Slack retries the event; the FIFO
    // deduplication id (the event id) keeps retries that did land from doubling the report.
    await enqueue(result.job, { deduplicationId: result.deduplicationId });
  });

  return { receiver };
}
