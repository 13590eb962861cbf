import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jobFromChannelCreated } from '../../lib/jobs/channel.js';
import { parseJob } from '../../lib/jobs/schema.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

const ctx = { eventId: 'Ev0AB12CD34', prefixes: ['inc-', 'incident-'], cluster: 'prod', now: new Date('2026-11-26T07:00:00Z') };
const created = (name: string, id = 'C0INC4242') => ({ type: 'channel_created', channel: { id, name, created: 1_795_000_000, creator: 'U0ALICE' } });

describe('jobFromChannelCreated', () => {
  it('sweeps the cluster into a new incident channel', () => {
    const out = jobFromChannelCreated(created('inc-2026-11-26-payments'), ctx);
    if (!('job' in out)) throw new Error(out.ignored);
    expect(parseJob(out.job).ok).toBe(true);
    expect(out.job).toMatchObject({
      trigger: 'channel',
      target: { kind: 'cluster' },
      cluster: 'prod',
      reply: { channel: 'C0INC4242' },
      requester: { id: 'U0ALICE', source: 'slack' },
      requestedAt: '2026-11-26T07:00:00.000Z',
    });
    expect(out.deduplicationId).toBe('slack-event:Ev0AB12CD34');
  });

  it('matches every configured prefix, case-insensitively', () => {
    expect('job' in jobFromChannelCreated(created('incident-dns'), ctx)).toBe(true);
    expect('job' in jobFromChannelCreated(created('INC-42'), ctx)).toBe(true);
  });

  it('ignores channels without an incident prefix, saying why', () => {
    for (const name of ['general', 'prince-inc-1', 'incidents']) {
      const out = jobFromChannelCreated(created(name), ctx);
      expect(out).toEqual({ ignored: expect.stringContaining(`#${name} does not start with an incident prefix`) });
    }
  });

  it('ignores events that are not channel_created or carry a bad channel id', () => {
    expect(jobFromChannelCreated({ type: 'channel_rename', channel: { id: 'C0X1', name: 'inc-1' } }, ctx)).toEqual({
      ignored: expect.stringContaining('type'),
    });
    expect(jobFromChannelCreated(created('inc-1', 'not-an-id'), ctx)).toEqual({ ignored: expect.stringContaining('channel.id') });
    expect(jobFromChannelCreated(null, ctx)).toEqual({ ignored: expect.stringContaining('not a channel_created event') });
  });

  it('deduplicates on the channel id when a retry has no event id', () => {
    const out = jobFromChannelCreated(created('inc-9'), { ...ctx, eventId: '' });
    expect(out).toMatchObject({ deduplicationId: 'channel-created:C0INC4242' });
  });
});

describe('channel_created delivered twice (Slack retry)', () => {
  let sqs: SqsEmulator;
  beforeAll(async () => {
    sqs = await startSqsEmulator();
  });
  afterAll(async () => {
    await sqs?.close();
  });

  it('puts exactly one job on the FIFO queue', async () => {
    const { queueUrl } = await sqs.createQueue('channel-created.fifo');
    const queue = new JobQueue(sqs.client, queueUrl);
    for (const attempt of [1, 2]) {
      const out = jobFromChannelCreated(created('inc-db-outage'), { ...ctx, now: new Date(Date.UTC(2026, 10, 26, 7, 0, attempt)) });
      if (!('job' in out)) throw new Error(out.ignored);
      await queue.send(out.job, { deduplicationId: out.deduplicationId });
    }
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(received.Messages).toHaveLength(1);
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.Messages![0]!.ReceiptHandle }));
    const after = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(after.Messages ?? []).toHaveLength(0);
  });
});
