// Posts a rendered thread to Slack: the parent, then each reply under it, in order. Rate limits
// are waited out (Retry-After) within a bounded retry budget, because the WebClient default keeps
// retrying for about 30 minutes, longer than any Lambda or job may run.
import { LogLevel, WebAPIPlatformError, WebAPIRateLimitedError, WebClient, WebClientEvent, WebAPIHTTPError } from '@slack/web-api';
import type { SlackMessage, SlackThread } from '../render/slack.js';

export interface ThreadPoster {
  /**
   * Posts the parent, then the replies under it. With `threadTs` the parent itself goes into that
   * existing thread (re-runs, alert follow-ups) and the replies follow it there.
   */
  postThread(channel: string, thread: SlackThread, opts?: { threadTs?: string }): Promise<{ ts: string; replyTs: string[] }>;
  postReply(channel: string, threadTs: string, message: SlackMessage): Promise<string>;
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
    /** Slack's error code ("invalid_auth", "channel_not_found", …), "ratelimited", or "request_failed". */
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
  const client = new WebClient(opts.token, {
    ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
    logLevel: LogLevel.ERROR,
    // A call that never answers must fail and be retried, not hold the job past its deadline.
    timeout: opts.callTimeoutMs ?? 10_000,
    rejectRateLimitedCalls: false,
    retryConfig: { retries: opts.retries ?? 5, factor: 2, minTimeout: 100, maxTimeout: 5_000, maxRetryTime: opts.maxRetryTimeMs ?? 60_000 },
  });
  client.on(WebClientEvent.RATE_LIMITED, (retryAfterSeconds: number, { url }: { url: string }) => {
    logger?.warn(`slack rate limited on ${url}; retrying after ${retryAfterSeconds} s`);
  });
  const joined = new Set<string>();

  const postMessage = async (channel: string, message: SlackMessage, threadTs: string | undefined): Promise<string> => {
    const args = {
      channel,
      text: message.text,
      blocks: message.blocks,
      ...(message.attachments ? { attachments: message.attachments } : {}),
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    const send = async () => {
      const result = await client.chat.postMessage(args);
      if (!result.ts) throw new SlackPostError(`Slack chat.postMessage to ${channel} answered ok without a message ts`, 'invalid_response');
      return result.ts;
    };
    try {
      return await send();
    } catch (error) {
      if (slackErrorCode(error) !== 'not_in_channel' || joined.has(channel)) throw toPostError(error, channel);
      // Public channels can be joined without an invite; joining once is enough for this poster.
      joined.add(channel);
      logger?.info(`slack bot not in ${channel}; joining it`);
      try {
        await client.conversations.join({ channel });
      } catch (joinError) {
        const reason = slackErrorCode(joinError) ?? (joinError instanceof Error ? joinError.message : String(joinError));
        throw new SlackPostError(`the bot is not in ${channel} and cannot join it (${reason}); invite it with /invite`, 'not_in_channel', undefined, { cause: joinError });
      }
      try {
        return await send();
      } catch (retryError) {
        throw toPostError(retryError, channel);
      }
    }
  };

  return {
    async postThread(channel, thread, postOpts = {}) {
      const parentTs = await postMessage(channel, thread.parent, postOpts.threadTs);
      const threadTs = postOpts.threadTs ?? parentTs;
      const replyTs: string[] = [];
      for (const reply of thread.replies) {
        try {
          replyTs.push(await postMessage(channel, reply, threadTs));
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
    postReply(channel, threadTs, message) {
      return postMessage(channel, message, threadTs);
    },
  };
}

function slackErrorCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
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
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks, ...(message.attachments ? { attachments: message.attachments } : {}) }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new SlackPostError(`response_url post failed: ${(error as Error).message}`, 'request_failed', undefined, { cause: error });
  }
  if (!response.ok) throw new SlackPostError(`response_url answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`, 'response_url_refused');
}
