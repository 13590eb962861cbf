import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPEN_POLICY } from '../../lib/access/policy.js';
import { createQueueRouter } from '../../lib/queue/sqs.js';
import { handleSlashCommand, type SlashCommandFields } from '../../lib/slack/commands.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

// Signed but unusual Slack input reaches handleSlashCommand after the signature check: every odd
// field is an ephemeral answer saying what was wrong, never a throw (a 500), and nothing is queued.

let sqs: SqsEmulator;
let deps: Parameters<typeof handleSlashCommand>[1];
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  sqs = await startSqsEmulator();
  const { queueUrl } = await sqs.createQueue('slash-input.fifo');
  deps = {
    routing: { queues: { demo: queueUrl }, defaultCluster: 'demo', channelClusters: {} },
    access: OPEN_POLICY,
    queueFor: createQueueRouter(sqs.client, { demo: queueUrl }),
    log: silent,
  };
});
afterAll(async () => {
  await sqs?.close();
});

const base: SlashCommandFields = {
  text: 'svc payments -n shop',
  channel_id: 'C0ABC',
  user_id: 'U0ABC',
  user_name: 'alice',
  response_url: 'https://hooks.slack.com/commands/T0/1/x',
};

describe('handleSlashCommand with odd but signed input', () => {
  for (const [label, change, field] of [
    ['a channel id over 64 characters', { channel_id: 'C'.repeat(65) }, /reply\.channel/],
    ['a user id over 64 characters', { user_id: 'U'.repeat(65) }, /requester\.id/],
    ['a user name over 256 characters', { user_name: 'a'.repeat(257) }, /requester\.name/],
    ['a response_url that is not a URL', { response_url: 'not a url' }, /reply\.responseUrl/],
  ] as const) {
    it(`answers ${label} with an ephemeral message naming the field, and queues nothing`, async () => {
      const before = sqs.calls('SendMessage');
      const reply = await handleSlashCommand({ ...base, ...change }, deps);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(/cannot take this request/);
      expect(reply.text).toMatch(field);
      expect(sqs.calls('SendMessage')).toBe(before);
    });
  }

  it('a replayed request (same trigger_id) queues one job, however often it arrives', async () => {
    const { queueUrl } = await sqs.createQueue('slash-replay.fifo');
    const replayDeps = { ...deps, routing: { ...deps.routing, queues: { demo: queueUrl } }, queueFor: createQueueRouter(sqs.client, { demo: queueUrl }) };
    for (let i = 0; i < 5; i++) await handleSlashCommand({ ...base, trigger_id: '13345224609.738474920.8088930838d88f008e0' }, replayDeps);
    await handleSlashCommand({ ...base, trigger_id: '13345224609.738474920.other' }, replayDeps);
    const out = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(Number(out.Attributes?.ApproximateNumberOfMessages)).toBe(2);
  });

  it('takes an empty response_url as none, and queues the job', async () => {
    const before = sqs.calls('SendMessage');
    const reply = await handleSlashCommand({ ...base, response_url: '' }, deps);
    expect(reply.text).toMatch(/Checking svc payments in shop/);
    expect(sqs.calls('SendMessage')).toBe(before + 1);
  });
});
