import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { Routing } from '../config.js';
import { parseCommand, USAGE } from '../jobs/command.js';
import { createJob, describeTarget, type Job } from '../jobs/schema.js';
import { parseRerunValue } from './rerun.js';
import type { JobQueue, SendOptions } from '../queue/sqs.js';
import { jobFromChannelCreated } from '../jobs/channel.js';


export interface SlackAppDeps {
  signingSecret: string;
  routing: Routing;
  queueFor: (cluster: string) => JobQueue;
  incidentPrefixes: string[];
  log: { info(message: string, ...extra: Record<string, unknown>[]): void; error(message: string, ...extra: Record<string, unknown>[]): void };
}

export function resolveCluster(routing: Routing, requested: string | undefined, channel: string): { cluster: string } | { error: string } {
  const cluster = requested ?? routing.channelClusters[channel] ?? routing.defaultCluster;
  if (routing.queues[cluster]) return { cluster };
  return { error: `unknown cluster "${cluster}". Known clusters: ${Object.keys(routing.queues).sort().join(', ')}` };
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
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: `:warning: ${parsed.error}\n\`\`\`${USAGE}\`\`\`` });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: `\`\`\`${USAGE}\`\`\`` });
      return;
    }
    const routed = resolveCluster(deps.routing, parsed.cluster, command.channel_id);
    if ('error' in routed) {
      await ack({ response_type: 'ephemeral', text: `:warning: ${routed.error}` });
      return;
    }
    const job = createJob({
      trigger: 'slash',
      target: parsed.target,
      cluster: routed.cluster,
      requester: { id: command.user_id, name: command.user_name, source: 'slack' },
      reply: { channel: command.channel_id, responseUrl: command.response_url },
    });
    try {
      await enqueue(job);
    } catch (error) {
      deps.log.error('could not queue job', { jobId: job.id, error: String(error) });
      await ack({ response_type: 'ephemeral', text: ':x: netcheck could not queue this check (the job queue is unavailable). Please try again in a minute.' });
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: `:mag: Checking ${describeTarget(job.target)} on cluster ${job.cluster}… results will appear here in a thread.`,
    });
  });

  app.action('netcheck_rerun', async ({ ack, body, action, respond }) => {
    await ack();
    const value = 'value' in action && typeof action.value === 'string' ? action.value : '';
    const rerun = parseRerunValue(value);
    const channel = body.channel?.id;
    const threadTs = 'message' in body ? (body.message?.thread_ts ?? body.message?.ts) : undefined;
    if (!rerun || !channel || !threadTs) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: This button is out of date; run the command again.' });
      return;
    }
    if (!deps.routing.queues[rerun.cluster]) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:warning: cluster "${rerun.cluster}" is no longer configured.` });
      return;
    }
    try {
      await enqueue(
        createJob({
          trigger: 'rerun',
          target: rerun.target,
          cluster: rerun.cluster,
          requester: { id: body.user.id, name: 'name' in body.user ? body.user.name : undefined, source: 'slack' },
          reply: { channel, threadTs },
        }),
      );
    } catch (error) {
      deps.log.error('could not queue re-run', { error: String(error) });
      await respond({ response_type: 'ephemeral', replace_original: false, text: ':x: netcheck could not queue the re-run; try again shortly.' });
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
    // A failure here throws: Bolt answers 500 and Slack retries the event; the FIFO
    // deduplication id (the event id) keeps retries that did land from doubling the report.
    await enqueue(result.job, { deduplicationId: result.deduplicationId });
  });

  return { receiver };
}
