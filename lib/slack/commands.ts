import { authorize } from '../access/authorize.js';
import type { AccessPolicy } from '../access/policy.js';
import type { Routing } from '../config.js';
import { escapeMrkdwn } from '../render/mrkdwn.js';
import { parseCommand, USAGE } from '../jobs/command.js';
import { describeTarget } from '../model/index.js';
import { buildJob } from '../jobs/schema.js';
import type { Log } from '../observability/logger.js';
import type { JobQueue } from '../queue/sqs.js';
import { throttledText, type Throttle } from './throttle.js';

// The /netcheck slash command: validate, route to a cluster, enqueue, and say so. Shared by the
// lean commands handler (the hot path: no Bolt loaded) and the Bolt app (one URL for everything).

export interface SlashCommandFields {
  text?: string;
  channel_id: string;
  user_id: string;
  user_name?: string;
  response_url?: string;
  /** Unique per invocation: a replay of the same signed request carries the same one. */
  trigger_id?: string;
}

export interface SlashCommandDeps {
  routing: Routing;
  access: AccessPolicy;
  queueFor: (cluster: string) => JobQueue;
  log: Log;
  /** Per-user and per-channel limits; none = unlimited. */
  throttle?: Throttle;
}

export interface EphemeralReply {
  response_type: 'ephemeral';
  text: string;
}

/**
 * Every ephemeral answer is plain text escaped for mrkdwn: errors quote what was typed, and Slack
 * sends "@channel" as `<!channel>`, which must not ping anyone when echoed back.
 */
export const ephemeral = (text: string): EphemeralReply => ({ response_type: 'ephemeral', text: escapeMrkdwn(text) });

export function resolveCluster(routing: Routing, requested: string | undefined, channel: string): { cluster: string } | { error: string } {
  const cluster = requested ?? routing.channelClusters[channel] ?? routing.defaultCluster;
  if (routing.queues[cluster]) return { cluster };
  return { error: `unknown cluster "${cluster}". Known clusters: ${Object.keys(routing.queues).sort().join(', ')}` };
}

export async function handleSlashCommand(command: SlashCommandFields, deps: SlashCommandDeps): Promise<EphemeralReply> {
  const parsed = parseCommand(command.text ?? '');
  if (!parsed.ok) return ephemeral(`:warning: ${parsed.error}\n\`\`\`${USAGE}\`\`\``);
  if (parsed.kind === 'help') return ephemeral(`\`\`\`${USAGE}\`\`\``);
  const routed = resolveCluster(deps.routing, parsed.cluster, command.channel_id);
  if ('error' in routed) return ephemeral(`:warning: ${routed.error}`);
  // Decided before anything is queued; what only the worker can know (groups, namespace labels)
  // it decides again there.
  // Listing and removing silences is judged as a cluster-wide request: it concerns the channel.
  const asked = parsed.kind === 'target' ? parsed.target : ({ kind: 'cluster' } as const);
  const access = authorize({
    policy: deps.access,
    log: deps.log,
    at: 'door',
    channel: command.channel_id,
    user: command.user_id,
    target: asked,
    cluster: routed.cluster,
    trigger: 'slash',
  });
  if (access.refusal) return ephemeral(`:no_entry: ${access.refusal}`);
  // Silences live in the worker's state: listing or removing one is a job like any other.
  const action =
    parsed.kind === 'silences' ? { kind: 'list-silences' as const } : parsed.kind === 'unsilence' ? { kind: 'unsilence' as const, silenceId: parsed.silenceId } : undefined;
  const built = buildJob({
    trigger: 'slash',
    target: asked,
    ...(action ? { action } : {}),
    cluster: routed.cluster,
    requester: { id: command.user_id, ...(command.user_name ? { name: command.user_name } : {}), source: 'slack' },
    // Slack always sends one; an empty value is a client that has none, not a malformed URL.
    reply: { channel: command.channel_id, ...(command.response_url ? { responseUrl: command.response_url } : {}) },
  });
  if (!built.ok) return ephemeral(`:warning: netcheck cannot take this request: ${built.error}. Nothing was queued.`);
  const job = built.value;
  const allowed = deps.throttle?.take({ user: command.user_id, channel: command.channel_id }) ?? { ok: true };
  if (!allowed.ok) {
    deps.log.warn('slash command throttled', { user: command.user_id, channel: command.channel_id, scope: allowed.scope, limit: allowed.limit });
    return ephemeral(throttledText(allowed));
  }
  try {
    // SQS FIFO drops a second message with the same id for 5 minutes — Slack's replay window.
    await deps.queueFor(job.cluster).send(job, command.trigger_id ? { deduplicationId: `slash-${command.trigger_id}` } : {});
  } catch (error) {
    deps.log.error('could not queue job', { jobId: job.id, error: String(error) });
    return ephemeral(':x: netcheck could not queue this check (the job queue is unavailable). Please try again in a minute.');
  }
  deps.log.info('job queued', { jobId: job.id, trigger: job.trigger, target: job.target, cluster: job.cluster });
  if (action)
    return ephemeral(
      `:no_bell: Asking cluster ${job.cluster}'s worker${action.kind === 'unsilence' ? ` to remove silence ${action.silenceId}` : ' for the silences of this channel'}… the answer will appear here.`,
    );
  return ephemeral(`:mag: Checking ${describeTarget(job.target)} on cluster ${job.cluster}… results will appear here in a thread.`);
}
