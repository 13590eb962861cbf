import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import * as z from 'zod';
import type { Routing } from '../config.js';
import { parseCommand } from './command.js';
import { isDnsLabel, isDnsSubdomain, targetKey, type TargetSpec } from '../model/index.js';
import { createJob, parseJsonWith, type Job, type ParseResult } from './schema.js';

// Alertmanager webhook (payload version 4) → netcheck jobs. Pure: the handler does auth, I/O and
// queueing. An alert storm collapses twice: alerts of one notification that point at the same
// target become one job, and the job's SQS deduplication id is stable per (cluster, groupKey,
// target, status) so re-sent notifications within SQS's 5-minute window are dropped by the queue.

const labels = z.record(z.string(), z.string()).default({});

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels,
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string().min(1).max(4096),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(256).default(''),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string().max(2048).optional(),
  alerts: z.array(alertSchema).max(10_000),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
export type Alert = z.infer<typeof alertSchema>;

export function parseAlertmanagerPayload(body: string): ParseResult<AlertmanagerPayload> {
  return parseJsonWith(alertmanagerPayloadSchema, body, 'not an Alertmanager v4 payload: ');
}

/** `NETCHECK_ALERT_CHANNELS`: JSON object of Alertmanager receiver name → Slack channel id. */
export function parseAlertChannels(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('NETCHECK_ALERT_CHANNELS must be JSON: an object of Alertmanager receiver name → Slack channel id');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('NETCHECK_ALERT_CHANNELS must be a JSON object of Alertmanager receiver name → Slack channel id');
  }
  const out: Record<string, string> = {};
  for (const [receiver, channel] of Object.entries(value as Record<string, unknown>)) {
    if (typeof channel !== 'string' || !SLACK_CHANNEL_ID.test(channel)) {
      throw new Error(`NETCHECK_ALERT_CHANNELS: receiver "${receiver}" must map to a Slack channel id (C…/G…), got ${JSON.stringify(channel)}`);
    }
    out[receiver] = channel;
  }
  return out;
}

export const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

export class AlertChannelError extends Error {
  override name = 'AlertChannelError';
  /** `alert`: the alert itself names a bad channel (a 4xx: retrying cannot help); `config`: ours. */
  constructor(
    message: string,
    readonly fault: 'alert' | 'config',
  ) {
    super(message);
  }
}

/**
 * Where the alert's report goes: a `slack_channel` label or annotation, else the receiver's
 * configured channel, else the incident channel. Throws AlertChannelError when none is usable —
 * a channel we were not configured with is our fault (5xx, Alertmanager retries); a bad channel
 * in the alert itself is the alert's (4xx: a retry would fail the same way).
 */
export function alertChannel(payload: AlertmanagerPayload, config: { receiverChannels: Record<string, string>; incidentChannel?: string }): string {
  const fromAlert = payload.commonLabels.slack_channel ?? payload.commonAnnotations.slack_channel;
  if (fromAlert !== undefined) {
    if (SLACK_CHANNEL_ID.test(fromAlert)) return fromAlert;
    throw new AlertChannelError(`slack_channel "${clip(fromAlert)}" is not a Slack channel id (C…/G…); fix the alert rule's label`, 'alert');
  }
  const mapped = config.receiverChannels[payload.receiver];
  if (mapped) return mapped;
  if (config.incidentChannel) return config.incidentChannel;
  throw new AlertChannelError(
    `no Slack channel for receiver "${clip(payload.receiver)}": set a slack_channel label on the alert, map the receiver in NETCHECK_ALERT_CHANNELS, or set NETCHECK_INCIDENT_CHANNEL`,
    'config',
  );
}

export interface ResolvedTarget {
  target: TargetSpec;
  /** Set when the alert names a cluster explicitly (label or `--cluster` in netcheck_target). */
  cluster?: string;
  /** Why labels were ignored or how an unusual case was mapped; shown in the alert summary. */
  notes: string[];
}

/**
 * The target an alert points at, from (in order) the `netcheck_target` annotation (slash-command
 * grammar), `service` (+`namespace`), `node`, `instance` (port stripped, IPs skipped because they
 * are not node names), `pod` (+`namespace`). A pod alone cannot be checked directly: it becomes a
 * cluster sweep, whose report lists the failing Services that select the pod. Label values that
 * are not valid names are never sent to the API: they are skipped with a note.
 */
export function targetFromAlert(alertLabels: Record<string, string>, annotations: Record<string, string>): ResolvedTarget {
  const notes: string[] = [];
  const clusterLabel = alertLabels.cluster;

  const annotated = annotations.netcheck_target;
  if (annotated !== undefined) {
    const parsed = parseCommand(annotated, { namespace: validLabel(alertLabels.namespace) });
    if (parsed.ok && parsed.kind === 'target') return { target: parsed.target, cluster: parsed.cluster ?? clusterLabel, notes };
    notes.push(`netcheck_target "${clip(annotated)}" ignored: ${parsed.ok ? `it asks for ${parsed.kind}, not a target` : parsed.error}`);
  }

  const namespace = alertLabels.namespace;
  const namespaceOk = namespace === undefined || isDnsLabel(namespace);
  if (!namespaceOk) notes.push(`label namespace="${clip(namespace)}" ignored: not a DNS label`);

  const service = alertLabels.service;
  if (service !== undefined) {
    if (!isDnsLabel(service)) notes.push(`label service="${clip(service)}" ignored: not a DNS label`);
    else if (namespace === undefined) {
      notes.push('label service has no namespace label: assuming namespace "default"');
      return { target: { kind: 'svc', name: service, namespace: 'default' }, cluster: clusterLabel, notes };
    } else if (namespaceOk) return { target: { kind: 'svc', name: service, namespace }, cluster: clusterLabel, notes };
  }

  for (const key of ['node', 'instance'] as const) {
    const raw = alertLabels[key];
    if (raw === undefined) continue;
    const name = key === 'instance' ? stripPort(raw) : raw;
    if (isIP(name)) notes.push(`label ${key}="${clip(raw)}" ignored: an IP address, not a node name`);
    else if (!isDnsSubdomain(name)) notes.push(`label ${key}="${clip(raw)}" ignored: not a valid node name`);
    else return { target: { kind: 'node', name }, cluster: clusterLabel, notes };
  }

  const pod = alertLabels.pod;
  if (pod !== undefined && namespace !== undefined && namespaceOk) {
    notes.push(`pod ${clip(namespace)}/${clip(pod)} has no per-pod check: sweeping the cluster (see the Services that select it)`);
  }
  return { target: { kind: 'cluster' }, cluster: clusterLabel, notes };
}

/** SQS FIFO deduplication id: 64 hex characters, the same for every re-send of this group's state. */
export function alertDeduplicationId(cluster: string, groupKey: string, target: TargetSpec, status: 'firing' | 'resolved'): string {
  return createHash('sha256')
    .update([cluster, groupKey, targetKey(target), status].join('\n'))
    .digest('hex');
}

/**
 * Key of the Slack thread an alert group's reports go to: one incident thread per (cluster,
 * groupKey) — every target of the group, its follow-ups and resolutions are sections in it. The
 * worker passes it to the thread registry.
 */
export function alertThreadKey(job: Pick<Job, 'cluster' | 'alert'>): string {
  if (!job.alert) throw new Error('alertThreadKey needs an alert job');
  return [job.cluster, job.alert.groupKey].join('\n');
}

/**
 * SQS FIFO group of an alert group's jobs: they run one after another, so the first opens the
 * incident thread and the rest find it (two at once would each open one).
 */
export function alertMessageGroupId(cluster: string, groupKey: string): string {
  return `${cluster}:alert:${createHash('sha256').update(groupKey).digest('base64url').slice(0, 43)}`;
}

export interface AlertJob {
  job: Job;
  deduplicationId: string;
  groupId: string;
}

export interface AlertJobsResult {
  jobs: AlertJob[];
  alerts: number;
  notes: string[];
}

/**
 * One job per (cluster, target, status) among the notification's alerts. An alert's labels and
 * annotations are its own merged over the common ones. A `cluster` label naming a cluster we do
 * not route to falls back to the default cluster, and the summary says so.
 */
/** Distinct targets one notification checks individually; the rest share one sweep per cluster. */
export const MAX_TARGETS_PER_NOTIFICATION = 20;

export function jobsFromAlerts(payload: AlertmanagerPayload, ctx: { routing: Routing; channel: string; now?: Date }): AlertJobsResult {
  const requestedAt = (ctx.now ?? new Date()).toISOString();
  const notes = new Set<string>();
  const groups = new Map<string, { cluster: string; target: TargetSpec; status: 'firing' | 'resolved'; alerts: Alert[]; notes: Set<string> }>();

  for (const alert of payload.alerts) {
    const merged = { ...payload.commonLabels, ...alert.labels };
    const resolved = targetFromAlert(merged, { ...payload.commonAnnotations, ...alert.annotations });
    const groupNotes = new Set(resolved.notes);
    let cluster = ctx.routing.defaultCluster;
    if (resolved.cluster !== undefined) {
      if (ctx.routing.queues[resolved.cluster]) cluster = resolved.cluster;
      else groupNotes.add(`cluster "${clip(resolved.cluster)}" is not configured: checked on the default cluster "${cluster}"`);
    }
    const key = [cluster, targetKey(resolved.target), alert.status].join('\n');
    let group = groups.get(key);
    if (!group) {
      group = { cluster, target: resolved.target, status: alert.status, alerts: [], notes: new Set() };
      groups.set(key, group);
    }
    group.alerts.push(alert);
    for (const note of groupNotes) {
      group.notes.add(note);
      notes.add(note);
    }
  }

  // A notification naming hundreds of targets (a node failing under everything) becomes the first
  // targets' jobs and one sweep per cluster for the rest: the handler must answer in seconds.
  const kept = [...groups.values()].slice(0, MAX_TARGETS_PER_NOTIFICATION);
  const overflow = [...groups.values()].slice(MAX_TARGETS_PER_NOTIFICATION);
  for (const cluster of new Set(overflow.map((g) => g.cluster))) {
    const rest = overflow.filter((g) => g.cluster === cluster);
    const note = `${rest.length} more targets on cluster "${cluster}" than one notification checks one by one (${MAX_TARGETS_PER_NOTIFICATION}): one cluster sweep covers them`;
    notes.add(note);
    kept.push({ cluster, target: { kind: 'cluster' }, status: rest[0]?.status ?? 'firing', alerts: rest.flatMap((g) => g.alerts), notes: new Set([note]) });
  }

  const jobs: AlertJob[] = [];
  for (const group of kept) {
    const alertnames = [...new Set(group.alerts.map((a) => a.labels.alertname ?? payload.commonLabels.alertname).filter((n): n is string => !!n))]
      .slice(0, 50)
      .map((n) => n.slice(0, 256));
    const summaryLines = [
      firstSummary(payload, group.alerts),
      payload.truncatedAlerts > 0 ? `${payload.truncatedAlerts} more alerts in this group were truncated by Alertmanager.` : undefined,
      ...group.notes,
    ].filter((line): line is string => !!line);
    const job = createJob({
      trigger: 'alert',
      target: group.target,
      cluster: group.cluster,
      requestedAt,
      requester: { name: payload.receiver.slice(0, 256) || undefined, source: 'alertmanager' },
      reply: { channel: ctx.channel },
      alert: {
        groupKey: payload.groupKey.slice(0, 1024),
        status: group.status,
        receiver: payload.receiver.slice(0, 256) || undefined,
        alertnames,
        count: group.alerts.length,
        externalURL: payload.externalURL,
        summary: summaryLines.length ? summaryLines.join('\n').slice(0, 3000) : undefined,
      },
    });
    jobs.push({
      job,
      deduplicationId: alertDeduplicationId(group.cluster, payload.groupKey, group.target, group.status),
      groupId: alertMessageGroupId(group.cluster, payload.groupKey),
    });
  }
  return { jobs, alerts: payload.alerts.length, notes: [...notes] };
}

function firstSummary(payload: AlertmanagerPayload, alerts: Alert[]): string | undefined {
  const common = payload.commonAnnotations.summary ?? payload.commonAnnotations.description;
  if (common) return common;
  for (const alert of alerts) {
    const text = alert.annotations.summary ?? alert.annotations.description;
    if (text) return text;
  }
  return undefined;
}

function stripPort(instance: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1]!;
  if (isIP(instance)) return instance;
  return instance.replace(/:\d+$/, '');
}

function validLabel(value: string | undefined): string | undefined {
  return value !== undefined && isDnsLabel(value) ? value : undefined;
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
