import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent, isAnswered, textOf } from '../support/slack-messages.js';
import { withContext } from '../support/with-context.js';
import { alertDeduplicationId } from '../../lib/jobs/alerts.js';
import { createJob } from '../../lib/jobs/schema.js';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { ACTION_IDS } from '../../lib/slack/actions.js';
import { slackSignatureHeaders, slashCommandBody } from '../../lib/slack/signing.js';
import { startSlackApiServer, type SlackApiServer, type StoredMessage } from '../../lib/testkit/slack-api-server.js';

// What the buttons on a thread do, through the whole loop: a signed click → the Bolt handler →
// SQS → the worker → our Slack server, which also rate-limits every channel (one message a
// second, bursts of two), so every step here lands through Retry-After waits. Nothing mocked.

let slack: SlackApiServer;
let stack: LocalStack;
const CHANNEL = 'C0BUTTONS';
const OTHER = 'C0ELSEWHERE';
const GROUP_KEY = '{}:{alertname="PaymentsDown"}';
const target = { kind: 'svc' as const, name: 'payments', namespace: 'shop' };

beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: { perSecond: 1, burst: 2 } });
  stack = await startLocalStack({
    port: 0,
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, NETCHECK_INCIDENT_CHANNEL: CHANNEL, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    write: () => undefined,
  });
});

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

const replies = (channel: string, ts: string) => slack.thread(channel, ts).slice(1);
const newReply = (channel: string, ts: string, pattern: RegExp, timeoutMs = 30_000) => slack.waitFor(() => replies(channel, ts).find((m) => pattern.test(textOf(m))), timeoutMs);

type Element = { type: string; action_id: string; value?: string; url?: string; style?: string };
function elementsOf(m: StoredMessage): Element[] {
  const blocks = [...(m.blocks ?? []), ...((m.attachments ?? []) as { blocks?: unknown[] }[]).flatMap((a) => a.blocks ?? [])] as { elements?: Element[]; accessory?: Element }[];
  return blocks.flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]).filter((e) => typeof e.action_id === 'string');
}

async function click(
  message: StoredMessage,
  channel: string,
  element: Pick<Element, 'action_id' | 'value'>,
  opts: { secret?: string; triggerId?: string; responseId?: string } = {},
): Promise<number> {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0LOCAL', domain: 'local' },
    user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0LOCAL' },
    api_app_id: 'A0LOCAL',
    token: 'deprecated',
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
    trigger_id: opts.triggerId ?? `${Date.now()}.${Math.random()}`,
    channel: { id: channel, name: channel.toLowerCase() },
    message: { type: 'message', ts: message.ts, ...(message.thread_ts && message.thread_ts !== message.ts ? { thread_ts: message.thread_ts } : {}), text: message.text },
    response_url: slack.responseUrl(opts.responseId ?? 'click'),
    actions: [{ type: 'button', action_id: element.action_id, block_id: 'netcheck_actions', value: element.value, action_ts: '1.2', text: { type: 'plain_text', text: 'x' } }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const res = await fetch(`${stack.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(opts.secret ?? stack.signingSecret, body) },
    body,
  });
  await res.text();
  return res.status;
}

async function slash(text: string, channel: string): Promise<string> {
  const body = slashCommandBody({ text, channelId: channel, userId: 'U0ALICE', userName: 'alice' });
  const res = await fetch(`${stack.url}/slack/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(stack.signingSecret, body) },
    body,
  });
  expect(res.status).toBe(200);
  return (JSON.parse(await res.text()) as { text: string }).text;
}

async function postAlert(): Promise<number> {
  const alert = {
    status: 'firing',
    labels: { alertname: 'PaymentsDown', service: 'payments', namespace: 'shop', slack_channel: CHANNEL },
    annotations: {},
    startsAt: '2026-12-01T08:14:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: 'fp1',
  };
  const res = await fetch(`${stack.url}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.alertmanagerToken}` },
    body: JSON.stringify({
      version: '4',
      groupKey: GROUP_KEY,
      status: 'firing',
      receiver: 'netcheck',
      groupLabels: {},
      commonLabels: alert.labels,
      commonAnnotations: {},
      alerts: [alert],
    }),
  });
  await res.text();
  return res.status;
}

/** Alertmanager's next notification for the group, past SQS's 5-minute deduplication window. */
async function notifyAgain(n: number): Promise<void> {
  const job = createJob({
    trigger: 'alert',
    target,
    cluster: stack.cluster,
    requester: { source: 'alertmanager' },
    reply: { channel: CHANNEL },
    alert: { groupKey: GROUP_KEY, status: 'firing', alertnames: ['PaymentsDown'], count: n },
  });
  await new JobQueue(stack.sqs.client, stack.queueUrl).send(job, { deduplicationId: `${alertDeduplicationId(stack.cluster, GROUP_KEY, target, 'firing')}-${n}` });
}

describe('an incident report and its buttons', () => {
  let parent: StoredMessage;
  const button = (id: string) => {
    const found = elementsOf(parent).find((e) => e.action_id === id);
    if (!found) throw new Error(`no ${id} button on the parent`);
    return found;
  };

  it('has a header, a red bar, the fix as code and every button an incident needs', async () => {
    expect(await postAlert()).toBe(200);
    parent = await slack.waitFor((s) => s.messages(CHANNEL).find(isAnswered), 30_000);
    // The thread's last reply is the collapsed passed/skipped line: wait for the whole thread.
    await newReply(CHANNEL, parent.ts, /checks? passed/);
    expect(parent.blocks).toEqual([
      expect.objectContaining({ type: 'header', text: expect.objectContaining({ type: 'plain_text', text: expect.stringContaining('app=payment') }) }),
    ]);
    const [bar] = parent.attachments as { color: string; blocks: unknown[] }[];
    expect(bar!.color).toBe('#e01e5a');
    expect(JSON.stringify(bar!.blocks)).toContain('*Fix*\\n```kubectl -n shop patch svc payments');
    expect(elementsOf(parent).map((e) => e.action_id)).toEqual([
      ACTION_IDS.rerun,
      ACTION_IDS.docs,
      ACTION_IDS.showChecks,
      `${ACTION_IDS.silence}_1h`,
      `${ACTION_IDS.silence}_1d`,
      `${ACTION_IDS.silence}_7d`,
      ACTION_IDS.acknowledge,
      ACTION_IDS.resolve,
    ]);
    expect(button(ACTION_IDS.docs).url).toMatch(/^https:\/\//);
    // The replies do not say the parent's verdict and fix again.
    const thread = replies(CHANNEL, parent.ts).map(textOf).join('\n');
    expect(thread).not.toContain('kubectl -n shop patch svc payments');
    expect(thread).toContain('Why netcheck says so');
  });

  it('Acknowledge says who acknowledged, in the thread', async () => {
    expect(await click(parent, CHANNEL, button(ACTION_IDS.acknowledge))).toBe(200);
    const note = await newReply(CHANNEL, parent.ts, /Acknowledged by <@U0ALICE>/);
    expect(note.thread_ts).toBe(parent.ts);
  });

  it('Show all checks posts every passed and skipped check with its reason', async () => {
    expect(await click(parent, CHANNEL, button(ACTION_IDS.showChecks))).toBe(200);
    const all = textOf(await newReply(CHANNEL, parent.ts, /All checks for svc shop\/payments/));
    expect(all).toMatch(/checks? passed:/);
    expect(all).toContain('`selector-matches-no-pods`');
  });

  it('the docs link button is acknowledged and queues nothing', async () => {
    const before = stack.sqs.calls('SendMessage');
    expect(await click(parent, CHANNEL, { action_id: ACTION_IDS.docs })).toBe(200);
    expect(stack.sqs.calls('SendMessage')).toBe(before);
  });

  it('Silence holds the root cause in this channel: the next notification is one line that counts it silenced', async () => {
    expect(await click(parent, CHANNEL, button(`${ACTION_IDS.silence}_1h`))).toBe(200);
    await newReply(CHANNEL, parent.ts, /<@U0ALICE> silenced `selector-matches-no-pods` on \*svc shop\/payments\* in this channel until/);
    await notifyAgain(2);
    const still = await newReply(CHANNEL, parent.ts, /2nd notification/);
    expect(still.text).toMatch(/PaymentsDown: still failing since .* UTC, 2nd notification — nothing new/);
    expect(textOf(still)).toContain('1 silenced here');
    expect(textOf(still)).toContain('acknowledged by <@U0ALICE>');
    // No second copy of the report: a re-posted thread would put a FAIL parent into it.
    expect(
      replies(CHANNEL, parent.ts)
        .filter((m) => /^FAIL: .*\(svc shop\/payments, cluster /.test(m.text))
        .map((m) => m.text),
    ).toEqual([]);
  });

  it('the silence holds only in its channel', async () => {
    const body = slashCommandBody({ text: 'svc payments -n shop', channelId: OTHER, userId: 'U0BOB', userName: 'bob' });
    const res = await fetch(`${stack.url}/slack/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(stack.signingSecret, body) },
      body,
    });
    expect(res.status).toBe(200);
    const elsewhere = await slack.waitFor((s) => s.messages(OTHER).find(isAnswered), 30_000);
    expect(textOf(elsewhere)).toContain('app=payment');
    expect(textOf(elsewhere)).not.toContain('silenced here');
  });

  it('/netcheck silences lists it with an Unsilence button; unsilence of an unknown id says it is gone', async () => {
    expect(await slash('silences', CHANNEL)).toContain('for the silences of this channel');
    const listing = await slack.waitFor((s) => s.messages(CHANNEL).find((m) => isParent(m) && /1 silence in this channel/.test(m.text)), 30_000);
    expect(textOf(listing)).toContain('`selector-matches-no-pods` on *svc shop/payments* until');
    expect(elementsOf(listing).filter((e) => e.action_id === ACTION_IDS.unsilence)).toHaveLength(1);
    expect(await slash('unsilence s-00000000', CHANNEL)).toContain('to remove silence s-00000000');
    await slack.waitFor((s) => s.messages(CHANNEL).find((m) => isParent(m) && /Silence s-00000000 is already gone/.test(m.text)), 30_000);
  });

  let summary: StoredMessage;
  it('the daily summary in that channel lists the silence with an Unsilence button, and honours it', async () => {
    await stack.invokeSchedule({ cluster: stack.cluster, channel: CHANNEL, time: '2026-12-01T08:00:00Z' });
    summary = await slack.waitFor((s) => s.messages(CHANNEL).find((m) => isAnswered(m) && /Daily network summary/.test(m.text)), 60_000);
    const text = textOf(summary);
    expect(text).toMatch(/1 silence in this channel\* — holding \d+ problem/);
    expect(text).toContain('`selector-matches-no-pods` on *svc shop/payments* until');
    expect(elementsOf(summary).some((e) => e.action_id === ACTION_IDS.unsilence)).toBe(true);
  });

  it('Unsilence removes it: the next notification counts nothing silenced', async () => {
    const unsilence = elementsOf(summary).find((e) => e.action_id === ACTION_IDS.unsilence)!;
    expect(await click(summary, CHANNEL, unsilence)).toBe(200);
    await newReply(CHANNEL, summary.ts, /<@U0ALICE> removed silence `s-[0-9a-f]+`/);
    await notifyAgain(3);
    const third = await newReply(CHANNEL, parent.ts, /3rd notification/);
    expect(textOf(third)).not.toContain('silenced here');
    await slash('silences', CHANNEL);
    await slack.waitFor((s) => s.messages(CHANNEL).find((m) => isParent(m) && /No silences in this channel/.test(m.text)), 30_000);
  });

  it('Resolved marks the incident, in the thread', async () => {
    expect(await click(parent, CHANNEL, button(ACTION_IDS.resolve))).toBe(200);
    await newReply(CHANNEL, parent.ts, /Marked resolved by <@U0ALICE>/);
    // Firing again after it was marked resolved is news: the full report, not "still failing".
    await notifyAgain(4);
    await slack.waitFor(() => replies(CHANNEL, parent.ts).find((m) => /^FAIL: .*\(svc shop\/payments, cluster /.test(m.text)), 30_000);
    // …down to its collapsed checks line, the report's last message.
    await slack.waitFor(() => replies(CHANNEL, parent.ts).filter((m) => /^Checks: /.test(m.text)).length >= 2, 30_000);
    expect(replies(CHANNEL, parent.ts).some((m) => /4th notification/.test(m.text))).toBe(false);
  });

  it('refuses an unsigned click and answers a tampered value privately, queueing nothing', async () => {
    const before = stack.sqs.calls('SendMessage');
    expect(await click(parent, CHANNEL, button(`${ACTION_IDS.silence}_7d`), { secret: 'not-the-secret' })).toBe(401);
    expect(await click(parent, CHANNEL, { action_id: `${ACTION_IDS.silence}_7d`, value: '{"target":{"kind":"svc"},"cluster":"demo"}' }, { responseId: 'tampered' })).toBe(200);
    const answer = await slack.waitFor((s) => s.responses('tampered')[0], 10_000);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('out of date') });
    expect(stack.sqs.calls('SendMessage')).toBe(before);
  });

  it('waited out every rate limit: each refused post landed later, no earlier than Retry-After said', () => {
    const posts = slack.calls.filter((c) => c.method === 'chat.postMessage');
    const limited = posts.filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const refused of limited) {
      const retryAfterMs = Number((refused.response as { retry_after?: number }).retry_after ?? 1) * 1000;
      const landed = posts.find(
        (c) => c.at > refused.at && c.status === 200 && c.args.channel === refused.args.channel && c.args.text === refused.args.text && c.args.thread_ts === refused.args.thread_ts,
      );
      withContext(`a retry of "${String(refused.args.text).slice(0, 60)}"`, () => expect(landed).toBeDefined());
      expect(landed!.at - refused.at).toBeGreaterThanOrEqual(retryAfterMs - 50);
    }
  });
});
