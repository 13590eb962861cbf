import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slackSignatureHeaders, slashCommandBody } from '../../lib/slack/signing.js';
import { rerunValue } from '../../lib/slack/rerun.js';
import { createMemoryThrottle } from '../../lib/slack/throttle.js';
import { startSlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { startHandlerGateway, type HandlerGateway } from '../../lib/testkit/handler-gateway.js';

// Issue #13 item 10: 500 simultaneous commands from one user must not all be queued. Signed
// requests over HTTP to the real handlers behind the local API Gateway, queueing into fauxqs.

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

let gw: HandlerGateway;

beforeAll(async () => {
  gw = await startHandlerGateway({ NETCHECK_THROTTLE_PER_USER: '10', NETCHECK_THROTTLE_PER_CHANNEL: '30', NETCHECK_THROTTLE_WINDOW_SECONDS: '60' });
});
afterAll(async () => {
  await gw?.close();
});

let trigger = 0;
async function slash(text: string, channelId: string, userId: string, path = '/slack/commands'): Promise<{ status: number; text: string }> {
  const body = slashCommandBody({ text, channelId, userId }).replace(/trigger_id=[^&]*/, `trigger_id=${Date.now()}.${++trigger}`);
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(gw.signingSecret, body) },
    body,
  });
  const raw = await res.text();
  return { status: res.status, text: raw ? String((JSON.parse(raw) as { text?: string }).text ?? '') : '' };
}

async function depth(): Promise<number> {
  const out = await gw.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: gw.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

describe('throttle per user and per channel', () => {
  it('queues 10 of 500 simultaneous commands from one user and tells the other 490 the limit and when to retry', async () => {
    const before = await depth();
    const answers = await Promise.all(Array.from({ length: 500 }, () => slash('svc payments -n shop', 'C0FLOOD', 'U0FLOOD')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const queued = answers.filter((a) => /^:mag: Checking/.test(a.text));
    const refused = answers.filter((a) => /Slow down/.test(a.text));
    expect(queued).toHaveLength(10);
    expect(refused).toHaveLength(490);
    expect(refused[0]!.text).toMatch(/you have started 10 checks in the last 60 s, the limit per person\. Nothing was queued; try again in \d+ s\./);
    expect(await depth()).toBe(before + 10);
    // Help and invalid commands are answered without counting or queueing.
    expect((await slash('help', 'C0FLOOD', 'U0FLOOD')).text).toMatch(/Usage/);
  });

  it('limits a channel across people, and another channel is not affected', async () => {
    const before = await depth();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => slash('svc cart -n shop', 'C0BUSY', `U0P${i}`)));
    expect(answers.filter((a) => /^:mag: Checking/.test(a.text))).toHaveLength(30);
    const refused = answers.filter((a) => /Slow down/.test(a.text));
    expect(refused).toHaveLength(10);
    expect(refused[0]!.text).toMatch(/this channel has started 30 checks in the last 60 s, the limit per channel/);
    expect((await slash('svc cart -n shop', 'C0QUIET', 'U0P1')).text).toMatch(/^:mag: Checking/);
    expect(await depth()).toBe(before + 31);
  });

  it('counts the same way on the Bolt endpoint', async () => {
    const answers = await Promise.all(Array.from({ length: 15 }, () => slash('svc payments -n shop', 'C0BOLT', 'U0BOLT', '/slack/events')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => /^:mag: Checking/.test(a.text))).toHaveLength(10);
    expect(answers.filter((a) => /Slow down/.test(a.text))).toHaveLength(5);
  });
});

describe('throttled Re-run clicks', () => {
  it("queues a person's clicks up to the limit and tells the rest, privately, the limit and when to retry", async () => {
    const slack = await startSlackApiServer({ rateLimit: false });
    try {
      const before = await depth();
      const value = rerunValue({ target: { kind: 'svc', name: 'payments', namespace: 'shop' }, cluster: 'demo' });
      const click = async (i: number) => {
        const payload = {
          type: 'block_actions',
          team: { id: 'T0LOCAL', domain: 'local' },
          user: { id: 'U0CLICKER', name: 'clicker', team_id: 'T0LOCAL' },
          api_app_id: 'A0LOCAL',
          token: 'deprecated',
          trigger_id: `${Date.now()}.click.${i}`,
          channel: { id: 'C0CLICKS', name: 'clicks' },
          message: { type: 'message', ts: '1795000000.000100', text: 'verdict' },
          response_url: slack.responseUrl('clicks'),
          actions: [{ type: 'button', action_id: 'netcheck_rerun', block_id: 'rerun', value, action_ts: '1.2' }],
        };
        const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
        const res = await fetch(`${gw.url}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(gw.signingSecret, body) },
          body,
        });
        await res.text();
        return res.status;
      };
      const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => click(i)));
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(await depth()).toBe(before + 10);
      const told = await slack.waitFor((s) => (s.responses('clicks').length >= 2 ? s.responses('clicks') : undefined), 10_000);
      expect(told).toHaveLength(2);
      expect(told.every((p) => p.body.response_type === 'ephemeral' && /limit per person\. Nothing was queued; try again in \d+ s/.test(String(p.body.text)))).toBe(true);
    } finally {
      await slack.close();
    }
  });
});

describe('memory throttle', () => {
  it('frees a slot when the oldest check leaves the window, and says exactly when', () => {
    let now = 1_000_000;
    const throttle = createMemoryThrottle({ perUser: 2, perChannel: 0, windowSeconds: 60 }, () => now);
    expect(throttle.take({ user: 'U1', channel: 'C1' }).ok).toBe(true);
    now += 10_000;
    expect(throttle.take({ user: 'U1', channel: 'C1' }).ok).toBe(true);
    now += 5_000;
    expect(throttle.take({ user: 'U1', channel: 'C1' })).toEqual({ ok: false, scope: 'user', limit: 2, windowSeconds: 60, retryAfterSeconds: 45 });
    expect(throttle.take({ user: 'U2', channel: 'C1' }).ok).toBe(true);
    now += 45_000;
    expect(throttle.take({ user: 'U1', channel: 'C1' }).ok).toBe(true);
    expect(throttle.take({ user: 'U1', channel: 'C1' }).ok).toBe(false);
  });

  it('a refused request consumes nothing from the other limit', () => {
    const now = 5_000_000;
    const throttle = createMemoryThrottle({ perUser: 1, perChannel: 2, windowSeconds: 60 }, () => now);
    expect(throttle.take({ user: 'U1', channel: 'C1' }).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect(throttle.take({ user: 'U1', channel: 'C1' })).toMatchObject({ ok: false, scope: 'user' });
    expect(throttle.take({ user: 'U2', channel: 'C1' }).ok).toBe(true);
    expect(throttle.take({ user: 'U3', channel: 'C1' })).toMatchObject({ ok: false, scope: 'channel' });
  });
});
