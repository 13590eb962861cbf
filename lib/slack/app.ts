import { App, AwsLambdaReceiver, LogLevel, type BlockAction, type SlackActionMiddlewareArgs } from '@slack/bolt';
import type * as z from 'zod';
import { authorize } from '../access/authorize.js';
import { escapeMrkdwn } from '../render/mrkdwn.js';
import { refuseAction } from './action-access.js';
import { jobFromChannelCreated } from '../jobs/channel.js';
import { buildJob, type Job, type JobAction } from '../jobs/schema.js';
import type { TargetSpec } from '../model/index.js';
import type { SendOptions } from '../queue/sqs.js';
import { handleSlashCommand, type SlashCommandDeps } from './commands.js';
import { throttledText } from './throttle.js';
import { ACTION_IDS, actionValueSchemas, parseActionValue } from './actions.js';

/** A button click, read and checked: where it came from and who made it. */
interface Click {
  actionId: string;
  channel: string;
  /** The thread the clicked message belongs to (its own ts for a parent). */
  threadTs: string;
  user: { id?: string; name?: string };
  triggerId?: string;
  /** Answers the clicker privately. */
  tell: (text: string) => Promise<void>;
}

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

  /**
   * Every click that starts work goes through here, once its value is parsed: one place to
   * authorise who may ask what, then queue it. A replayed click carries the same trigger_id, so
   * SQS FIFO keeps one message for 5 minutes.
   */
  const startWork = async (click: Click, fields: { trigger: 'rerun' | 'button'; target: TargetSpec; cluster: string; action?: JobAction }): Promise<void> => {
    if (!deps.routing.queues[fields.cluster]) {
      await click.tell(`:warning: cluster "${fields.cluster}" is no longer configured.`);
      return;
    }
    // The clicker is checked, in the channel of the click, for what the button asks: a button's
    // value and the original requester's permission are no proof.
    const refusal = refuseAction(deps, {
      ...(click.user.id ? { user: click.user.id } : {}),
      channel: click.channel,
      action: fields.action?.kind ?? fields.trigger,
      target: fields.target,
      cluster: fields.cluster,
    });
    if (refusal) {
      await click.tell(`:no_entry: ${refusal}`);
      return;
    }
    const built = buildJob({
      trigger: fields.trigger,
      target: fields.target,
      cluster: fields.cluster,
      requester: { ...(click.user.id ? { id: click.user.id } : {}), ...(click.user.name ? { name: click.user.name } : {}), source: 'slack' },
      reply: { channel: click.channel, threadTs: click.threadTs },
      ...(fields.action ? { action: fields.action } : {}),
    });
    if (!built.ok) {
      await click.tell(`:warning: netcheck cannot take this click: ${built.error}`);
      return;
    }
    const allowed = deps.throttle?.take({ user: built.value.requester.id ?? 'unknown', channel: click.channel }) ?? { ok: true };
    if (!allowed.ok) {
      deps.log.warn('button click throttled', { user: built.value.requester.id, channel: click.channel, actionId: click.actionId, scope: allowed.scope, limit: allowed.limit });
      await click.tell(throttledText(allowed));
      return;
    }
    try {
      await enqueue(built.value, click.triggerId ? { deduplicationId: `${click.actionId}-${click.triggerId}` } : undefined);
    } catch (error) {
      deps.log.error('could not queue a button click', { actionId: click.actionId, error: String(error) });
      await click.tell(':x: netcheck could not queue that; try again shortly.');
    }
  };

  /** Acks first (Slack allows 3 s), then reads the click; an unusable one is answered, never a 500. */
  const onClick =
    <T>(schema: z.ZodType<T>, act: (click: Click, value: T) => Promise<void>) =>
    async ({ ack, body, action, respond }: SlackActionMiddlewareArgs<BlockAction> & { ack: () => Promise<void> }) => {
      await ack();
      const tell = async (text: string) => {
        try {
          // Escaped: a refusal or a target name must never ping <!channel> or a person.
          await respond({ response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) });
        } catch (error) {
          deps.log.warn('could not answer a button click', { error: String(error) });
        }
      };
      const raw = 'value' in action && typeof action.value === 'string' ? action.value : '';
      const value = parseActionValue(schema, raw);
      const channel = body.channel?.id;
      const message = (body as { message?: { ts?: unknown; thread_ts?: unknown } }).message;
      const threadTs = typeof message?.thread_ts === 'string' ? message.thread_ts : typeof message?.ts === 'string' ? message.ts : undefined;
      if (value === undefined || !channel || !threadTs) {
        await tell(':warning: This button is out of date; run the command again.');
        return;
      }
      // A payload without a user (or with odd fields) is answered, not thrown into a 500.
      const user = (body as { user?: { id?: unknown; name?: unknown } }).user;
      const triggerId = (body as { trigger_id?: unknown }).trigger_id;
      await act(
        {
          actionId: action.action_id,
          channel,
          threadTs,
          user: { ...(typeof user?.id === 'string' ? { id: user.id } : {}), ...(typeof user?.name === 'string' ? { name: user.name } : {}) },
          ...(typeof triggerId === 'string' ? { triggerId } : {}),
          tell,
        },
        value,
      );
    };

  // The legacy action id stays "rerun": its value and the dedup id prefix are unchanged for old messages.
  app.action(
    ACTION_IDS.rerun,
    onClick(actionValueSchemas.target, (click, v) => startWork({ ...click, actionId: 'rerun' }, { trigger: 'rerun', target: v.target, cluster: v.cluster })),
  );
  app.action(
    ACTION_IDS.showChecks,
    onClick(actionValueSchemas.target, (click, v) => startWork(click, { trigger: 'button', target: v.target, cluster: v.cluster, action: { kind: 'show-checks' } })),
  );
  app.action(
    new RegExp(`^${ACTION_IDS.silence}_(1h|1d|7d)$`),
    onClick(actionValueSchemas.silence, (click, v) =>
      startWork(click, { trigger: 'button', target: v.target, cluster: v.cluster, action: { kind: 'silence', scope: v.scope, duration: v.duration } }),
    ),
  );
  app.action(
    ACTION_IDS.unsilence,
    onClick(actionValueSchemas.unsilence, (click, v) =>
      startWork(click, { trigger: 'button', target: v.target, cluster: v.cluster, action: { kind: 'unsilence', silenceId: v.silenceId } }),
    ),
  );
  app.action(
    ACTION_IDS.acknowledge,
    onClick(actionValueSchemas.incident, (click, v) =>
      startWork(click, { trigger: 'button', target: v.target, cluster: v.cluster, action: { kind: 'acknowledge', thread: v.thread } }),
    ),
  );
  app.action(
    ACTION_IDS.resolve,
    onClick(actionValueSchemas.incident, (click, v) =>
      startWork(click, { trigger: 'button', target: v.target, cluster: v.cluster, action: { kind: 'resolve', thread: v.thread } }),
    ),
  );
  // A link button opens its URL in the browser and still sends a click, which must be acknowledged.
  app.action(ACTION_IDS.docs, async ({ ack }) => {
    await ack();
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
    const access = authorize({
      policy: deps.access,
      log: deps.log,
      at: 'door',
      channel: result.job.reply.channel,
      automated: true,
      target: result.job.target,
      cluster: result.job.cluster,
      trigger: 'channel',
      jobId: result.job.id,
    });
    if (access.refusal) return;
    // A failure here throws: Bolt answers 500 and Slack retries the event; the FIFO
    // deduplication id (the event id) keeps retries that did land from doubling the report.
    await enqueue(result.job, { deduplicationId: result.deduplicationId });
  });

  return { receiver };
}
