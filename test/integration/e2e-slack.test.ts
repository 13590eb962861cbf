import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent, isAnswered, textOf } from '../support/slack-messages.js';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.js';
import { slackSignatureHeaders, slashCommandBody } from '../../lib/slack/signing.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { withContext } from '../support/with-context.js';

// The whole loop over real sockets: signed Slack request → Lambda handler behind a local API
// Gateway → SQS (fauxqs) → worker → Kubernetes API (demo cluster, loopback data plane) → Slack
// Web API server. Nothing of ours is mocked.

let slack: SlackApiServer;
let stack: LocalStack;

beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: false });
  stack = await startLocalStack({
    port: 0,
    env: {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      SLACK_SIGNING_SECRET: 'e2e-signing-secret-0123456789abcdef',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    write: () => undefined,
  });
});

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

type Post = { status: number; body: string; ms: number };

type Endpoint = '/slack/commands' | '/slack/events';

async function postSlack(body: string, opts: { contentType?: string; secret?: string; timestamp?: number; path?: Endpoint } = {}): Promise<Post> {
  const started = performance.now();
  const res = await fetch(`${stack.url}${opts.path ?? '/slack/events'}`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      ...slackSignatureHeaders(opts.secret ?? stack.signingSecret, body, opts.timestamp),
    },
    body,
  });
  return { status: res.status, body: await res.text(), ms: performance.now() - started };
}

// Slash commands go to the lean handler, as the Slack app manifest routes them.
const slash = (text: string, channelId: string, extra: { contentType?: string; secret?: string; timestamp?: number; path?: Endpoint } = {}) =>
  postSlack(slashCommandBody({ text, channelId, userId: 'U0ALICE', userName: 'alice' }), { path: '/slack/commands', ...extra });

const parents = (channel: string) => slack.messages(channel).filter(isParent);
const firstParent = (channel: string) => slack.waitFor((s) => s.messages(channel).find(isAnswered), 20_000);
const replies = (channel: string, ts: string) => slack.thread(channel, ts).slice(1);

const sends = () => stack.sqs.calls('SendMessage');

describe('/netcheck end to end', () => {
  it('acks at once and posts a thread that names the selector typo', async () => {
    const ack = await slash('svc payments -n shop', 'C0PAY');
    expect(ack.status).toBe(200);
    expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Checking svc payments in shop') });

    const parent = await firstParent('C0PAY');
    await slack.waitFor(() => replies('C0PAY', parent.ts).length >= 2 || undefined, 10_000);
    expect(textOf(parent)).toContain('app=payment');
    expect(textOf(parent)).toContain('app=payments');
    expect(textOf(parent)).toContain('kubectl -n shop patch svc payments');
    const thread = replies('C0PAY', parent.ts);
    expect(thread.every((m) => m.thread_ts === parent.ts)).toBe(true);
    expect(thread.map(textOf).join('\n')).toContain('selector-matches-no-pods');
  });

  it('answers /netcheck on the Bolt endpoint too, for apps that point everything at one URL', async () => {
    const ack = await slash('svc payments -n shop', 'C0ONEURL', { path: '/slack/events' });
    expect(JSON.parse(ack.body).text).toContain('Checking svc payments in shop');
    const parent = await firstParent('C0ONEURL');
    expect(textOf(parent)).toContain('app=payments');
  });

  it('names a different root cause for a different fault (target port)', async () => {
    await slash('svc inventory -n shop', 'C0INV');
    const parent = await firstParent('C0INV');
    expect(textOf(parent)).toMatch(/targetPort 8081/);
  });

  it('answers a healthy service with ok', async () => {
    await slash('svc checkout -n shop', 'C0OK');
    const parent = await firstParent('C0OK');
    expect(textOf(parent)).toMatch(/healthy/);
  });

  it('accepts the charset form of the content type that Bolt alone would throw on', async () => {
    for (const path of ['/slack/commands', '/slack/events'] as const) {
      const ack = await slash('help', 'C0HELP', { contentType: 'application/x-www-form-urlencoded; charset=utf-8', path });
      expect(ack.status).toBe(200);
      expect(JSON.parse(ack.body).text).toContain('Usage: /netcheck');
    }
  });

  it('rejects bad signatures and replayed or future timestamps on both endpoints, and queues nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = sends();
    for (const path of ['/slack/commands', '/slack/events'] as const) {
      for (const extra of [{ secret: 'wrong-secret' }, { timestamp: now - 600 }, { timestamp: now + 3600 }]) {
        const res = await slash('svc payments -n shop', 'C0BAD', { ...extra, path });
        withContext(`${path} ${JSON.stringify(extra)}`, () => expect(res.status).toBe(401));
      }
    }
    expect(sends()).toBe(before);
    // Counted at the emulator, and seen from Slack: a valid request after them gets the only thread.
    await slash('svc payments -n shop', 'C0BAD');
    await firstParent('C0BAD');
    expect(sends()).toBe(before + 1);
    expect(parents('C0BAD')).toHaveLength(1);
  });

  it('answers an invalid command with what was wrong and the usage, queueing nothing', async () => {
    const before = sends();
    const res = await slash('svc Payments -n shop', 'C0BAD2');
    expect(res.status).toBe(200);
    const text = JSON.parse(res.body).text as string;
    expect(text).toContain('not a valid service name');
    expect(text).toContain('Usage: /netcheck');
    expect(sends()).toBe(before);
  });

  it("answers Slack's ssl_check and commands that are not /netcheck without queueing", async () => {
    const before = sends();
    const check = await postSlack(new URLSearchParams({ ssl_check: '1', token: 'x' }).toString(), { path: '/slack/commands' });
    expect(check.status).toBe(200);
    const other = await postSlack(slashCommandBody({ text: 'svc payments', channelId: 'C0X', userId: 'U0X', command: '/other' }), { path: '/slack/commands' });
    expect(JSON.parse(other.body).text).toContain('only answers /netcheck');
    const json = await postSlack('{"command":"/netcheck"}', { path: '/slack/commands', contentType: 'application/json' });
    expect(json.status).toBe(400);
    expect(sends()).toBe(before);
  });

  it('refuses an unknown cluster and lists the known ones', async () => {
    const res = await slash('svc payments -n shop --cluster prod', 'C0CL');
    expect(JSON.parse(res.body).text).toContain('unknown cluster "prod". Known clusters: demo');
  });

  it('re-run button queues the same check and threads the result under the same parent', async () => {
    await slash('svc cart -n shop', 'C0RERUN');
    const parent = await firstParent('C0RERUN');
    type Element = { action_id?: string; value?: string };
    const value = [...(parent.blocks ?? []), ...((parent.attachments ?? []) as { blocks: unknown[] }[]).flatMap((a) => a.blocks)]
      .flatMap((b) => (b as { elements?: Element[] }).elements ?? [])
      .find((e) => e.action_id === 'netcheck_rerun')?.value;
    expect(value).toBeDefined();
    const payload = {
      type: 'block_actions',
      team: { id: 'T0LOCAL', domain: 'local' },
      user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0LOCAL' },
      api_app_id: 'A0LOCAL',
      token: 'deprecated',
      container: { type: 'message', message_ts: parent.ts, channel_id: 'C0RERUN', is_ephemeral: false },
      trigger_id: '1.2.3',
      channel: { id: 'C0RERUN', name: 'rerun' },
      message: { type: 'message', ts: parent.ts, text: parent.text, blocks: parent.blocks },
      response_url: slack.responseUrl('rerun'),
      actions: [{ type: 'button', action_id: 'netcheck_rerun', block_id: 'rerun', value: value!, action_ts: '1.2', text: { type: 'plain_text', text: 'Re-run' } }],
    };
    const res = await postSlack(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    expect(res.status).toBe(200);
    // The re-run's verdict lands inside the thread as a reply that carries its own Re-run button.
    const rerunVerdict = await slack.waitFor(() => replies('C0RERUN', parent.ts).find((m) => textOf(m).includes('netcheck_rerun')), 20_000);
    expect(parents('C0RERUN')).toHaveLength(1);
    expect(textOf(rerunVerdict)).toMatch(/CrashLoopBackOff|not ready/);
  });
});
