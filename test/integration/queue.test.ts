import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createJob, type Job } from '../../lib/jobs/schema.js';
import { JobConsumer, JobQueue } from '../../lib/queue/sqs.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';
import { pollUntil } from '../support/poll.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const job = (name: string, id?: string): Job =>
  createJob({
    id,
    trigger: 'slash',
    target: { kind: 'svc', name, namespace: 'shop' },
    cluster: 'test',
    requester: { source: 'test' },
    reply: { channel: 'C1' },
  });

let sqs: SqsEmulator;
beforeAll(async () => {
  sqs = await startSqsEmulator();
});
afterAll(async () => {
  await sqs?.close();
});

async function depth(queueUrl: string): Promise<number> {
  const out = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('SQS job queue (fauxqs over HTTP)', () => {
  it('delivers a job, and deletes it only after the handler finished', async () => {
    const { queueUrl } = await sqs.createQueue('deliver.fifo');
    await new JobQueue(sqs.client, queueUrl).send(job('payments'));
    let release!: () => void;
    let received!: (job: Job) => void;
    const handled = new Promise<Job>((resolve) => (received = resolve));
    const consumer = new JobConsumer({
      client: sqs.client,
      queueUrl,
      logger: silent,
      waitTimeSeconds: 1,
      handle: async (delivered) => {
        received(delivered);
        await new Promise<void>((r) => (release = r));
      },
    });
    consumer.start();
    try {
      expect((await handled).target).toEqual({ kind: 'svc', name: 'payments', namespace: 'shop' });
      expect(await depth(queueUrl)).toBe(1); // still in flight, not deleted
      release();
      expect(
        await pollUntil(
          () => depth(queueUrl),
          (n) => n === 0,
        ),
      ).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('collapses FIFO duplicates with the same deduplication id', async () => {
    const { queueUrl } = await sqs.createQueue('dedupe.fifo');
    const queue = new JobQueue(sqs.client, queueUrl);
    for (let i = 0; i < 20; i++) await queue.send(job('payments'), { deduplicationId: 'alert-group-1' });
    expect(await depth(queueUrl)).toBe(1);
  });

  it('leaves an unparseable message to the dead-letter queue instead of looping on it', async () => {
    const { queueUrl, dlqUrl } = await sqs.createQueue('poison.fifo', { maxReceiveCount: 2 });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"version":1,"kind":"nope"}', MessageGroupId: 'g', MessageDeduplicationId: 'poison' }));
    const reasons: string[] = [];
    const consumer = new JobConsumer({
      client: sqs.client,
      queueUrl,
      logger: {
        ...silent,
        error: (_message: unknown, ...extra: unknown[]) => {
          reasons.push(String((extra[0] as { reason?: string } | undefined)?.reason));
        },
      },
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      handle: async () => {
        throw new Error('must not be called');
      },
    });
    consumer.start();
    try {
      const deadLettered = await pollUntil(
        async () => (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 0 }))).Messages?.length ?? 0,
        (n) => n === 1,
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(deadLettered).toBe(1);
    } finally {
      await consumer.stop();
    }
    expect(reasons[0]).toMatch(/id:|trigger:|target/);
  });

  it('keeps a long job invisible by extending its visibility', async () => {
    const { queueUrl } = await sqs.createQueue('long.fifo', { visibilityTimeoutSeconds: 2 });
    await new JobQueue(sqs.client, queueUrl).send(job('slow'));
    let calls = 0;
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const consumer = new JobConsumer({
      client: sqs.client,
      queueUrl,
      logger: silent,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 2,
      concurrency: 2, // a free slot that would take a second copy if the message reappeared
      handle: async () => {
        calls++;
        // Longer than the visibility timeout: without the heartbeat a second copy would be delivered.
        await new Promise((r) => setTimeout(r, 3500));
        finished();
      },
    });
    consumer.start();
    try {
      await done;
      expect(
        await pollUntil(
          () => depth(queueUrl),
          (n) => n === 0,
        ),
      ).toBe(0);
    } finally {
      await consumer.stop();
    }
    expect(calls).toBe(1);
  });

  it('stop() lets the job in hand finish and delete before resolving', async () => {
    const { queueUrl } = await sqs.createQueue('stop.fifo');
    await new JobQueue(sqs.client, queueUrl).send(job('inhand'));
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const consumer = new JobConsumer({
      client: sqs.client,
      queueUrl,
      logger: silent,
      waitTimeSeconds: 1,
      handle: async () => {
        started();
        await new Promise<void>((r) => (release = r));
      },
    });
    consumer.start();
    await running;
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await depth(queueUrl)).toBe(0);
  });
});
