import { authorize } from '../lib/access/authorize.js';
import { lambdaEntry } from '../lib/build-once.js';
import type { HandlerConfig } from '../lib/config.js';
import { bodyText, isAuthorized, jsonResponse, type HttpEvent, type HttpResult } from '../lib/http/api-gateway.js';
import { AlertChannelError, alertChannel, jobsFromAlerts, parseAlertChannels, parseAlertmanagerPayload } from '../lib/jobs/alerts.js';
import type { Log } from '../lib/observability/logger.js';
import type { JobQueue } from '../lib/queue/sqs.js';

// POST /alerts — the Alertmanager webhook receiver. Alertmanager retries 5xx and drops 4xx, so
// 4xx is only for requests that would fail the same way again (bad auth, bad payload); anything
// that is our fault (configuration, queue down) is 5xx so the alert is not lost.

export interface AlertsHandlerDeps {
  config: Pick<HandlerConfig, 'routing' | 'incidentChannel' | 'access'>;
  /** Alertmanager receiver name → Slack channel id (NETCHECK_ALERT_CHANNELS). */
  receiverChannels: Record<string, string>;
  queueFor(cluster: string): JobQueue;
  /** The shared secret Alertmanager presents (ALERTMANAGER_TOKEN, env or SSM). */
  token(): Promise<string>;
  logger: Log;
  now?: () => Date;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="netcheck", Basic realm="netcheck"' };

export function createAlertsHandler(deps: AlertsHandlerDeps): (event: HttpEvent) => Promise<HttpResult> {
  return async (event) => {
    const method = event.requestContext?.http?.method;
    if (method && method !== 'POST') return jsonResponse(405, { error: `method ${method} not allowed: POST an Alertmanager webhook payload` }, { allow: 'POST' });

    let expected: string;
    try {
      expected = await deps.token();
    } catch (error) {
      deps.logger.error('alert webhook token unavailable', { error: String(error) });
      return jsonResponse(500, { error: `server misconfigured: ${(error as Error).message}` });
    }
    if (!isAuthorized(event, expected)) {
      deps.logger.warn('alert webhook rejected: bad or missing credentials');
      return jsonResponse(401, { error: 'missing or wrong credentials: send Authorization: Bearer <token> or basic auth with the token as password' }, CHALLENGE);
    }

    const parsed = parseAlertmanagerPayload(bodyText(event));
    if (!parsed.ok) {
      deps.logger.warn('alert webhook rejected: invalid payload', { reason: parsed.error });
      return jsonResponse(400, { error: parsed.error });
    }
    const payload = parsed.value;

    let channel: string;
    try {
      channel = alertChannel(payload, { receiverChannels: deps.receiverChannels, incidentChannel: deps.config.incidentChannel });
    } catch (error) {
      if (!(error instanceof AlertChannelError)) throw error;
      deps.logger.error('alert has no usable Slack channel', { receiver: payload.receiver, reason: error.message });
      if (error.fault === 'alert') return jsonResponse(422, { error: error.message });
      return jsonResponse(500, { error: `server misconfigured: ${error.message}` });
    }

    const mapped = jobsFromAlerts(payload, { routing: deps.config.routing, channel, now: deps.now?.() });
    const { alerts } = mapped;
    const notes = [...mapped.notes];
    // A report goes only to a channel whose scope covers its target: the routed channel, else the
    // incident channel, else nowhere (a 200 with a note: retrying would not change the policy).
    const jobs = mapped.jobs.flatMap((item) => {
      const { job } = item;
      const candidates = [...new Set([job.reply.channel, ...(deps.config.incidentChannel ? [deps.config.incidentChannel] : [])])];
      for (const candidate of candidates) {
        const access = authorize({
          policy: deps.config.access,
          log: deps.logger,
          at: 'alert',
          channel: candidate,
          automated: true,
          target: job.target,
          cluster: job.cluster,
          trigger: 'alert',
          jobId: job.id,
        });
        if (!access.refusal) return [candidate === job.reply.channel ? item : { ...item, job: { ...job, reply: { ...job.reply, channel: candidate } } }];
      }
      notes.push(
        `not queued: no channel among ${candidates.join(', ')} may see ${job.target.kind === 'svc' || job.target.kind === 'dns' ? `namespace ${job.target.namespace}` : job.target.kind} on cluster ${job.cluster}`,
      );
      return [];
    });
    try {
      // Batched per cluster queue, in the order Alertmanager grouped them.
      for (const cluster of new Set(jobs.map(({ job }) => job.cluster))) {
        const items = jobs.filter(({ job }) => job.cluster === cluster).map(({ job, deduplicationId, groupId }) => ({ job, opts: { deduplicationId, groupId } }));
        await deps.queueFor(cluster).sendBatch(items);
      }
    } catch (error) {
      deps.logger.error('could not queue alert jobs; Alertmanager will retry', { groupKey: payload.groupKey, error: String(error) });
      return jsonResponse(503, { error: 'queue unavailable, retry later' }, { 'retry-after': '30' });
    }

    const queued = jobs.map(({ job, deduplicationId }) => ({
      id: job.id,
      cluster: job.cluster,
      target: job.target,
      status: job.alert?.status,
      alerts: job.alert?.count,
      deduplicationId,
    }));
    deps.logger.info('alert jobs queued', { groupKey: payload.groupKey, status: payload.status, alerts, jobs: queued.length, notes });
    return jsonResponse(200, { queued: jobs.length, alerts, deduplicated: alerts - jobs.length, jobs: queued, notes });
  };
}

async function fromEnvironment(): Promise<(event: HttpEvent) => Promise<HttpResult>> {
  const [{ loadHandlerConfig }, { resolveSecret }, { createQueueRouter, createSqsClient }, { createLogger }] = await Promise.all([
    import('../lib/config.js'),
    import('../lib/secrets.js'),
    import('../lib/queue/sqs.js'),
    import('../lib/observability/logger.js'),
  ]);
  const config = loadHandlerConfig(process.env);
  return createAlertsHandler({
    config,
    receiverChannels: parseAlertChannels(process.env.NETCHECK_ALERT_CHANNELS),
    queueFor: createQueueRouter(createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }), config.routing.queues),
    token: () => resolveSecret('ALERTMANAGER_TOKEN', config.env),
    logger: createLogger('alerts'),
  });
}

/** Lambda entry point; configuration is read on the first request, and a bad one answers 500 until fixed. */
export const handler = lambdaEntry(fromEnvironment, (error) => jsonResponse(500, { error: `server misconfigured: ${error.message}` }));
