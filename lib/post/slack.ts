// Posts to Slack: single messages, edits of our own messages, and whole threads (the parent, then
// each reply under it, in order). Retries (rate limits per Retry-After, network errors, 5xx) are
// ours rather than the WebClient's: its default keeps retrying for about 30 minutes, and it cannot
// be told to stop — ours stop at the job's deadline (an AbortSignal), so a job past it posts nothing.
import { LogLevel, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient } from '@slack/web-api';
import type { SlackMessage, SlackThread } from '../render/slack.js';

export interface PostOptions {
  /** Post into this thread instead of the channel. */
  threadTs?: string;
  /** Once aborted, no further request is started (a request already sent may still land). */
  signal?: AbortSignal;
}

export interface ThreadPoster {
  /**
   * Posts the parent, then the replies under it. With `threadTs` the parent itself goes into that
   * existing thread (re-runs, alert follow-ups) and the replies follow it there.
   */
  postThread(channel: string, thread: SlackThread, opts?: PostOptions): Promise<{ ts: string; replyTs: string[] }>;
  postReply(channel: string, threadTs: string, message: SlackMessage, opts?: Pick<PostOptions, 'signal'>): Promise<string>;
  /** One message (a parent, or a reply with `threadTs`); returns its ts. */
  postMessage(channel: string, message: SlackMessage, opts?: PostOptions): Promise<string>;
  /** Replaces one of our messages in place (chat.update: same channel and ts). */
  updateMessage(channel: string, ts: string, message: SlackMessage, opts?: Pick<PostOptions, 'signal'>): Promise<void>;
}

/** One-string calls, so console and the Powertools Logger both fit. */
export interface PosterLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SlackPosterOptions {
  token: string;
  /** A Slack-compatible server, e.g. our test server; must end with /api/. */
  slackApiUrl?: string;
  /** Retries per call (rate limits and network errors); default 5. */
  retries?: number;
  /** Upper bound on the time one call may spend retrying; default 60 s. */
  maxRetryTimeMs?: number;
  /** One HTTP request's deadline; default 10 s (the WebClient's own default is none). */
  callTimeoutMs?: number;
  logger?: PosterLogger;
}

/** A failed Slack call, with Slack's error code and whatever of the thread had already landed. */
export class SlackPostError extends Error {
  constructor(
    message: string,
    /** Slack's error code ("invalid_auth", "channel_not_found", …), "ratelimited", "aborted", or "request_failed". */
    readonly code: string,
    /** Set when part of a thread was posted before the failure. */
    readonly posted?: { ts?: string; replyTs: string[] },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SlackPostError';
  }
}

export function createSlackPoster(opts: SlackPosterOptions): ThreadPoster {
  if (!opts.token) throw new SlackPostError('Slack poster needs a bot token (xoxb-…); none was given', 'not_authed');
  const logger = opts.logger;
  const retries = opts.retries ?? 5;
  const maxRetryTimeMs = opts.maxRetryTimeMs ?? 60_000;
  const client = new WebClient(opts.token, {
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
    logLevel: LogLevel.ERROR,
    // A call that never answers must fail and be retried, not hold the job past its deadline.
    timeout: opts.callTimeoutMs ?? 10_000,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  });
  const joined = new Set<string>();

  /** One Web API call with our bounded, abortable retries. */
  const call = async <T>(method: string, channel: string, send: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    const giveUpAt = Date.now() + maxRetryTimeMs;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortedError(method, channel, signal);
      try {
        return await send();
      } catch (error) {
        const waitMs =
          error instanceof WebAPIRateLimitedError
            ? error.retryAfter * 1000
            : error instanceof WebAPIRequestError || (error instanceof WebAPIHTTPError && error.statusCode >= 500)
              ? Math.min(5_000, 100 * 2 ** attempt)
              : undefined;
        if (waitMs === undefined || attempt >= retries || Date.now() + waitMs > giveUpAt) throw toPostError(error, channel, method);
        if (error instanceof WebAPIRateLimitedError) logger?.warn(`slack rate limited on ${method}; retrying after ${error.retryAfter} s`);
        await abortableDelay(waitMs, signal);
      }
    }
  };

  const postMessage = async (channel: string, message: SlackMessage, postOpts: PostOptions = {}): Promise<string> => {
    const { threadTs, signal } = postOpts;
    const args = {
      channel,
      text: message.text,
      blocks: message.blocks,
      ...(message.attachments ? { attachments: message.attachments } : {}),
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    const send = () =>
      call(
        'chat.postMessage',
        channel,
        async () => {
          const result = await client.chat.postMessage(args);
          if (!result.ts) throw new SlackPostError(`Slack chat.postMessage to ${channel} answered ok without a message ts`, 'invalid_response');
          return result.ts;
        },
        signal,
      );
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof SlackPostError) || error.code !== 'not_in_channel' || joined.has(channel)) throw error;
      // Public channels can be joined without an invite; joining once is enough for this poster.
      joined.add(channel);
      logger?.info(`slack bot not in ${channel}; joining it`);
      try {
        await call('conversations.join', channel, () => client.conversations.join({ channel }), signal);
      } catch (joinError) {
        const reason = joinError instanceof SlackPostError ? joinError.code : String(joinError);
        throw new SlackPostError(`the bot is not in ${channel} and cannot join it (${reason}); invite it with /invite`, 'not_in_channel', undefined, { cause: joinError });
      }
      return send();
    }
  };

  return {
    async postThread(channel, thread, postOpts = {}) {
      const parentTs = await postMessage(channel, thread.parent, postOpts);
      const threadTs = postOpts.threadTs ?? parentTs;
      const replyTs: string[] = [];
      for (const reply of thread.replies) {
        try {
          replyTs.push(await postMessage(channel, reply, { threadTs, signal: postOpts.signal }));
        } catch (error) {
          const postError = error as SlackPostError;
          throw new SlackPostError(
            `${postError.message} (after the parent and ${replyTs.length} of ${thread.replies.length} replies were posted)`,
            postError.code,
            { ts: parentTs, replyTs },
            { cause: error },
          );
        }
      }
      return { ts: parentTs, replyTs };
    },
    postReply(channel, threadTs, message, replyOpts = {}) {
      return postMessage(channel, message, { threadTs, signal: replyOpts.signal });
    },
    postMessage,
    async updateMessage(channel, ts, message, updateOpts = {}) {
      // Always send attachments: an edit without them keeps the old colour bar and buttons.
      await call(
        'chat.update',
        channel,
        () => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks, attachments: message.attachments ?? [] }),
        updateOpts.signal,
      );
    },
  };
}

function abortedError(method: string, channel: string, signal: AbortSignal): SlackPostError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new SlackPostError(`Slack ${method} to ${channel} not sent: ${reason}`, 'aborted', undefined, { cause: signal.reason });
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Waking early is enough: the retry loop checks the signal before sending again.
    signal?.addEventListener('abort', done, { once: true });
  });
}

function toPostError(error: unknown, channel: string, method = 'chat.postMessage'): SlackPostError {
  if (error instanceof SlackPostError) return error;
  if (error instanceof WebAPIPlatformError) {
    const details = error.data.response_metadata?.messages?.join('; ');
    return new SlackPostError(`Slack ${method} to ${channel} failed: ${error.data.error}${details ? ` (${details})` : ''}`, error.data.error, undefined, { cause: error });
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackPostError(`Slack ${method} to ${channel} was rate limited (retry after ${error.retryAfter} s)`, 'ratelimited', undefined, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = /rate limit/i.test(message) ? 'ratelimited' : error instanceof WebAPIHTTPError ? `http_${error.statusCode}` : 'request_failed';
  const hint = code === 'ratelimited' ? ' and stayed rate limited through every retry' : '';
  return new SlackPostError(`Slack ${method} to ${channel} failed${hint}: ${message}`, code, undefined, { cause: error });
}

/** Slack honours a response_url for 30 minutes and five posts. */
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
export const RESPONSE_URL_USES = 5;

/**
 * Posts a message to a slash command's response_url (visible to the requester only). For a
 * channel the bot cannot post in (a private channel it was not invited to, a DM), this is the
 * one way the answer still arrives. Throws a SlackPostError when Slack refuses.
 */
export async function postToResponseUrl(responseUrl: string, message: SlackMessage, opts: { timeoutMs?: number } = {}): Promise<void> {
  const url = new URL(responseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SlackPostError(`response_url has scheme ${url.protocol}`, 'invalid_response_url');
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        response_type: 'ephemeral',
        replace_original: false,
        text: message.text,
        blocks: message.blocks,
        ...(message.attachments ? { attachments: message.attachments } : {}),
      }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new SlackPostError(`response_url post failed: ${(error as Error).message}`, 'request_failed', undefined, { cause: error });
  }
  if (!response.ok) throw new SlackPostError(`response_url answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`, 'response_url_refused');
}
