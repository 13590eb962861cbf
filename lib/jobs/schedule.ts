import * as z from 'zod';
import type { Routing } from '../config.js';
import { SLACK_CHANNEL_ID } from './alerts.js';
import { dnsLabel } from '../model/index.js';
import { createJob, formatZodError, type Job } from './schema.js';

// EventBridge schedule → the daily summary job. Two shapes arrive:
//   - the rule's `input:` JSON as configured in serverless.yml: { cluster, channel, time? }
//     (`time` only when an input transformer passes `<time>` through);
//   - the raw Scheduled Event { "detail-type": "Scheduled Event", time, … } when no input is set,
//     with cluster and channel from NETCHECK_SUMMARY_CLUSTER / NETCHECK_SUMMARY_CHANNEL.
// Invalid input throws: the async invocation is retried by Lambda, then lands in the function's
// on-failure destination / DLQ, whose alarm tells the operator what is misconfigured.

export class ScheduleInputError extends Error {
  override name = 'ScheduleInputError';
}

const channelId = z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id (C…/G…)');

const customInputSchema = z.strictObject({
  cluster: dnsLabel.optional(),
  channel: channelId.optional(),
  time: z.iso.datetime({ offset: true }).optional(),
});

const scheduledEventSchema = z.object({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events').optional(),
  id: z.string().optional(),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string()).optional(),
  detail: z.unknown().optional(),
});

export interface ScheduleDefaults {
  routing: Routing;
  /** NETCHECK_SUMMARY_CHANNEL: where summaries go when the input names no channel. */
  summaryChannel?: string;
  /** NETCHECK_SUMMARY_CLUSTER: cluster when the input names none (else the default cluster). */
  summaryCluster?: string;
  now?: Date;
}

export interface ScheduledJob {
  job: Job;
  deduplicationId: string;
}

/** Cluster and channel defaults from the environment, validated so a typo fails at the first run with its name. */
export function scheduleDefaultsFromEnv(env: Record<string, string | undefined>): Pick<ScheduleDefaults, 'summaryChannel' | 'summaryCluster'> {
  const channel = env.NETCHECK_SUMMARY_CHANNEL || undefined;
  const cluster = env.NETCHECK_SUMMARY_CLUSTER || undefined;
  if (channel !== undefined && !SLACK_CHANNEL_ID.test(channel)) throw new ScheduleInputError(`NETCHECK_SUMMARY_CHANNEL "${channel}" is not a Slack channel id (C…/G…)`);
  if (cluster !== undefined && !dnsLabel.safeParse(cluster).success) throw new ScheduleInputError(`NETCHECK_SUMMARY_CLUSTER "${cluster}" is not a DNS label`);
  return { summaryChannel: channel, summaryCluster: cluster };
}

/**
 * The summary job for one scheduled run. The job id and deduplication id derive from the cluster
 * and the scheduled time, so a duplicate delivery is dropped by SQS (within 5 minutes) and
 * recognised by the worker's seen-id registry (after). Without a time in the input the current
 * hour stands in: schedules fire on the hour and duplicates follow within seconds.
 */
export function jobFromSchedule(input: unknown, defaults: ScheduleDefaults): ScheduledJob {
  let cluster: string | undefined;
  let channel: string | undefined;
  let time: string | undefined;
  let source: string;

  if (input && typeof input === 'object' && 'detail-type' in input) {
    const parsed = scheduledEventSchema.safeParse(input);
    if (!parsed.success) throw new ScheduleInputError(`invalid EventBridge scheduled event: ${formatZodError(parsed.error)}`);
    time = parsed.data.time;
    source = 'eventbridge';
  } else {
    const parsed = customInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new ScheduleInputError(`invalid schedule input (expected {"cluster": "<name>", "channel": "C…"} from the schedule's input): ${formatZodError(parsed.error)}`);
    }
    ({ cluster, channel, time } = parsed.data);
    source = 'schedule';
  }

  cluster ??= defaults.summaryCluster ?? defaults.routing.defaultCluster;
  if (!defaults.routing.queues[cluster]) {
    throw new ScheduleInputError(`schedule names cluster "${cluster}", which has no queue in NETCHECK_QUEUES (${Object.keys(defaults.routing.queues).join(', ')})`);
  }
  channel ??= defaults.summaryChannel;
  if (!channel) throw new ScheduleInputError('schedule has no Slack channel: set "channel" in the schedule input or NETCHECK_SUMMARY_CHANNEL');

  const now = defaults.now ?? new Date();
  const scheduledAt = time ? new Date(time) : floorToHour(now);
  const stamp = scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const id = `summary-${cluster}-${stamp}`;
  const job = createJob({
    id,
    trigger: 'schedule',
    target: { kind: 'cluster' },
    cluster,
    requestedAt: now.toISOString(),
    requester: { name: 'daily summary', source },
    reply: { channel },
  });
  return { job, deduplicationId: id };
}

function floorToHour(date: Date): Date {
  const copy = new Date(date);
  copy.setUTCMinutes(0, 0, 0);
  return copy;
}
