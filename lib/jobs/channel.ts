import * as z from 'zod';
import { SLACK_CHANNEL_ID } from './alerts.js';
import { createJob, type Job } from './schema.js';

// A Slack channel whose name marks it as an incident channel (`inc-…`, `incident-…`) gets a cluster
// sweep posted into it as soon as it is created, before anyone asks. The poster joins the channel
// first (`conversations.join`): a bot cannot post into a public channel it is not a member of.

const channelCreatedSchema = z.object({
  type: z.literal('channel_created'),
  channel: z.object({
    id: z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id'),
    name: z.string().min(1).max(80),
    created: z.number().optional(),
    creator: z.string().max(64).optional(),
  }),
});

export interface ChannelCreatedContext {
  /** Events API `event_id`: Slack re-sends the same id on retries (`X-Slack-Retry-Num`). */
  eventId: string;
  /** Channel name prefixes that mark incident channels (NETCHECK_INCIDENT_PREFIXES). */
  prefixes: string[];
  /** Cluster to sweep (the default cluster, or the one mapped to the channel). */
  cluster: string;
  now?: Date;
}

export type ChannelCreatedOutcome = { job: Job; deduplicationId: string } | { ignored: string };

export function jobFromChannelCreated(event: unknown, ctx: ChannelCreatedContext): ChannelCreatedOutcome {
  const parsed = channelCreatedSchema.safeParse(event);
  if (!parsed.success) {
    return { ignored: `not a channel_created event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}` };
  }
  const { channel } = parsed.data;
  const name = channel.name.toLowerCase();
  const prefix = ctx.prefixes.find((p) => p && name.startsWith(p.toLowerCase()));
  if (!prefix) return { ignored: `channel #${channel.name} does not start with an incident prefix (${ctx.prefixes.join(', ')})` };

  // Slack retries carry the same event_id; the channel id is as unique when a retry lacks one.
  const deduplicationId = ctx.eventId ? `slack-event:${ctx.eventId}` : `channel-created:${channel.id}`;
  const job = createJob({
    id: `channel-${channel.id}`,
    trigger: 'channel',
    target: { kind: 'cluster' },
    cluster: ctx.cluster,
    requestedAt: (ctx.now ?? new Date()).toISOString(),
    requester: { id: channel.creator, source: 'slack' },
    reply: { channel: channel.id },
  });
  return { job, deduplicationId };
}
