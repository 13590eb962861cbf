import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createScheduleHandler, handler as lambdaHandler } from '../../handlers/schedule.js';
import { loadHandlerConfig } from '../../lib/config.js';
import { parseJobBody, type Job } from '../../lib/jobs/schema.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

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
  run++;
  queues = {
    prod: (await sqs.createQueue(`summary-prod-${run}.fifo`)).queueUrl,
    staging: (await sqs.createQueue(`summary-staging-${run}.fifo`)).queueUrl,
  };
});

const silent = { info() {}, warn() {}, error() {} };

function makeHandler(opts: { summaryChannel?: string; now?: Date } = {}) {
  const config = loadHandlerConfig({ NETCHECK_QUEUES: JSON.stringify(queues), NETCHECK_DEFAULT_CLUSTER: 'prod' });
  return createScheduleHandler({
    config,
    summaryChannel: opts.summaryChannel,
    queueFor: (cluster) => new JobQueue(sqs.client, config.routing.queues[cluster]!),
    logger: silent,
    now: () => opts.now ?? new Date('2026-11-26T08:00:03Z'),
  });
}

async function drain(queueUrl: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (;;) {
    const out = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return jobs;
    for (const m of out.Messages) {
      const parsed = parseJobBody(m.Body ?? '');
      if (!parsed.ok) throw new Error(parsed.error);
      jobs.push(parsed.value);
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

const scheduledEvent = (time: string) => ({
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time,
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/netcheck-daily-summary-prod'],
  detail: {},
});

describe('daily summary schedule', () => {
  it('queues one cluster sweep on the named cluster for the schedule input', async () => {
    const handle = makeHandler();
    const result = await handle({ cluster: 'staging', channel: 'C0NETHEALTH' });
    expect(result).toMatchObject({ cluster: 'staging', channel: 'C0NETHEALTH', jobId: 'summary-staging-2026-11-26T08:00:00Z' });
    const jobs = await drain(queues.staging);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      id: 'summary-staging-2026-11-26T08:00:00Z',
      trigger: 'schedule',
      target: { kind: 'cluster' },
      cluster: 'staging',
      reply: { channel: 'C0NETHEALTH' },
      requester: { source: 'schedule' },
    });
    expect(await drain(queues.prod)).toEqual([]);
  });

  it('collapses a duplicate delivery of the same run into one job', async () => {
    await makeHandler({ now: new Date('2026-11-26T08:00:01Z') })({ cluster: 'prod', channel: 'C0NETHEALTH' });
    await makeHandler({ now: new Date('2026-11-26T08:00:09Z') })({ cluster: 'prod', channel: 'C0NETHEALTH' });
    const handle = makeHandler({ summaryChannel: 'C0NETHEALTH' });
    await handle(scheduledEvent('2026-11-26T09:00:00Z'));
    await handle(scheduledEvent('2026-11-26T09:00:00Z'));
    const jobs = await drain(queues.prod);
    expect(jobs.map((j) => j.id)).toEqual(['summary-prod-2026-11-26T08:00:00Z', 'summary-prod-2026-11-26T09:00:00Z']);
  });

  it('takes the default cluster and NETCHECK_SUMMARY_CHANNEL for a raw scheduled event', async () => {
    const result = await makeHandler({ summaryChannel: 'C0DEFAULTS' })(scheduledEvent('2026-11-27T08:00:00Z'));
    expect(result).toMatchObject({ cluster: 'prod', channel: 'C0DEFAULTS', jobId: 'summary-prod-2026-11-27T08:00:00Z' });
    expect(await drain(queues.prod)).toHaveLength(1);
  });

  it('rejects invalid input with a message naming the problem, and queues nothing', async () => {
    const handle = makeHandler();
    await expect(handle({ cluster: 'Prod_EU', channel: 'C0NETHEALTH' })).rejects.toThrow(/cluster: must be a DNS label/);
    await expect(handle({ cluster: 'moon', channel: 'C0NETHEALTH' })).rejects.toThrow(/cluster "moon", which has no queue/);
    await expect(handle({ cluster: 'prod', channel: '#general' })).rejects.toThrow(/channel: must be a Slack channel id/);
    await expect(handle({ cluster: 'prod', chanel: 'C0NETHEALTH' })).rejects.toThrow(/chanel/);
    await expect(handle({ cluster: 'prod' })).rejects.toThrow(/NETCHECK_SUMMARY_CHANNEL/);
    await expect(handle({ 'detail-type': 'Scheduled Event', time: 'yesterday' })).rejects.toThrow(/invalid EventBridge scheduled event: time/);
    await expect(handle('cluster=prod')).rejects.toThrow(/invalid schedule input/);
    expect(await drain(queues.prod)).toEqual([]);
    expect(await drain(queues.staging)).toEqual([]);
  });

  it('builds its dependencies from the environment in the Lambda entry point', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      NETCHECK_QUEUES: JSON.stringify(queues),
      NETCHECK_DEFAULT_CLUSTER: 'prod',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      NETCHECK_SUMMARY_CHANNEL: 'C0FROMENV',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    try {
      const result = await lambdaHandler(scheduledEvent('2026-11-28T08:00:00Z'));
      expect(result).toMatchObject({ cluster: 'prod', channel: 'C0FROMENV' });
      expect(await drain(queues.prod)).toHaveLength(1);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
