// A Slack Web API server for tests and local runs. No maintained emulator exists on npm, and the
// behaviours we depend on (Block Kit limits, rate limiting, threads, not_in_channel) are exactly
// the ones a mock would get wrong, so this answers like Slack does: HTTP 200 with `ok:false` and
// an error code for API errors, HTTP 429 + Retry-After for rate limits.
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackApiCall {
  method: string;
  args: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** HTTP status and body we answered with. */
  status: number;
  response: Record<string, unknown>;
}

export interface StoredMessage {
  type: 'message';
  subtype?: 'bot_message';
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  /** Legacy attachments (the colour bar), each with its own blocks. */
  attachments?: unknown[];
  /** Absent on messages people posted (see postUserMessage): the bot cannot edit those. */
  bot_id?: string;
  user: string;
  reply_count?: number;
  edited?: { user: string; ts: string };
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  message_ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
  /** 1-based; Slack accepts five posts per response_url. */
  use: number;
  accepted: boolean;
}

export interface ChannelSpec {
  id: string;
  name?: string;
  /** Whether the bot is a member; false makes chat.postMessage answer not_in_channel. */
  member?: boolean;
  archived?: boolean;
  /** Private channels cannot be joined, only invited to (conversations.join fails). */
  private?: boolean;
}

export interface SlackApiServerOptions {
  /** The bot token to accept; default "xoxb-test-token". */
  token?: string;
  /** chat.postMessage per channel; default 1/s with a burst of 3, like Slack's "1 per second, short bursts". */
  rateLimit?: { perSecond: number; burst: number } | false;
  /** Channels known up front; with `unknownChannels: 'reject'` only these exist. */
  channels?: ChannelSpec[];
  /** What a message to a channel not listed does: create it (bot a member) or answer channel_not_found. */
  unknownChannels?: 'create' | 'reject';
  /** User groups (id S… → member user ids) for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
}

export interface SlackApiServer {
  /** Base URL ending with /api/, for `new WebClient(token, { slackApiUrl })`. */
  url: string;
  token: string;
  calls: SlackApiCall[];
  /** Channel messages and thread replies in the order they were posted. */
  messages(channel?: string): StoredMessage[];
  /** The parent followed by its replies; empty when there is no such message. */
  thread(channel: string, ts: string): StoredMessage[];
  ephemerals(channel?: string): EphemeralMessage[];
  /** Posts received on response URLs (all ids, or one). */
  responses(id?: string): ResponseUrlPost[];
  /** A URL for slash-command `response_url` posts; posts to it are recorded under `id`. */
  responseUrl(id: string): string;
  /** Add or change a channel (e.g. take the bot out of it). */
  setChannel(spec: ChannelSpec): void;
  /** A message a person posted (not the bot): chat.update on it answers cant_update_message. */
  postUserMessage(channel: string, text: string, user?: string): StoredMessage;
  /** Create or change a user group's members. */
  setUsergroup(id: string, users: string[]): void;
  /**
   * Resolves with the predicate's first truthy value, re-evaluated after every request the server
   * handles; rejects once `timeoutMs` passes without one.
   */
  waitFor<T>(predicate: (server: SlackApiServer) => T | undefined | null | false, timeoutMs: number): Promise<T>;
  close(): Promise<void>;
}

const BOT_ID = 'B0NETCHECK';
const BOT_USER_ID = 'U0NETCHECK';
const TEAM_ID = 'T0NETCHECK';

/** Slack truncates `text` past this many characters and warns. */
const TEXT_TRUNCATE_AT = 40_000;
/**
 * Undocumented: Slack answers msg_blocks_too_long once the text inside a message's blocks passes
 * roughly 13,200 characters (slackapi/bolt-js#2509 measured 13,297 with markdown blocks only).
 */
const BLOCKS_TEXT_BUDGET = 13_200;
const RESPONSE_URL_USES = 5;

interface ChannelState {
  id: string;
  name: string;
  member: boolean;
  archived: boolean;
  private: boolean;
  created: number;
}

class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

export async function startSlackApiServer(opts: SlackApiServerOptions = {}): Promise<SlackApiServer> {
  const token = opts.token ?? 'xoxb-test-token';
  const tokenDigest = sha256(token);
  const rateLimit = opts.rateLimit === undefined ? { perSecond: 1, burst: 3 } : opts.rateLimit;
  const unknownChannels = opts.unknownChannels ?? 'create';

  const events = new EventEmitter();
  events.setMaxListeners(0);
  const calls: SlackApiCall[] = [];
  const channels = new Map<string, ChannelState>();
  const messages: StoredMessage[] = [];
  const ephemerals: EphemeralMessage[] = [];
  const usergroups = new Map<string, string[]>(Object.entries(opts.usergroups ?? {}));
  const responsePosts: ResponseUrlPost[] = [];
  const buckets = new Map<string, { tokens: number; updatedAt: number }>();
  let sequence = 0;

  const setChannel = (spec: ChannelSpec) => {
    const existing = channels.get(spec.id);
    channels.set(spec.id, {
      id: spec.id,
      name: spec.name ?? existing?.name ?? spec.id.toLowerCase(),
      member: spec.member ?? existing?.member ?? true,
      archived: spec.archived ?? existing?.archived ?? false,
      private: spec.private ?? existing?.private ?? false,
      created: existing?.created ?? Math.floor(Date.now() / 1000),
    });
  };
  for (const spec of opts.channels ?? []) setChannel(spec);

  const nextTs = () => {
    sequence += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(sequence % 1_000_000).padStart(6, '0')}`;
  };

  const channelFor = (id: unknown): ChannelState => {
    if (typeof id !== 'string' || id === '') throw new SlackApiError('channel_not_found');
    const known = channels.get(id);
    if (known) return known;
    if (unknownChannels === 'reject') throw new SlackApiError('channel_not_found');
    setChannel({ id });
    return channels.get(id)!;
  };

  /** Token bucket per channel; returns seconds to wait, or 0 when the message may go. */
  const takeRateToken = (channel: string): number => {
    if (!rateLimit) return 0;
    const now = Date.now();
    const bucket = buckets.get(channel) ?? { tokens: rateLimit.burst, updatedAt: now };
    bucket.tokens = Math.min(rateLimit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rateLimit.perSecond);
    bucket.updatedAt = now;
    buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rateLimit.perSecond));
  };

  const messageContent = (args: Record<string, unknown>) => {
    const blocks = parseBlocks(args.blocks);
    const rawText = typeof args.text === 'string' ? args.text : '';
    const hasAttachments =
      typeof args.attachments === 'string' ? args.attachments !== '' && args.attachments !== '[]' : Array.isArray(args.attachments) && args.attachments.length > 0;
    if (rawText === '' && (!blocks || blocks.length === 0) && !hasAttachments) throw new SlackApiError('no_text');
    if (blocks) validateBlocks(blocks);
    const attachments = parseAttachments(args.attachments);
    for (const attachment of attachments ?? []) validateAttachment(attachment);
    // The budgets hold for everything a message shows, its attachments' blocks included.
    if (attachments && blocks) {
      const all = [...blocks, ...attachments.flatMap((a) => (Array.isArray(a.blocks) ? (a.blocks as unknown[]) : []))];
      if (all.length > 50) throw new SlackApiError('invalid_blocks', { errors: ['no more than 50 items allowed [json-pointer:/blocks]'] });
      if (blockTextLength(all) > BLOCKS_TEXT_BUDGET) throw new SlackApiError('msg_blocks_too_long');
    }
    const truncated = rawText.length > TEXT_TRUNCATE_AT;
    const text = truncated ? rawText.slice(0, TEXT_TRUNCATE_AT) : rawText;
    const warning: Record<string, unknown> = truncated
      ? {
          warning: 'message_truncated',
          response_metadata: {
            warnings: ['message_truncated'],
            messages: ['[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters.'],
          },
        }
      : {};
    return { text, blocks: blocks ?? undefined, attachments: attachments ?? undefined, warning };
  };

  const findMessage = (channel: string, ts: string) => messages.find((m) => m.channel === channel && m.ts === ts);

  const publicMessage = (m: StoredMessage) => {
    const { channel: _channel, ...rest } = m;
    return rest;
  };

  const methods: Record<string, (args: Record<string, unknown>) => { status?: number; headers?: Record<string, string>; body: Record<string, unknown> }> = {
    'auth.test': () => ({
      body: {
        ok: true,
        url: 'https://netcheck-test.slack.com/',
        team: 'netcheck-test',
        user: 'netcheck',
        team_id: TEAM_ID,
        user_id: BOT_USER_ID,
        bot_id: BOT_ID,
        is_enterprise_install: false,
      },
    }),

    'chat.postMessage': (args) => {
      const channel = channelFor(args.channel);
      if (channel.archived) throw new SlackApiError('is_archived');
      if (!channel.member) throw new SlackApiError('not_in_channel');
      const content = messageContent(args);
      const threadTs = nonEmptyString(args.thread_ts);
      let parent: StoredMessage | undefined;
      if (threadTs !== undefined) {
        parent = findMessage(channel.id, threadTs);
        if (!parent) throw new SlackApiError('thread_not_found');
      }
      const wait = takeRateToken(channel.id);
      if (wait > 0) return { status: 429, headers: { 'retry-after': String(wait) }, body: { ok: false, error: 'ratelimited' } };
      const message: StoredMessage = {
        type: 'message',
        subtype: 'bot_message',
        channel: channel.id,
        ts: nextTs(),
        text: content.text,
        bot_id: BOT_ID,
        user: BOT_USER_ID,
        ...(content.blocks ? { blocks: content.blocks } : {}),
        ...(content.attachments ? { attachments: content.attachments } : {}),
      };
      if (parent) {
        // Replies to a reply land in the parent's thread, as in Slack.
        const root = parent.thread_ts ? (findMessage(channel.id, parent.thread_ts) ?? parent) : parent;
        message.thread_ts = root.ts;
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
      }
      messages.push(message);
      return { body: { ok: true, channel: channel.id, ts: message.ts, message: publicMessage(message), ...content.warning } };
    },

    'chat.postEphemeral': (args) => {
      const channel = channelFor(args.channel);
      if (channel.archived) throw new SlackApiError('is_archived');
      if (!channel.member) throw new SlackApiError('not_in_channel');
      const user = nonEmptyString(args.user);
      if (!user) throw new SlackApiError('user_not_in_channel');
      const content = messageContent(args);
      const ephemeral: EphemeralMessage = { channel: channel.id, user, message_ts: nextTs(), text: content.text, ...(content.blocks ? { blocks: content.blocks } : {}) };
      const threadTs = nonEmptyString(args.thread_ts);
      if (threadTs) ephemeral.thread_ts = threadTs;
      ephemerals.push(ephemeral);
      return { body: { ok: true, message_ts: ephemeral.message_ts, ...content.warning } };
    },

    // Slack's semantics: the same channel and ts; only the app's own messages can be edited; the
    // same rate tier as chat.postMessage (one bucket per channel for both).
    'chat.update': (args) => {
      const channel = channelFor(args.channel);
      if (channel.archived) throw new SlackApiError('is_archived');
      const ts = nonEmptyString(args.ts);
      const message = ts ? findMessage(channel.id, ts) : undefined;
      if (!message) throw new SlackApiError('message_not_found');
      if (message.bot_id !== BOT_ID) throw new SlackApiError('cant_update_message');
      const content = messageContent(args);
      const wait = takeRateToken(channel.id);
      if (wait > 0) return { status: 429, headers: { 'retry-after': String(wait) }, body: { ok: false, error: 'ratelimited' } };
      message.text = content.text;
      if (content.blocks) message.blocks = content.blocks;
      else delete message.blocks;
      if (content.attachments) message.attachments = content.attachments;
      else delete message.attachments;
      message.edited = { user: BOT_USER_ID, ts: nextTs() };
      return { body: { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: publicMessage(message), ...content.warning } };
    },

    'conversations.join': (args) => {
      const channel = channelFor(args.channel);
      if (channel.archived) throw new SlackApiError('is_archived');
      if (channel.private) throw new SlackApiError('method_not_supported_for_channel_type');
      const already = channel.member;
      channel.member = true;
      return {
        body: {
          ok: true,
          channel: channelInfo(channel),
          ...(already ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}),
        },
      };
    },

    // usergroups:read. Slack answers no_such_subteam for an unknown id and, with include_disabled
    // unset, the same for a disabled group; members come back as user ids.
    'usergroups.users.list': (args) => {
      const id = nonEmptyString(args.usergroup);
      if (!id) throw new SlackApiError('invalid_arguments');
      const members = usergroups.get(id);
      if (!members) throw new SlackApiError('no_such_subteam');
      return { body: { ok: true, users: [...members] } };
    },

    'conversations.info': (args) => ({ body: { ok: true, channel: channelInfo(channelFor(args.channel)) } }),

    'conversations.replies': (args) => {
      const channel = channelFor(args.channel);
      const ts = nonEmptyString(args.ts);
      const parent = ts ? findMessage(channel.id, ts) : undefined;
      if (!parent) throw new SlackApiError('thread_not_found');
      const rootTs = parent.thread_ts ?? parent.ts;
      const thread = messages.filter((m) => m.channel === channel.id && (m.ts === rootTs || m.thread_ts === rootTs));
      return { body: { ok: true, messages: thread.map(publicMessage), has_more: false } };
    },
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string, rawQuery: string) => {
    const at = Date.now();
    let status = 200;
    let extraHeaders: Record<string, string> = {};
    let body: Record<string, unknown>;
    let args: Record<string, unknown> = {};
    try {
      args = await readArgs(req, rawQuery);
      const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!handler) throw new SlackApiError('unknown_method', { req_method: method });
      const presented = bearerToken(req) ?? (typeof args.token === 'string' ? args.token : undefined);
      if (presented === undefined || presented === '') throw new SlackApiError('not_authed');
      if (!timingSafeEqual(sha256(presented), tokenDigest)) throw new SlackApiError('invalid_auth');
      const result = handler(args);
      status = result.status ?? 200;
      extraHeaders = result.headers ?? {};
      body = result.body;
    } catch (error) {
      body = error instanceof SlackApiError ? { ok: false, error: error.code, ...error.extra } : { ok: false, error: 'internal_error', detail: String(error) };
    }
    const { token: _token, ...recordedArgs } = args;
    calls.push({ method, args: recordedArgs, headers: redactHeaders(req.headers), at, status, response: body });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extraHeaders });
    res.end(JSON.stringify(body));
    events.emit('change');
  };

  const handleResponseUrl = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    let body: Record<string, unknown>;
    try {
      body = await readArgs(req, '');
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(error instanceof SlackApiError ? error.code : 'invalid_payload');
      return;
    }
    const use = responsePosts.filter((p) => p.id === id).length + 1;
    const accepted = use <= RESPONSE_URL_USES;
    responsePosts.push({ id, body, at: Date.now(), use, accepted });
    if (!accepted) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('used_url');
    } else {
      let answer: Record<string, unknown> = { ok: true };
      try {
        messageContent(body);
      } catch (error) {
        answer = error instanceof SlackApiError ? { ok: false, error: error.code, ...error.extra } : { ok: false, error: 'internal_error' };
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer));
    }
    events.emit('change');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
    const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
    const done = (p: Promise<void>) =>
      p.catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    if (apiMatch?.[1] && (req.method === 'POST' || req.method === 'GET')) {
      done(handleApi(req, res, decodeURIComponent(apiMatch[1]), url.search));
    } else if (responseMatch?.[1] && req.method === 'POST') {
      done(handleResponseUrl(req, res, decodeURIComponent(responseMatch[1])));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const api: SlackApiServer = {
    url: `${base}/api/`,
    token,
    calls,
    messages: (channel) => messages.filter((m) => channel === undefined || m.channel === channel),
    thread: (channel, ts) => {
      const parent = findMessage(channel, ts);
      if (!parent) return [];
      return messages.filter((m) => m.channel === channel && (m.ts === parent.ts || m.thread_ts === parent.ts));
    },
    ephemerals: (channel) => ephemerals.filter((m) => channel === undefined || m.channel === channel),
    responses: (id) => responsePosts.filter((p) => id === undefined || p.id === id),
    responseUrl: (id) => `${base}/response/${encodeURIComponent(id)}`,
    setChannel,
    postUserMessage: (channel, text, user = 'U0PERSON') => {
      const message: StoredMessage = { type: 'message', channel: channelFor(channel).id, ts: nextTs(), text, user };
      messages.push(message);
      events.emit('change');
      return message;
    },
    setUsergroup: (id, users) => void usergroups.set(id, [...users]),
    waitFor: <T>(predicate: (server: SlackApiServer) => T | undefined | null | false, timeoutMs: number) =>
      new Promise<T>((resolve, reject) => {
        const check = () => {
          let value: T | undefined | null | false;
          try {
            value = predicate(api);
          } catch (error) {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (value) {
            finish();
            resolve(value);
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`slack api server: condition not met within ${timeoutMs} ms (${calls.length} calls so far: ${calls.map((c) => c.method).join(', ') || 'none'})`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          events.off('change', check);
        };
        events.on('change', check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return api;
}

function channelInfo(channel: ChannelState) {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: true,
    is_private: channel.private,
    is_archived: channel.archived,
    is_member: channel.member,
    created: channel.created,
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.*)$/i.exec(header);
  return match ? (match[1] ?? '') : '';
}

function redactHeaders(headers: IncomingMessage['headers']): SlackApiCall['headers'] {
  return { ...headers, ...(headers.authorization ? { authorization: 'Bearer [redacted]' } : {}) };
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function readArgs(req: IncomingMessage, rawQuery: string): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(rawQuery));
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw === '') return args;
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SlackApiError('invalid_json');
    return { ...args, ...(parsed as Record<string, unknown>) };
  }
  if (contentType === 'application/x-www-form-urlencoded' || contentType === 'text/plain') {
    return { ...args, ...Object.fromEntries(new URLSearchParams(raw)) };
  }
  if (contentType === '') throw new SlackApiError('missing_post_type');
  throw new SlackApiError('invalid_post_type');
}

function parseBlocks(value: unknown): unknown[] | null {
  if (value === undefined || value === null || value === '') return null;
  let blocks = value;
  if (typeof value === 'string') {
    try {
      blocks = JSON.parse(value);
    } catch {
      throw new SlackApiError('invalid_blocks_format');
    }
  }
  if (!Array.isArray(blocks) || blocks.some((b) => b === null || typeof b !== 'object' || Array.isArray(b))) throw new SlackApiError('invalid_blocks_format');
  return blocks;
}

function parseAttachments(value: unknown): Record<string, unknown>[] | null {
  if (value === undefined || value === null || value === '') return null;
  let attachments = value;
  if (typeof value === 'string') {
    try {
      attachments = JSON.parse(value);
    } catch {
      throw new SlackApiError('invalid_attachments');
    }
  }
  if (!Array.isArray(attachments) || attachments.some((a) => a === null || typeof a !== 'object' || Array.isArray(a))) throw new SlackApiError('invalid_attachments');
  return attachments as Record<string, unknown>[];
}

/** Slack reads a hex colour or good/warning/danger; blocks inside follow the message rules. */
function validateAttachment(attachment: Record<string, unknown>): void {
  const color = attachment.color;
  if (color !== undefined && (typeof color !== 'string' || !/^(#?[0-9a-fA-F]{6}|good|warning|danger)$/.test(color)))
    throw new SlackApiError('invalid_attachments', { errors: [`bad color ${String(color)}`] });
  if (attachment.blocks !== undefined) {
    if (!Array.isArray(attachment.blocks)) throw new SlackApiError('invalid_attachments');
    validateBlocks(attachment.blocks);
  }
}

// ---- Block Kit validation: the documented limits, reported the way Slack reports them ----

type Problems = string[];

function validateBlocks(blocks: unknown[]): void {
  const problems: Problems = [];
  if (blocks.length > 50) problems.push('no more than 50 items allowed [json-pointer:/blocks]');
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => validateBlock(block as Record<string, unknown>, `/blocks/${i}`, problems, blockIds));
  if (problems.length > 0) {
    throw new SlackApiError('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
  }
  const textLength = blocks.reduce<number>((sum, block) => sum + blockTextLength(block), 0);
  if (textLength > BLOCKS_TEXT_BUDGET) throw new SlackApiError('msg_blocks_too_long');
}

function validateBlock(block: Record<string, unknown>, pointer: string, problems: Problems, blockIds: Set<string>): void {
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string') problems.push(`must be a string [json-pointer:${pointer}/block_id]`);
    else {
      if (block.block_id.length > 255) problems.push(`must be less than 256 characters [json-pointer:${pointer}/block_id]`);
      if (blockIds.has(block.block_id)) problems.push(`duplicate block_id [json-pointer:${pointer}/block_id]`);
      blockIds.add(block.block_id);
    }
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) problems.push(`must provide either text or fields [json-pointer:${pointer}]`);
      if (block.text !== undefined) textObject(block.text, `${pointer}/text`, 3000, ['plain_text', 'mrkdwn'], problems);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) problems.push(`must be an array [json-pointer:${pointer}/fields]`);
        else {
          if (block.fields.length > 10) problems.push(`no more than 10 items allowed [json-pointer:${pointer}/fields]`);
          block.fields.forEach((field, i) => textObject(field, `${pointer}/fields/${i}`, 2000, ['plain_text', 'mrkdwn'], problems));
        }
      }
      if (block.accessory !== undefined) element(block.accessory, `${pointer}/accessory`, problems);
      return;
    }
    case 'header':
      textObject(block.text, `${pointer}/text`, 150, ['plain_text'], problems);
      return;
    case 'context': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        problems.push(`must provide at least 1 item [json-pointer:${pointer}/elements]`);
        return;
      }
      if (block.elements.length > 10) problems.push(`no more than 10 items allowed [json-pointer:${pointer}/elements]`);
      block.elements.forEach((el, i) => {
        const item = el as Record<string, unknown>;
        if (item?.type === 'image') return;
        textObject(item, `${pointer}/elements/${i}`, 3000, ['plain_text', 'mrkdwn'], problems);
      });
      return;
    }
    case 'actions': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        problems.push(`must provide at least 1 item [json-pointer:${pointer}/elements]`);
        return;
      }
      if (block.elements.length > 25) problems.push(`no more than 25 items allowed [json-pointer:${pointer}/elements]`);
      block.elements.forEach((el, i) => element(el, `${pointer}/elements/${i}`, problems));
      return;
    }
    case 'markdown':
      if (typeof block.text !== 'string' || block.text === '') problems.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
      else if (block.text.length > 12_000) problems.push(`must be less than 12001 characters [json-pointer:${pointer}/text]`);
      return;
    case 'divider':
    case 'image':
    case 'rich_text':
      return;
    default:
      problems.push(`failed to match all allowed schemas [json-pointer:${pointer}]`);
  }
}

function element(value: unknown, pointer: string, problems: Problems): void {
  const el = value as Record<string, unknown> | null;
  if (!el || typeof el !== 'object') {
    problems.push(`must be an object [json-pointer:${pointer}]`);
    return;
  }
  if (el.action_id !== undefined && (typeof el.action_id !== 'string' || el.action_id.length > 255))
    problems.push(`must be less than 256 characters [json-pointer:${pointer}/action_id]`);
  if (el.type === 'button') {
    textObject(el.text, `${pointer}/text`, 75, ['plain_text'], problems);
    if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > 2000)) problems.push(`must be less than 2001 characters [json-pointer:${pointer}/value]`);
    if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > 3000)) problems.push(`must be less than 3001 characters [json-pointer:${pointer}/url]`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') problems.push(`must be one of primary, danger [json-pointer:${pointer}/style]`);
    return;
  }
  if (el.type === 'image' || el.type === 'overflow' || el.type === 'static_select' || el.type === 'datepicker') return;
  problems.push(`failed to match all allowed schemas [json-pointer:${pointer}]`);
}

function textObject(value: unknown, pointer: string, max: number, types: string[], problems: Problems): void {
  const obj = value as Record<string, unknown> | null;
  if (!obj || typeof obj !== 'object') {
    problems.push(`must be an object [json-pointer:${pointer}]`);
    return;
  }
  if (typeof obj.type !== 'string' || !types.includes(obj.type)) {
    problems.push(`must be one of ${types.join(', ')} [json-pointer:${pointer}/type]`);
  }
  if (typeof obj.text !== 'string' || obj.text.length === 0) {
    problems.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
  } else if (obj.text.length > max) {
    problems.push(`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`);
  }
}

/** Characters of text a block carries (what msg_blocks_too_long appears to count). */
function blockTextLength(value: unknown): number {
  if (typeof value === 'string') return 0;
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + blockTextLength(v), 0);
  if (!value || typeof value !== 'object') return 0;
  let sum = 0;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'text' && typeof v === 'string') sum += v.length;
    else sum += blockTextLength(v);
  }
  return sum;
}
