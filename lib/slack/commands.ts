import type { Routing } from '../config.js';
import { parseCommand, USAGE } from '../jobs/command.js';
import { describeTarget } from '../model/index.js';
import { buildJob } from '../jobs/schema.js';
import type { Log } from '../observability/logger.js';
import type { JobQueue } from '../queue/sqs.js';

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
  queueFor: (cluster: string) => JobQueue;
  log: Log;
}

export interface EphemeralReply {
  response_type: 'ephemeral';
  text: string;
}

const ephemeral = (text: string): EphemeralReply => ({ response_type: 'ephemeral', text });

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
  // Silences live in the worker's state: listing or removing one is a job like any other.
  const action = parsed.kind === 'silences' ? { kind: 'list-silences' as const } : parsed.kind === 'unsilence' ? { kind: 'unsilence' as const, silenceId: parsed.silenceId } : undefined;
  const built = buildJob({
    trigger: 'slash',
    target: parsed.kind === 'target' ? parsed.target : { kind: 'cluster' },
    ...(action ? { action } : {}),
    cluster: routed.cluster,
    requester: { id: command.user_id, ...(command.user_name ? { name: command.user_name } : {}), source: 'slack' },
    // Slack always sends one; an empty value is a client that has none, not a malformed URL.
    reply: { channel: command.channel_id, ...(command.response_url ? { responseUrl: command.response_url } : {}) },
  });
  if (!built.ok) return ephemeral(`:warning: netcheck cannot take this request: ${built.error}. Nothing was queued.`);
  const job = built.value;
  try {
    // SQS FIFO drops a second message with the same id for 5 minutes — Slack's replay window.
    await deps.queueFor(job.cluster).send(job, command.trigger_id ? { deduplicationId: `slash-${command.trigger_id}` } : {});
  } catch (error) {
    deps.log.error('could not queue job', { jobId: job.id, error: String(error) });
    return ephemeral(':x: netcheck could not queue this check (the job queue is unavailable). Please try again in a minute.');
  }
  deps.log.info('job queued', { jobId: job.id, trigger: job.trigger, target: job.target, cluster: job.cluster });
  if (action) return ephemeral(`:no_bell: Asking cluster ${job.cluster}'s worker${action.kind === 'unsilence' ? ` to remove silence ${action.silenceId}` : ' for the silences of this channel'}… the answer will appear here.`);
  return ephemeral(`:mag: Checking ${describeTarget(job.target)} on cluster ${job.cluster}… results will appear here in a thread.`);
}
