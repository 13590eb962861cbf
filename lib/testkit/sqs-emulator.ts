import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createSqsClient } from '../queue/sqs.js';

// SQS for local runs and tests: fauxqs (1.9.x; 2.x needs Node 22) in-process on loopback, so long
// polling, visibility timeouts, FIFO deduplication and dead-letter redrive behave as in AWS.

export interface SqsEmulator {
  endpoint: string;
  client: SQSClient;
  /** How many times each SQS action was called (e.g. `SendMessage`): proves "nothing was queued". */
  calls(action: string): number;
  createQueue(name: string, opts?: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number }): Promise<{ queueUrl: string; dlqUrl: string }>;
  close(): Promise<void>;
}

export async function startSqsEmulator(): Promise<SqsEmulator> {
  // The SDK signs requests; the emulator ignores credentials but the SDK insists on having some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const app = buildApp({ logger: false });
  const counts = new Map<string, number>();
  app.addHook('onRequest', async (request) => {
    // JSON protocol: the action is named in X-Amz-Target, e.g. "AmazonSQS.SendMessage".
    const action =
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    counts.set(action, (counts.get(action) ?? 0) + 1);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createSqsClient({ endpoint, region: 'us-east-1' });
  return {
    endpoint,
    client,
    calls: (action) => counts.get(action) ?? 0,
    async createQueue(name, opts = {}) {
      const fifo = name.endsWith('.fifo');
      const base = fifo ? name.slice(0, -'.fifo'.length) : name;
      const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
      const dlq = await client.send(new CreateQueueCommand({ QueueName: `${base}-dlq${fifo ? '.fifo' : ''}`, Attributes: fifoAttributes }));
      const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const queue = await client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            ...fifoAttributes,
            VisibilityTimeout: String(opts.visibilityTimeoutSeconds ?? 60),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: opts.maxReceiveCount ?? 3 }),
          },
        }),
      );
      return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
    },
    async close() {
      client.destroy();
      await app.close();
    },
  };
}
