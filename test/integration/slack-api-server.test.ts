import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startSlackApiServer, type SlackApiServer, type SlackApiServerOptions } from '../../lib/testkit/slack-api-server.js';

let server: SlackApiServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: SlackApiServerOptions = {}): Promise<SlackApiServer> {
  server = await startSlackApiServer({ rateLimit: false, ...opts });
  return server;
}

/** A raw call, as Slack sees it, without the WebClient's retries and argument handling. */
async function call(s: SlackApiServer, method: string, args: Record<string, unknown>, init: { token?: string | null; form?: boolean } = {}) {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? s.token : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(Object.entries(args).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(args);
  }
  const response = await fetch(`${s.url}${method}`, { method: 'POST', headers, body });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> & { ok: boolean; error?: string } };
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Slack API server: auth and methods', () => {
  it('answers not_authed without a token and invalid_auth with a wrong one', async () => {
    const s = await start({ token: 'xoxb-right' });
    expect((await call(s, 'auth.test', {}, { token: null })).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await call(s, 'auth.test', {}, { token: 'xoxb-wrong' })).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await call(s, 'auth.test', {}, { token: 'xoxb-right' })).body).toMatchObject({ ok: true, bot_id: expect.any(String), user_id: expect.any(String) });
  });

  it('answers unknown_method for methods it does not implement', async () => {
    const s = await start();
    expect((await call(s, 'chat.scheduleMessage', { channel: 'C1', text: 'x' })).body).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('records every call with its method, args, headers and time, without the token', async () => {
    const s = await start();
    const before = Date.now();
    await call(s, 'chat.postMessage', { channel: 'C1', text: 'hello' });
    const [recorded] = s.calls;
    expect(recorded).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', text: 'hello' }, status: 200 });
    expect(recorded!.headers.authorization).toBe('Bearer [redacted]');
    expect(recorded!.at).toBeGreaterThanOrEqual(before);
  });

  it('takes the form-encoded posts WebClient sends, blocks as a JSON string, and threads by thread_ts', async () => {
    const s = await start();
    const client = new WebClient(s.token, { slackApiUrl: s.url });
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'parent', blocks: [section('*parent*')] });
    const reply = await client.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: parent.ts });
    expect(s.calls[0]!.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.channel).toBe('C1');
    expect(parent.message).toMatchObject({ text: 'parent', blocks: [section('*parent*')] });
    expect(reply.ts! > parent.ts!).toBe(true);
    const thread = s.thread('C1', parent.ts!);
    expect(thread.map((m) => m.text)).toEqual(['parent', 'reply']);
    expect(thread[1]!.thread_ts).toBe(parent.ts);
    const replies = await client.conversations.replies({ channel: 'C1', ts: parent.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['parent', 'reply']);
  });

  it('answers thread_not_found for a thread_ts that names no message', async () => {
    const s = await start();
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', thread_ts: '1700000000.000001' })).body).toEqual({ ok: false, error: 'thread_not_found' });
    expect((await call(s, 'conversations.replies', { channel: 'C1', ts: '1700000000.000001' })).body).toEqual({ ok: false, error: 'thread_not_found' });
    expect(s.messages()).toHaveLength(0);
  });

  it('answers no_text for a message with neither text nor blocks', async () => {
    const s = await start();
    expect((await call(s, 'chat.postMessage', { channel: 'C1' })).body).toEqual({ ok: false, error: 'no_text' });
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: '', blocks: [] })).body).toEqual({ ok: false, error: 'no_text' });
  });

  it('updates messages, posts ephemerals, and answers message_not_found for an unknown ts', async () => {
    const s = await start();
    const posted = await call(s, 'chat.postMessage', { channel: 'C1', text: 'running…' });
    const ts = posted.body.ts as string;
    const updated = await call(s, 'chat.update', { channel: 'C1', ts, text: 'done', blocks: [section('done')] });
    expect(updated.body).toMatchObject({ ok: true, ts, text: 'done' });
    expect(s.messages('C1')[0]).toMatchObject({ text: 'done', edited: expect.any(Object) });
    expect((await call(s, 'chat.update', { channel: 'C1', ts: '1.000001', text: 'x' })).body).toEqual({ ok: false, error: 'message_not_found' });
    const ephemeral = await call(s, 'chat.postEphemeral', { channel: 'C1', user: 'U0ALICE', text: 'only you' });
    expect(ephemeral.body).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(s.ephemerals('C1')).toMatchObject([{ user: 'U0ALICE', text: 'only you' }]);
  });

  it('knows channel membership: not_in_channel until conversations.join, then already_in_channel', async () => {
    const s = await start({ channels: [{ id: 'C0OPS', name: 'ops', member: false }] });
    expect((await call(s, 'conversations.info', { channel: 'C0OPS' })).body).toMatchObject({ ok: true, channel: { id: 'C0OPS', name: 'ops', is_member: false } });
    expect((await call(s, 'chat.postMessage', { channel: 'C0OPS', text: 'x' })).body).toEqual({ ok: false, error: 'not_in_channel' });
    expect((await call(s, 'conversations.join', { channel: 'C0OPS' })).body).toMatchObject({ ok: true, channel: { is_member: true } });
    expect((await call(s, 'conversations.join', { channel: 'C0OPS' })).body).toMatchObject({ ok: true, warning: 'already_in_channel' });
    expect((await call(s, 'chat.postMessage', { channel: 'C0OPS', text: 'x' })).body).toMatchObject({ ok: true });
  });

  it('answers channel_not_found for unknown channels when asked to be strict, and is_archived for archived ones', async () => {
    const s = await start({ unknownChannels: 'reject', channels: [{ id: 'C0OLD', archived: true }] });
    expect((await call(s, 'chat.postMessage', { channel: 'C0NOPE', text: 'x' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    expect((await call(s, 'chat.postMessage', { channel: 'C0OLD', text: 'x' })).body).toEqual({ ok: false, error: 'is_archived' });
  });
});

describe('Slack API server: Block Kit limits', () => {
  const expectInvalid = async (s: SlackApiServer, blocks: unknown[], pointer: string, form = false) => {
    const { body } = await call(s, 'chat.postMessage', { channel: 'C1', text: 'fallback', blocks }, { form });
    expect(body.ok).toBe(false);
    expect(body.error).toBe('invalid_blocks');
    const messages = (body.response_metadata as { messages: string[] }).messages;
    expect(messages.some((m) => m.startsWith('[ERROR] ') && m.includes(`[json-pointer:${pointer}]`))).toBe(true);
    expect(body.errors).toEqual(messages.map((m) => m.replace('[ERROR] ', '')));
  };

  it('rejects more than 50 blocks', async () => {
    const s = await start();
    await expectInvalid(
      s,
      Array.from({ length: 51 }, () => ({ type: 'divider' })),
      '/blocks',
    );
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: Array.from({ length: 50 }, () => ({ type: 'divider' })) })).body.ok).toBe(true);
  });

  it('rejects section text over 3000 characters, in forms and JSON alike', async () => {
    const s = await start();
    await expectInvalid(s, [section('x'.repeat(3001))], '/blocks/0/text/text', true);
    await expectInvalid(s, [section('x'.repeat(3001))], '/blocks/0/text/text', false);
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: [section('x'.repeat(3000))] })).body.ok).toBe(true);
  });

  it('rejects more than 10 section fields and fields over 2000 characters', async () => {
    const s = await start();
    const field = (n: number) => ({ type: 'mrkdwn', text: 'f'.repeat(n) });
    await expectInvalid(s, [{ type: 'section', fields: Array.from({ length: 11 }, () => field(1)) }], '/blocks/0/fields');
    await expectInvalid(s, [{ type: 'section', fields: [field(2001)] }], '/blocks/0/fields/0/text');
  });

  it('rejects header text over 150, plain_text only', async () => {
    const s = await start();
    await expectInvalid(s, [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], '/blocks/0/text/text');
    await expectInvalid(s, [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }], '/blocks/0/text/type');
  });

  it('rejects more than 10 context elements, long block_ids, long button text and values', async () => {
    const s = await start();
    await expectInvalid(s, [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }], '/blocks/0/elements');
    await expectInvalid(s, [{ type: 'divider', block_id: 'b'.repeat(256) }], '/blocks/0/block_id');
    const buttonBlock = (text: string, value: string) => [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text }, value }] }];
    await expectInvalid(s, buttonBlock('t'.repeat(76), 'v'), '/blocks/0/elements/0/text/text');
    await expectInvalid(s, buttonBlock('t', 'v'.repeat(2001)), '/blocks/0/elements/0/value');
  });

  it('rejects unknown block types and unparseable blocks', async () => {
    const s = await start();
    await expectInvalid(s, [{ type: 'hologram' }], '/blocks/0');
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: '[{not json' }, { form: true })).body).toEqual({ ok: false, error: 'invalid_blocks_format' });
  });

  it('answers msg_blocks_too_long past ~13,200 characters of block text, though each block is within limits', async () => {
    const s = await start();
    const blocks = Array.from({ length: 5 }, () => section('x'.repeat(2700)));
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', blocks })).body).toEqual({ ok: false, error: 'msg_blocks_too_long' });
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: blocks.slice(0, 4) })).body.ok).toBe(true);
  });

  it('truncates text past 40,000 characters and warns, still posting', async () => {
    const s = await start();
    const { body } = await call(s, 'chat.postMessage', { channel: 'C1', text: 'y'.repeat(40_010) });
    expect(body).toMatchObject({ ok: true, warning: 'message_truncated', response_metadata: { warnings: ['message_truncated'] } });
    expect(s.messages('C1')[0]!.text).toHaveLength(40_000);
  });
});

describe('Slack API server: rate limits, response URLs, waiting', () => {
  it('answers 429 with Retry-After once a channel spends its burst, per channel', async () => {
    const s = await start({ rateLimit: { perSecond: 1, burst: 2 } });
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: '1' })).status).toBe(200);
    expect((await call(s, 'chat.postMessage', { channel: 'C1', text: '2' })).status).toBe(200);
    const limited = await call(s, 'chat.postMessage', { channel: 'C1', text: '3' });
    expect(limited).toMatchObject({ status: 429, retryAfter: '1', body: { ok: false, error: 'ratelimited' } });
    expect((await call(s, 'chat.postMessage', { channel: 'C2', text: 'other channel' })).status).toBe(200);
    expect(s.messages('C1').map((m) => m.text)).toEqual(['1', '2']);
  });

  it("chat.update keeps the channel and ts, refuses a message the bot did not post, and shares the channel's rate bucket with postMessage", async () => {
    const s = await start({ rateLimit: { perSecond: 1, burst: 2 } });
    const posted = await call(s, 'chat.postMessage', { channel: 'C1', text: 'checking…' });
    const ts = String(posted.body.ts);
    const updated = await call(s, 'chat.update', { channel: 'C1', ts, text: 'verdict' });
    expect(updated.body).toMatchObject({ ok: true, channel: 'C1', ts });
    expect(s.messages('C1').map((m) => [m.ts, m.text])).toEqual([[ts, 'verdict']]);
    // The burst of two is spent (one post, one update): the next update waits like a post would.
    const limited = await call(s, 'chat.update', { channel: 'C1', ts, text: 'again' });
    expect(limited).toMatchObject({ status: 429, body: { ok: false, error: 'ratelimited' } });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(s.messages('C1')[0]!.text).toBe('verdict');
    // Same ts in another channel is another message; a person's message cannot be edited.
    expect((await call(s, 'chat.update', { channel: 'C2', ts, text: 'x' })).body).toEqual({ ok: false, error: 'message_not_found' });
    const human = s.postUserMessage('C2', 'hello');
    expect((await call(s, 'chat.update', { channel: 'C2', ts: human.ts, text: 'x' })).body).toEqual({ ok: false, error: 'cant_update_message' });
    expect(s.messages('C2')[0]!.text).toBe('hello');
  });

  it('records response_url posts and refuses the sixth use', async () => {
    const s = await start();
    const url = s.responseUrl('cmd-1');
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `update ${i}`, response_type: 'ephemeral' }),
      });
      statuses.push(response.status);
      await response.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(s.responses('cmd-1').map((r) => [r.body.text, r.accepted])).toEqual([
      ['update 1', true],
      ['update 2', true],
      ['update 3', true],
      ['update 4', true],
      ['update 5', true],
      ['update 6', false],
    ]);
  });

  it('waitFor resolves when the awaited message arrives', async () => {
    const s = await start();
    const waiting = s.waitFor((srv) => srv.messages('C9').find((m) => m.text === 'late'), 5_000);
    await call(s, 'chat.postMessage', { channel: 'C9', text: 'early' });
    await call(s, 'chat.postMessage', { channel: 'C9', text: 'late' });
    expect(await waiting).toMatchObject({ text: 'late', channel: 'C9' });
  });

  it('waitFor rejects at its deadline, naming what it saw', async () => {
    const s = await start();
    await call(s, 'auth.test', {});
    await expect(s.waitFor((srv) => srv.messages().length > 0, 100)).rejects.toThrow(/not met within 100 ms \(1 calls so far: auth.test\)/);
  });
});
