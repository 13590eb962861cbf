import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { parseJobBody, type Job } from '../jobs/schema.js';
import { targetKey } from '../model/index.js';
import type { Log } from '../observability/logger.js';

export interface SqsClientOptions {
  region?: string;
  /** Explicit endpoint (emulator, VPC endpoint). */
  endpoint?: string;
}

export function createSqsClient(opts: SqsClientOptions = {}): SQSClient {
  return new SQSClient({
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(opts.endpoint
      ? {
          endpoint: opts.endpoint,
          // Emulator queue URLs name hosts that do not resolve; send to the endpoint instead.
          useQueueUrlAsEndpoint: false,
        }
      : {}),
  });
}

export const isFifoQueue = (queueUrl: string): boolean => queueUrl.endsWith('.fifo');

/** FIFO group: jobs on the same target run one at a time, different targets in parallel. */
export function messageGroupId(job: Job): string {
  return `${job.cluster}:${targetKey(job.target)}`.slice(0, 128);
}

export interface SendOptions {
  /** FIFO deduplication id: same id within 5 minutes = one message (alert storms, Slack event retries). */
  deduplicationId?: string;
  groupId?: string;
}

export class JobQueue {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  private fifoFields(job: Job, opts: SendOptions): { MessageGroupId?: string; MessageDeduplicationId?: string } {
    if (!isFifoQueue(this.queueUrl)) return {};
    return { MessageGroupId: opts.groupId ?? messageGroupId(job), MessageDeduplicationId: sanitizeDedupId(opts.deduplicationId ?? job.id) };
  }

  async send(job: Job, opts: SendOptions = {}): Promise<{ messageId: string | undefined }> {
    const out = await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(job), ...this.fifoFields(job, opts) }));
    return { messageId: out.MessageId };
  }

  /**
   * Many jobs in batches of ten (SQS's limit), in order. Throws when any entry was refused; the
   * caller retries the whole set, and the FIFO deduplication ids keep the sent ones single.
   */
  async sendBatch(items: readonly { job: Job; opts?: SendOptions }[]): Promise<void> {
    for (let start = 0; start < items.length; start += SQS_BATCH_SIZE) {
      const chunk = items.slice(start, start + SQS_BATCH_SIZE);
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(({ job, opts = {} }, i) => ({ Id: String(i), MessageBody: JSON.stringify(job), ...this.fifoFields(job, opts) })),
        }),
      );
      if (out.Failed?.length) {
        throw new Error(`SQS refused ${out.Failed.length} of ${chunk.length} jobs: ${out.Failed.map((f) => `${f.Code ?? '?'} ${f.Message ?? ''}`.trim()).join('; ')}`);
      }
    }
  }
}

const SQS_BATCH_SIZE = 10;

/** SQS allows 1–128 chars of alphanumerics and punctuation; hash anything else. */
function sanitizeDedupId(id: string): string {
  return /^[\x21-\x7e]{1,128}$/.test(id) ? id : Buffer.from(id).toString('base64url').slice(0, 128);
}

export interface JobContext {
  receiveCount: number;
  messageId: string;
}

export interface ConsumerOptions {
  client: SQSClient;
  queueUrl: string;
  handle: (job: Job, ctx: JobContext) => Promise<void>;
  logger: Log;
  /** Jobs in flight at once. */
  concurrency?: number;
  waitTimeSeconds?: number;
  /** Visibility while a job runs; extended every half of it until the job ends. */
  visibilityTimeoutSeconds?: number;
  /** How long a failed or unparseable message stays hidden before the next receive (and, after maxReceiveCount, the DLQ). */
  retryDelaySeconds?: number;
  onError?: (kind: 'receive' | 'invalid' | 'job', error: unknown) => void;
}

/**
 * Long-polling consumer. A message is deleted only after its job finished (the Slack thread was
 * posted); a job that fails or a body that does not parse is left for redelivery and, after the
 * queue's maxReceiveCount, the dead-letter queue — never retried in a tight loop.
 */
export class JobConsumer {
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  private readonly visibility: number;
  private readonly retryDelay: number;

  constructor(private readonly opts: ConsumerOptions) {
    this.concurrency = opts.concurrency ?? 2;
    this.waitTimeSeconds = opts.waitTimeSeconds ?? 20;
    this.visibility = opts.visibilityTimeoutSeconds ?? 60;
    this.retryDelay = opts.retryDelaySeconds ?? 10;
  }

  get busy(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.pollLoop();
  }

  /**
   * Stop polling, let the jobs in hand finish, then resolve. The long poll in progress is not
   * aborted: a receive cut off mid-way can still take a message that then stays invisible (and
   * blocks its FIFO group) until the visibility timeout; it ends within waitTimeSeconds instead.
   */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async pollLoop(): Promise<void> {
    let backoffMs = 200;
    while (this.running) {
      if (this.inFlight.size >= this.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: Message[] = [];
      try {
        const out = await this.opts.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.opts.queueUrl,
            MaxNumberOfMessages: Math.min(10, this.concurrency - this.inFlight.size),
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.visibility,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        messages = out.Messages ?? [];
        backoffMs = 200;
      } catch (error) {
        if (!this.running) break;
        this.opts.onError?.('receive', error);
        this.opts.logger.error('receive failed; backing off', { error: String(error), backoffMs });
        await delay(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 20_000);
        continue;
      }
      if (!this.running) {
        // Arrived while stopping: hand them straight back to the queue for another worker.
        await Promise.all(messages.map((m) => this.hide(m.ReceiptHandle ?? '', 0)));
        break;
      }
      for (const message of messages) {
        const task = this.process(message).finally(() => this.inFlight.delete(task));
        this.inFlight.add(task);
      }
    }
  }

  private async process(message: Message): Promise<void> {
    const receiptHandle = message.ReceiptHandle ?? '';
    const messageId = message.MessageId ?? '';
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    const parsed = parseJobBody(message.Body ?? '');
    if (!parsed.ok) {
      this.opts.onError?.('invalid', new Error(parsed.error));
      this.opts.logger.error('invalid job message left for the dead-letter queue', { messageId, receiveCount, reason: parsed.error });
      await this.hide(receiptHandle, this.retryDelay);
      return;
    }
    const job = parsed.value;
    const heartbeat = setInterval(
      () => {
        void this.hide(receiptHandle, this.visibility);
      },
      (this.visibility * 1000) / 2,
    );
    try {
      await this.opts.handle(job, { receiveCount, messageId });
      await this.opts.client.send(new DeleteMessageCommand({ QueueUrl: this.opts.queueUrl, ReceiptHandle: receiptHandle }));
    } catch (error) {
      this.opts.onError?.('job', error);
      this.opts.logger.error('job failed; left for redelivery', { jobId: job.id, messageId, receiveCount, error: String(error) });
      await this.hide(receiptHandle, this.retryDelay);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async hide(receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.opts.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.opts.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    } catch (error) {
      this.opts.logger.warn('could not change message visibility', { error: String(error) });
    }
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One JobQueue per configured cluster; an unknown cluster is a programming error upstream (routing validates names). */
export function createQueueRouter(client: SQSClient, queues: Record<string, string>): (cluster: string) => JobQueue {
  const byCluster = new Map(Object.entries(queues).map(([cluster, url]) => [cluster, new JobQueue(client, url)]));
  return (cluster) => {
    const queue = byCluster.get(cluster);
    if (!queue) throw new Error(`no queue configured for cluster "${cluster}"`);
    return queue;
  };
}
