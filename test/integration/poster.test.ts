import { afterEach, describe, expect, it } from '@jest/globals';
import { createSlackPoster, SlackPostError, type ThreadPoster } from '../../lib/post/slack.js';
import { createTerminalPoster } from '../../lib/post/terminal.js';
import type { SlackMessage, SlackThread } from '../../lib/render/slack.js';
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

const message = (text: string): SlackMessage => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } }] });
const thread = (parent: string, ...replies: string[]): SlackThread => ({ parent: message(parent), replies: replies.map(message) });

function posterFor(s: SlackApiServer, token = s.token): ThreadPoster {
  return createSlackPoster({ token, slackApiUrl: s.url, retries: 3, maxRetryTimeMs: 10_000 });
}

describe('Slack poster', () => {
  it('posts the parent, then each reply in order under it', async () => {
    const s = await start();
    const posted = await posterFor(s).postThread('C0OPS', thread('verdict', 'cause', 'passes'));
    expect(posted.replyTs).toHaveLength(2);
    const landed = s.thread('C0OPS', posted.ts);
    expect(landed.map((m) => [m.text, m.ts, m.thread_ts])).toEqual([
      ['verdict', posted.ts, posted.ts],
      ['cause', posted.replyTs[0], posted.ts],
      ['passes', posted.replyTs[1], posted.ts],
    ]);
    expect(landed[0]!.blocks).toEqual(message('verdict').blocks);
    const args = s.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args);
    expect(args[0]).not.toHaveProperty('thread_ts');
    expect(args[0]).toMatchObject({ unfurl_links: 'false', unfurl_media: 'false' });
  });

  it('with threadTs, posts the parent into the existing thread and the replies after it', async () => {
    const s = await start();
    const poster = posterFor(s);
    const first = await poster.postThread('C0OPS', thread('first run'));
    const rerun = await poster.postThread('C0OPS', thread('re-run verdict', 're-run cause'), { threadTs: first.ts });
    expect(s.thread('C0OPS', first.ts).map((m) => m.text)).toEqual(['first run', 're-run verdict', 're-run cause']);
    expect(
      s
        .messages('C0OPS')
        .filter((m) => m.thread_ts === first.ts && m.ts !== first.ts)
        .map((m) => m.ts),
    ).toEqual([rerun.ts, ...rerun.replyTs]);
    const replyTs = await poster.postReply('C0OPS', first.ts, message('2 more alerts in this group'));
    expect(s.thread('C0OPS', first.ts).at(-1)).toMatchObject({ ts: replyTs, text: '2 more alerts in this group', thread_ts: first.ts });
  });

  it('waits out a 429 per Retry-After and lands every message exactly once', async () => {
    const s = await start({ rateLimit: { perSecond: 1, burst: 1 } });
    const started = Date.now();
    const posted = await posterFor(s).postThread('C0OPS', thread('verdict', 'cause'));
    const elapsed = Date.now() - started;
    const limited = s.calls.filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.response).toEqual({ ok: false, error: 'ratelimited' });
    // Retry-After: 1 was honoured rather than hammered through.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(s.messages('C0OPS').map((m) => m.text)).toEqual(['verdict', 'cause']);
    expect(s.thread('C0OPS', posted.ts)).toHaveLength(2);
  });

  it('joins the channel once when the bot is not in it, then posts', async () => {
    const s = await start({ channels: [{ id: 'C0NEW', name: 'inc-payments', member: false }] });
    const posted = await posterFor(s).postThread('C0NEW', thread('baseline', 'ns shop'));
    expect(s.calls.map((c) => [c.method, c.response.ok === true ? 'ok' : c.response.error])).toEqual([
      ['chat.postMessage', 'not_in_channel'],
      ['conversations.join', 'ok'],
      ['chat.postMessage', 'ok'],
      ['chat.postMessage', 'ok'],
    ]);
    expect(s.thread('C0NEW', posted.ts).map((m) => m.text)).toEqual(['baseline', 'ns shop']);
  });

  it('explains that the bot must be invited when it cannot join (private channel)', async () => {
    const s = await start({ channels: [{ id: 'G0PRIV', member: false, private: true }] });
    const error = (await posterFor(s)
      .postThread('G0PRIV', thread('x'))
      .catch((e: unknown) => e)) as SlackPostError;
    expect(error).toMatchObject({ name: 'SlackPostError', code: 'not_in_channel' });
    expect(error.message).toBe('the bot is not in G0PRIV and cannot join it (method_not_supported_for_channel_type); invite it with /invite');
    expect(s.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'conversations.join']);
    expect(s.messages()).toHaveLength(0);
  });

  it('fails with a clear invalid_auth error for a bad token, posting nothing', async () => {
    const s = await start();
    const error = await posterFor(s, 'xoxb-revoked')
      .postThread('C0OPS', thread('x'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SlackPostError);
    expect((error as SlackPostError).code).toBe('invalid_auth');
    expect((error as SlackPostError).message).toBe('Slack chat.postMessage to C0OPS failed: invalid_auth');
    expect(s.messages()).toHaveLength(0);
    expect(s.calls).toHaveLength(1);
  });

  it('refuses to start without a token', () => {
    expect(() => createSlackPoster({ token: '' })).toThrow(/needs a bot token/);
  });

  it('surfaces Slack validation errors with their details, and what had already been posted', async () => {
    const s = await start();
    const bad: SlackThread = {
      parent: message('verdict'),
      replies: [message('ok reply'), { text: 'too long', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }],
    };
    const error = (await posterFor(s)
      .postThread('C0OPS', bad)
      .catch((e: unknown) => e)) as SlackPostError;
    expect(error.code).toBe('invalid_blocks');
    expect(error.message).toContain('must be less than 3001 characters [json-pointer:/blocks/0/text/text]');
    expect(error.message).toContain('after the parent and 1 of 2 replies were posted');
    expect(error.posted?.ts).toBe(s.messages('C0OPS')[0]!.ts);
    expect(error.posted?.replyTs).toEqual([s.messages('C0OPS')[1]!.ts]);
  });

  it('surfaces channel_not_found without retrying', async () => {
    const s = await start({ unknownChannels: 'reject' });
    await expect(posterFor(s).postReply('C0GONE', '1.000001', message('x'))).rejects.toMatchObject({ code: 'channel_not_found' });
    expect(s.calls).toHaveLength(1);
  });
});

describe('terminal poster', () => {
  it('prints the thread readably and returns Slack-shaped ts values', async () => {
    const out: string[] = [];
    const poster = createTerminalPoster((s) => out.push(s));
    const posted = await poster.postThread('C0OPS', thread('verdict & more', 'cause'));
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.replyTs).toHaveLength(1);
    expect(posted.replyTs[0]! > posted.ts).toBe(true);
    expect(out.join('')).toBe('── #C0OPS ──\nverdict & more\n\n  ↳ cause\n\n');
    const replyTs = await poster.postReply('C0OPS', posted.ts, message('resolved'));
    expect(replyTs > posted.replyTs[0]!).toBe(true);
    expect(out.at(-1)).toBe(`── #C0OPS (in thread ${posted.ts}) ──\n  ↳ resolved\n\n`);
  });

  it('gives up on a Slack call that never answers, instead of holding the job', async () => {
    const { createServer } = await import('node:http');
    const sockets = new Set<import('node:net').Socket>();
    // Accepts every request and never answers it.
    const silent = createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as import('node:net').AddressInfo;
    try {
      const poster = createSlackPoster({ token: 'xoxb-test', slackApiUrl: `http://127.0.0.1:${port}/api/`, retries: 0, callTimeoutMs: 300 });
      const started = Date.now();
      await expect(poster.postThread('C0HANG', { parent: { text: 'hello', blocks: [] }, replies: [] })).rejects.toBeInstanceOf(SlackPostError);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
