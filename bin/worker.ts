import { readFile } from 'node:fs/promises';
import { ConfigError, loadWorkerConfig } from '../lib/config.js';
import { loadKubeConfig } from '../lib/kube/config.js';
import { createLogger } from '../lib/observability/logger.js';
import { startHealthServer } from '../lib/observability/health.js';
import { createSlackPoster } from '../lib/post/slack.js';
import { createTerminalPoster } from '../lib/post/terminal.js';
import { createConfigMapStateStore, createMemoryStateStore } from '../lib/state/store.js';
import { createStateRegistry } from '../lib/state/registry.js';
import { startWorker } from '../lib/worker/worker.js';

// In-cluster worker: long-polls its cluster's queue, diagnoses, posts threads. SIGTERM (pod
// shutdown) finishes the jobs in hand, stops polling and exits.

const logger = createLogger('worker');

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const kc = loadKubeConfig({ kubeconfigPath: config.kubeconfigPath, context: config.kubeContext });
  const namespace =
    config.namespace ??
    (await readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    ));
  const store = namespace ? createConfigMapStateStore(kc, { namespace, name: config.stateConfigMap }) : createMemoryStateStore();
  if (!namespace) logger.warn('no namespace known (NETCHECK_NAMESPACE unset, not in a pod): state is kept in memory only');
  const poster = config.slackBotToken ? createSlackPoster({ token: config.slackBotToken, slackApiUrl: config.slackApiUrl }) : createTerminalPoster((s) => process.stdout.write(s));
  const worker = await startWorker({ config, kc, poster, state: createStateRegistry(store) });
  const health = config.healthPort !== undefined ? await startHealthServer({ port: config.healthPort, host: '0.0.0.0', isReady: () => worker.ready }) : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    await worker.stop();
    await health?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`netcheck worker: ${error.message}\n`);
  } else {
    logger.error('worker failed to start', { error: String(error) });
  }
  process.exit(1);
});
