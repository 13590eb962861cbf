import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadLocalConfig } from '../lib/config.js';
import { KubeConfigError } from '../lib/kube/config.js';
import { startLocalStack, type LocalStack } from '../lib/local/stack.js';
import { slackSignatureHeaders, slashCommandBody } from '../lib/slack/signing.js';

// `npm start`: the whole loop on this machine. Runs `/netcheck svc payments -n shop` through the
// real Slack handler, prints the thread, then takes more commands on stdin until Ctrl-C.
//   --kubeconfig <path>  diagnose that cluster instead of the built-in demo (never implied by $KUBECONFIG)
//   --once               exit after the first thread (CI proves a clean clone works with it)
//   --serve              keep serving without a prompt (stdin not a terminal, e.g. under a test or a container)
// With stdin not a terminal and no --serve, it runs the first command, says how to go interactive, and exits 0.

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

class UsageError extends Error {}

function options(): { kubeconfig?: string; once: boolean; serve: boolean } {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { kubeconfig: { type: 'string' }, once: { type: 'boolean', default: false }, serve: { type: 'boolean', default: false } },
      strict: true,
    });
    return { ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), once: values.once, serve: values.serve };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: npm start [-- --kubeconfig <path>] [--once | --serve]`);
  }
}

async function main(): Promise<void> {
  const { kubeconfig, once, serve } = options();
  const { port } = loadLocalConfig();
  if (!kubeconfig && process.env.KUBECONFIG) {
    console.log(`KUBECONFIG is set (${process.env.KUBECONFIG}), but npm start uses the built-in demo cluster; to diagnose that cluster: npm start -- --kubeconfig "$KUBECONFIG"`);
  }
  console.log(kubeconfig ? `starting netcheck locally against the cluster in ${kubeconfig}…` : 'starting netcheck locally against the built-in demo cluster…');
  let onThread: (() => void) | undefined;
  let repl: ReturnType<typeof createInterface> | undefined = undefined;
  const stack = await startLocalStack({
    port,
    env: { ...process.env, KUBECONFIG: undefined },
    ...(kubeconfig ? { kubeconfigPath: kubeconfig } : {}),
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

  const server = stack.kc.getCurrentCluster()?.server ?? 'unknown server';
  const where = stack.demo ? 'the built-in demo cluster (namespace shop)' : `the cluster in ${kubeconfig}, context ${stack.kc.getCurrentContext()}, ${server}`;
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
  if (stack.demo) {
    const demo = stack.demo;
    console.log(
      `\nThe CLI against this demo cluster, from another terminal while this runs:\n  KUBECONFIG=${demo.kubeconfigPath} NETCHECK_AGENT_TOKEN=${demo.agents.token} NETCHECK_AGENT_PORT=${demo.agents.port} npm run --silent netcheck -- svc cart -n shop`,
    );
  }
  if (once) return shutdown();
  if (!process.stdin.isTTY) {
    if (serve) {
      console.log('\nServing (stdin is not a terminal, so no prompt); stop with SIGTERM or Ctrl-C.');
      return;
    }
    console.log('\nstdin is not a terminal, so the demo ran once. Run `npm start` in a terminal to type more commands (or `npm start -- --serve` to keep serving).');
    return shutdown();
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

/** What went wrong, in one line a person can act on; a stack trace only with NETCHECK_DEBUG=1. */
function explain(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const port = loadLocalConfig().port;
    return `port ${port} is already in use (another npm start?): set PORT to a free port, e.g. PORT=${port + 1} npm start`;
  }
  if (error instanceof ConfigError || error instanceof KubeConfigError || error instanceof UsageError) return error.message;
  if (process.env.NETCHECK_DEBUG && error instanceof Error) return error.stack ?? error.message;
  return `${error instanceof Error ? error.message : String(error)} (NETCHECK_DEBUG=1 shows the stack)`;
}

main().catch((error: unknown) => {
  process.stderr.write(`netcheck local: ${explain(error)}\n`);
  process.exit(1);
});
