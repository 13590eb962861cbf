import { createInterface } from 'node:readline';
import { ConfigError, loadLocalConfig } from '../lib/config.js';
import { startLocalStack, type LocalStack } from '../lib/local/stack.js';
import { slackSignatureHeaders, slashCommandBody } from '../lib/slack/signing.js';

// `npm start`: the whole loop on this machine. Runs `/netcheck svc payments -n shop` through the
// real Slack handler, prints the thread, then takes more commands on stdin until Ctrl-C.
// `--once` exits after the first thread (used by CI to prove a clean clone works).

// Structured JSON logs are for the cluster; locally they would bury the threads.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The AWS SDK's own switch for its notice that it will want Node 22 next year: deployments run
// Node 22, and locally the notice would sit above every thread.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const FIRST_COMMAND = 'svc payments -n shop';
const LOCAL_CHANNEL = 'C0LOCAL';

async function sendSlash(stack: LocalStack, text: string): Promise<string> {
  const body = slashCommandBody({ text, channelId: LOCAL_CHANNEL, userId: 'U0LOCAL', userName: 'you' });
  const started = performance.now();
  const res = await fetch(`${stack.url}/slack/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(stack.signingSecret, body) },
    body,
  });
  const ms = Math.round(performance.now() - started);
  const raw = await res.text();
  let reply = raw;
  try {
    reply = (JSON.parse(raw) as { text?: string }).text ?? raw;
  } catch {
    // not JSON: show it as it came
  }
  return `HTTP ${res.status} in ${ms} ms — ${reply}`;
}

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const { port } = loadLocalConfig();
  let onThread: (() => void) | undefined;
  let repl: ReturnType<typeof createInterface> | undefined = undefined;
  const stack = await startLocalStack({
    port,
    env: process.env,
    // Threads arrive while the prompt waits for input: clear the prompt line first, prompt again after.
    write: (s) => process.stdout.write(repl ? `\r\x1b[K${s}` : s),
    onThreadPosted: () => {
      onThread?.();
      repl?.prompt();
    },
  });
  const shutdown = async () => {
    await stack.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown());

  const where = stack.demo ? 'the built-in demo cluster (namespace shop)' : `the cluster in KUBECONFIG`;
  console.log(`netcheck local: slash commands on ${stack.url}/slack/commands, interactivity and events on ${stack.url}/slack/events,`);
  console.log(`  Alertmanager webhook on ${stack.url}/alerts`);
  console.log(`cluster "${stack.cluster}": ${where}; threads go to ${process.env.SLACK_BOT_TOKEN ? 'Slack' : 'this terminal'}\n`);
  console.log(`/netcheck ${FIRST_COMMAND}`);
  const firstThread = new Promise<void>((resolve) => {
    onThread = resolve;
  });
  console.log(`  ack: ${await sendSlash(stack, FIRST_COMMAND)}\n`);
  await firstThread;
  onThread = undefined;
  if (once || !process.stdin.isTTY) {
    if (once) await shutdown();
    return;
  }
  console.log('\nType more commands (e.g. "svc cart -n shop", "dns -n shop", "cluster", "help"); Ctrl-C to stop.');
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '/netcheck ' });
  repl = rl;
  rl.prompt();
  rl.on('line', (line) => {
    void (async () => {
      if (line.trim()) console.log(`  ack: ${await sendSlash(stack, line.trim())}`);
      rl.prompt();
    })();
  });
  // readline takes Ctrl-C from the terminal itself; without this it would only pause input.
  rl.on('SIGINT', () => void shutdown());
  rl.on('close', () => void shutdown());
}

main().catch((error: unknown) => {
  process.stderr.write(`netcheck local: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
