import { createServer, type AddressInfo } from 'node:net';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_TARGETS_PER_NOTIFICATION } from '../../lib/jobs/alerts.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createAlertsHandler, handler as lambdaHandler, type AlertsHandlerDeps } from '../../handlers/alerts.js';
import { loadHandlerConfig } from '../../lib/config.js';
import type { HttpEvent, HttpResult } from '../../lib/http/api-gateway.js';
import { parseJobBody, type Job } from '../../lib/jobs/schema.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

// The webhook handler against a real SQS FIFO emulator on loopback: what Alertmanager sends goes
// through auth, validation, grouping and SQS deduplication, and we count what lands on the queue.

const TOKEN = 'am-webhook-secret-0123456789';
const FIRING_END = '0001-01-01T00:00:00Z';

let sqs: SqsEmulator;
let queues: { prod: string; staging: string };
let run = 0;

beforeAll(async () => {
  sqs = await startSqsEmulator();
});
afterAll(async () => {
  await sqs?.close();
});
beforeEach(async () => {
  // Fresh queues per test: FIFO deduplication must not leak between cases.
  run++;
  queues = {
    prod: (await sqs.createQueue(`alerts-prod-${run}.fifo`)).queueUrl,
    staging: (await sqs.createQueue(`alerts-staging-${run}.fifo`)).queueUrl,
  };
});

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

function makeHandler(overrides: Partial<AlertsHandlerDeps> & { env?: Record<string, string> } = {}) {
  const config = loadHandlerConfig({
    NETCHECK_QUEUES: JSON.stringify(queues),
    NETCHECK_DEFAULT_CLUSTER: 'prod',
    NETCHECK_INCIDENT_CHANNEL: 'C0INCIDENT',
    ...overrides.env,
  });
  return createAlertsHandler({
    config,
    receiverChannels: { 'netcheck-shop': 'C0SHOPOPS' },
    queueFor: (cluster) => new JobQueue(sqs.client, config.routing.queues[cluster]!),
    token: async () => TOKEN,
    logger: recordingLogger(),
    ...overrides,
  });
}

interface AlertSpec {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

function payload(opts: {
  status?: 'firing' | 'resolved';
  receiver?: string;
  groupKey?: string;
  alerts: AlertSpec[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  truncatedAlerts?: number;
}) {
  const status = opts.status ?? 'firing';
  return {
    version: '4',
    groupKey: opts.groupKey ?? '{}/{severity="page"}:{alertname="ServiceDown", service="payments"}',
    truncatedAlerts: opts.truncatedAlerts ?? 0,
    status,
    receiver: opts.receiver ?? 'netcheck-shop',
    groupLabels: { alertname: 'ServiceDown' },
    commonLabels: opts.commonLabels ?? {},
    commonAnnotations: opts.commonAnnotations ?? {},
    externalURL: 'http://alertmanager.monitoring:9093',
    alerts: opts.alerts.map((a, i) => ({
      status: a.status ?? status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: '2026-11-26T06:00:00Z',
      endsAt: (a.status ?? status) === 'firing' ? FIRING_END : '2026-11-26T06:30:00Z',
      generatorURL: 'http://prometheus.monitoring:9090/graph',
      fingerprint: `fp${i.toString(16).padStart(14, '0')}`,
    })),
  };
}

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, base64 = false): HttpEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    headers: { 'content-type': 'application/json', ...headers },
    body: base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: base64,
    requestContext: { http: { method: 'POST' } },
  };
}

/** Everything on the queue now. FIFO groups lock until delete, so receive-and-delete until empty. */
async function drain(queueUrl: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (;;) {
    const out = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return jobs;
    for (const m of messages) {
      const parsed = parseJobBody(m.Body ?? '');
      if (!parsed.ok) throw new Error(`queue holds an invalid job: ${parsed.error}`);
      jobs.push(parsed.value);
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

const body = (res: HttpResult) => JSON.parse(res.body) as Record<string, unknown>;

const payments = (extra: Record<string, string> = {}) => ({ alertname: 'ServiceDown', service: 'payments', namespace: 'shop', ...extra });

describe('Alertmanager webhook', () => {
  it('queues one svc job for a firing group, routed to the receiver channel', async () => {
    const handle = makeHandler();
    const res = await handle(
      post(
        payload({
          alerts: [{ labels: payments({ pod: 'payments-1' }) }, { labels: payments({ pod: 'payments-2', alertname: 'HighErrorRate' }) }],
          commonAnnotations: { summary: 'payments is down' },
        }),
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({ queued: 1, alerts: 2, deduplicated: 1 });
    const jobs = await drain(queues.prod);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({
      trigger: 'alert',
      cluster: 'prod',
      target: { kind: 'svc', name: 'payments', namespace: 'shop' },
      reply: { channel: 'C0SHOPOPS' },
      requester: { source: 'alertmanager', name: 'netcheck-shop' },
      alert: { status: 'firing', count: 2, receiver: 'netcheck-shop', externalURL: 'http://alertmanager.monitoring:9093' },
    });
    expect(job.reply.threadTs).toBeUndefined();
    expect(job.alert?.alertnames.sort()).toEqual(['HighErrorRate', 'ServiceDown']);
    expect(job.alert?.summary).toContain('payments is down');
    expect(await drain(queues.staging)).toEqual([]);
  });

  it('turns a storm of 200 alerts over 20 notifications of one group into exactly one queued job', async () => {
    const handle = makeHandler();
    const notifications = Array.from({ length: 20 }, (_, n) =>
      payload({ alerts: Array.from({ length: 10 }, (_, i) => ({ labels: payments({ pod: `payments-${n * 10 + i}` }) })) }),
    );
    const responses = await Promise.all(notifications.map((p) => handle(post(p))));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const dedupIds = new Set(responses.flatMap((r) => (body(r).jobs as { deduplicationId: string }[]).map((j) => j.deduplicationId)));
    expect(dedupIds.size).toBe(1);
    const jobs = await drain(queues.prod);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.alert?.count).toBe(10);
  });

  it('queues the resolved notification of a group separately from its firing one', async () => {
    const handle = makeHandler();
    expect((await handle(post(payload({ alerts: [{ labels: payments() }] })))).statusCode).toBe(200);
    expect((await handle(post(payload({ status: 'resolved', alerts: [{ labels: payments() }] })))).statusCode).toBe(200);
    expect((await handle(post(payload({ status: 'resolved', alerts: [{ labels: payments() }] })))).statusCode).toBe(200);
    const jobs = await drain(queues.prod);
    expect(jobs.map((j) => j.alert?.status)).toEqual(['firing', 'resolved']);
    expect(jobs[0]!.alert?.groupKey).toBe(jobs[1]!.alert?.groupKey);
  });

  it('splits a grouped notification by target and cluster, and says what it could not use', async () => {
    const handle = makeHandler();
    const res = await handle(
      post(
        payload({
          groupKey: '{}:{alertname="NetworkTrouble"}',
          truncatedAlerts: 7,
          alerts: [
            { labels: payments({ alertname: 'NetworkTrouble' }) },
            { labels: { alertname: 'NetworkTrouble', instance: 'node-2.internal:9100' } },
            { labels: { alertname: 'NetworkTrouble', instance: '10.0.3.7:9100' } },
            { labels: { alertname: 'NetworkTrouble', service: 'Payments_API', namespace: 'shop' } },
            { labels: { alertname: 'NetworkTrouble', node: 'node-5', cluster: 'staging' } },
            { labels: { alertname: 'NetworkTrouble', node: 'node-6', cluster: 'moon' } },
            { labels: { alertname: 'NetworkTrouble', pod: 'web-1', namespace: 'shop' } },
            { status: 'resolved', labels: { alertname: 'NetworkTrouble', node: 'node-2.internal' } },
          ],
        }),
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({ queued: 6, alerts: 8 });
    const prod = await drain(queues.prod);
    const summarize = (j: Job) => `${j.alert?.status} ${JSON.stringify(j.target)}`;
    expect(prod.map(summarize).sort()).toEqual(
      [
        'firing {"kind":"svc","name":"payments","namespace":"shop"}',
        'firing {"kind":"node","name":"node-2.internal"}',
        'firing {"kind":"cluster"}',
        'firing {"kind":"node","name":"node-6"}',
        'resolved {"kind":"node","name":"node-2.internal"}',
      ].sort(),
    );
    const sweep = prod.find((j) => j.target.kind === 'cluster')!;
    expect(sweep.alert?.count).toBe(3);
    expect(sweep.alert?.summary).toContain('10.0.3.7:9100');
    expect(sweep.alert?.summary).toContain('Payments_API');
    expect(sweep.alert?.summary).toContain('pod shop/web-1');
    expect(sweep.alert?.summary).toContain('7 more alerts');
    expect(prod.find((j) => j.target.kind === 'node' && j.target.name === 'node-6')?.alert?.summary).toContain('cluster "moon" is not configured');
    const staging = await drain(queues.staging);
    expect(staging.map((j) => j.target)).toEqual([{ kind: 'node', name: 'node-5' }]);
  });

  it('lets a netcheck_target annotation override the labels and a slack_channel label pick the channel', async () => {
    const handle = makeHandler();
    const res = await handle(
      post(
        payload({
          commonLabels: { slack_channel: 'C0PAGER' },
          alerts: [{ labels: payments(), annotations: { netcheck_target: 'svc checkout -n shop --cluster staging' } }],
        }),
      ),
    );
    expect(res.statusCode).toBe(200);
    const [job] = await drain(queues.staging);
    expect(job).toMatchObject({ target: { kind: 'svc', name: 'checkout', namespace: 'shop' }, reply: { channel: 'C0PAGER' } });
  });

  it('accepts base64 bodies and basic auth with the token as password', async () => {
    const handle = makeHandler();
    const basic = `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}`;
    const res = await handle(post(payload({ alerts: [{ labels: payments() }] }), { Authorization: basic }, true));
    expect(res.statusCode).toBe(200);
    expect(await drain(queues.prod)).toHaveLength(1);
  });

  it('answers 401 with a challenge for missing or wrong credentials and queues nothing', async () => {
    const handle = makeHandler();
    const p = payload({ alerts: [{ labels: payments() }] });
    const wrongBasic = `Basic ${Buffer.from(`alertmanager:${TOKEN}x`).toString('base64')}`;
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: wrongBasic }, { authorization: TOKEN }];
    for (const headers of attempts) {
      const res = await handle(post(p, headers));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/Bearer/);
    }
    expect(await drain(queues.prod)).toEqual([]);
  });

  it('answers 400 naming the problem for malformed JSON and for a payload that is not version 4', async () => {
    const handle = makeHandler();
    const broken = await handle(post('{"version": "4", "alerts": ['));
    expect(broken.statusCode).toBe(400);
    expect(body(broken).error).toMatch(/not JSON/);
    const v3 = await handle(post({ ...payload({ alerts: [{ labels: payments() }] }), version: '3' }));
    expect(v3.statusCode).toBe(400);
    expect(body(v3).error).toMatch(/version/);
    const noAlerts = await handle(post({ ...payload({ alerts: [] }), alerts: 'many' }));
    expect(noAlerts.statusCode).toBe(400);
    expect(body(noAlerts).error).toMatch(/alerts/);
    expect(await drain(queues.prod)).toEqual([]);
  });

  it('answers 500 when no Slack channel is configured, so Alertmanager retries', async () => {
    const handle = makeHandler({ receiverChannels: {}, env: { NETCHECK_INCIDENT_CHANNEL: '' } });
    const res = await handle(post(payload({ alerts: [{ labels: payments() }] })));
    expect(res.statusCode).toBe(500);
    expect(body(res).error).toMatch(/NETCHECK_INCIDENT_CHANNEL/);
  });

  it('answers 422 (not 500, which Alertmanager would retry forever) when the alert names a channel that is no channel id', async () => {
    const handle = makeHandler({});
    const res = await handle(post(payload({ commonLabels: { slack_channel: 'general' }, alerts: [{ labels: { ...payments(), slack_channel: 'general' } }] })));
    expect(res.statusCode).toBe(422);
    expect(body(res).error).toMatch(/slack_channel "general" is not a Slack channel id/);
    expect(await drain(queues.prod)).toEqual([]);
  });

  it('a notification with 2,000 distinct targets queues the first ones and one sweep for the rest, in batches', async () => {
    const handle = makeHandler({});
    const alerts = Array.from({ length: 2000 }, (_, i) => ({ labels: payments({ service: `svc-${i}` }) }));
    const batchesBefore = sqs.calls('SendMessageBatch');
    const singlesBefore = sqs.calls('SendMessage');
    const res = await handle(post(payload({ groupKey: 'storm', alerts })));
    expect(res.statusCode).toBe(200);
    const jobs = await drain(queues.prod);
    expect(jobs).toHaveLength(MAX_TARGETS_PER_NOTIFICATION + 1);
    expect(jobs.filter((j) => j.target.kind === 'svc')).toHaveLength(MAX_TARGETS_PER_NOTIFICATION);
    const sweep = jobs.find((j) => j.target.kind === 'cluster');
    expect(sweep?.alert?.count).toBe(2000 - MAX_TARGETS_PER_NOTIFICATION);
    expect(sweep?.alert?.summary).toMatch(/1980 more targets .* one cluster sweep covers them/);
    expect(sqs.calls('SendMessage')).toBe(singlesBefore);
    expect(sqs.calls('SendMessageBatch') - batchesBefore).toBe(Math.ceil((MAX_TARGETS_PER_NOTIFICATION + 1) / 10));
  });

  it('answers 503 when the queue cannot be reached', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const deadClient = new SQSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${closedPort}`, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
    try {
      const logger = recordingLogger();
      const handle = makeHandler({ queueFor: () => new JobQueue(deadClient, queues.prod), logger });
      const res = await handle(post(payload({ alerts: [{ labels: payments() }] })));
      expect(res.statusCode).toBe(503);
      expect(logger.lines.some((l) => l.level === 'error' && /could not queue/.test(l.message))).toBe(true);
    } finally {
      deadClient.destroy();
    }
  });

  it('builds its dependencies from the environment in the Lambda entry point', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      NETCHECK_QUEUES: JSON.stringify(queues),
      NETCHECK_DEFAULT_CLUSTER: 'prod',
      NETCHECK_INCIDENT_CHANNEL: 'C0INCIDENT',
      NETCHECK_ALERT_CHANNELS: JSON.stringify({ 'netcheck-shop': 'C0FROMENV' }),
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      ALERTMANAGER_TOKEN: TOKEN,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    try {
      const res = await lambdaHandler(post(payload({ alerts: [{ labels: payments() }] })));
      expect(res.statusCode).toBe(200);
      const jobs = await drain(queues.prod);
      expect(jobs.map((j) => j.reply.channel)).toEqual(['C0FROMENV']);
      delete process.env.ALERTMANAGER_TOKEN;
      const misconfigured = await lambdaHandler(post(payload({ alerts: [{ labels: payments() }] })));
      expect(misconfigured.statusCode).toBe(500);
      expect(body(misconfigured).error).toMatch(/ALERTMANAGER_TOKEN is required/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
