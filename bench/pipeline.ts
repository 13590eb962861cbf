// Pipeline benchmark: how fast a person sees an answer. Runs the local stack (the real Lambda
// handlers behind a local API Gateway, SQS emulator, worker, demo cluster) against our Slack Web
// API server with Slack's rate limits on, sends signed /netcheck commands over HTTP and prints:
//   - ack latency (Slack's deadline: 3 s) for the lean /slack/commands route and the Bolt /slack/events route
//   - time from command to the complete thread (parent + every reply) in Slack
//
//   npm run bench:pipeline [-- --runs 20]
import { startLocalStack } from '../lib/local/stack.js';
import { slackSignatureHeaders, slashCommandBody } from '../lib/slack/signing.js';
import { startSlackApiServer } from '../lib/testkit/slack-api-server.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const TARGETS = ['svc payments -n shop', 'svc cart -n shop', 'svc inventory -n shop', 'svc checkout -n shop', 'dns -n shop'];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const fmt = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(0)} ms · p95 ${percentile(values, 95).toFixed(0)} ms · max ${Math.max(...values).toFixed(0)} ms (n=${values.length})`;

async function main(): Promise<void> {
  const slack = await startSlackApiServer(); // Slack's ~1 message/s/channel with a short burst
  const posted = new Map<string, () => void>();
  const stack = await startLocalStack({
    port: 0,
    // One benchmark user sends 20 commands a minute: past the per-user limit, which is not what this measures.
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, POWERTOOLS_LOG_LEVEL: 'ERROR', NETCHECK_THROTTLE_PER_USER: '0', NETCHECK_THROTTLE_PER_CHANNEL: '0' },
    write: () => undefined,
    onThreadPosted: (channel) => posted.get(channel)?.(),
  });
  const acks: Record<string, number[]> = { '/slack/commands': [], '/slack/events': [] };
  const toThread: number[] = [];
  const toParent: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const path = i % 2 === 0 ? '/slack/commands' : '/slack/events';
      const channel = `C0BENCH${i}`; // one channel per command: the rate limit applies within a thread, as in Slack
      const body = slashCommandBody({ text: TARGETS[i % TARGETS.length]!, channelId: channel, userId: 'U0BENCH' });
      const threadDone = new Promise<void>((resolve) => posted.set(channel, resolve));
      const started = performance.now();
      // The progress parent: the first message in the channel, before any check has run.
      const parentPosted = slack.waitFor((s) => s.messages(channel).length > 0, 30_000).then(() => toParent.push(performance.now() - started));
      const res = await fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(stack.signingSecret, body) },
        body,
      });
      await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      acks[path]!.push(performance.now() - started);
      await threadDone;
      toThread.push(performance.now() - started);
      await parentPosted;
    }
    const messages = slack.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
    const limited = messages.filter((c) => c.status === 429).length;
    console.log(`pipeline: ${RUNS} /netcheck commands through the local stack (Node ${process.version}), Slack rate limits on`);
    console.log(`  ack  /slack/commands (lean)  ${fmt(acks['/slack/commands']!)}`);
    console.log(`  ack  /slack/events   (Bolt)  ${fmt(acks['/slack/events']!)}`);
    console.log(`  command → progress parent    ${fmt(toParent)}`);
    console.log(`  command → complete thread    ${fmt(toThread)}`);
    console.log(`  chat.postMessage + chat.update calls: ${messages.length}, of which ${limited} answered 429 and were retried after Retry-After`);
  } finally {
    await stack.close();
    await slack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
