// The poster for local runs without a Slack token: prints what would have been posted, in thread
// order, and hands back ts values shaped like Slack's so callers cannot tell the difference.
import { renderThreadText, replyText } from '../render/terminal.js';
import type { ThreadPoster } from './slack.js';

export function createTerminalPoster(write: (s: string) => void): ThreadPoster {
  let sequence = 0;
  const nextTs = () => {
    sequence += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(sequence).padStart(6, '0')}`;
  };
  return {
    async postThread(channel, thread, opts = {}) {
      const ts = nextTs();
      const replyTs = thread.replies.map(() => nextTs());
      const where = opts.threadTs ? `#${channel} (in thread ${opts.threadTs})` : `#${channel}`;
      write(`── ${where} ──\n${renderThreadText(thread)}\n`);
      return { ts, replyTs };
    },
    async postReply(channel, threadTs, message) {
      write(`── #${channel} (in thread ${threadTs}) ──\n${replyText(message)}\n\n`);
      return nextTs();
    },
    async postMessage(channel, message, opts = {}) {
      write(opts.threadTs ? `${replyText(message)}\n\n` : `── #${channel} ──\n${renderThreadText({ parent: message, replies: [] })}\n`);
      return nextTs();
    },
    async updateMessage(channel, ts, message) {
      // A terminal cannot edit what it printed: the progress and then the verdict print in turn.
      write(`── #${channel} (updated ${ts}) ──\n${renderThreadText({ parent: message, replies: [] })}\n`);
    },
  };
}
