import { randomBytes } from 'node:crypto';
import { loadHandlerConfig, loadWorkerConfig } from '../config.js';
import { startDemoCluster, type DemoCluster } from '../demo/cluster.js';
import { loadKubeConfig } from '../kube/config.js';
import { createLogger } from '../observability/logger.js';
import { createWorkerMetrics } from '../observability/metrics.js';
import { createSlackPoster } from '../post/slack.js';
import { createTerminalPoster } from '../post/terminal.js';
import type { ThreadPoster } from '../post/slack.js';
import { createMemoryStateStore } from '../state/store.js';
import { startSqsEmulator } from '../testkit/sqs-emulator.js';
import { workerState } from '../worker/state.js';
import { startWorker } from '../worker/worker.js';
import { createSlackHandler } from '../../handlers/slack.js';
import { createAlertsHandler } from '../../handlers/alerts.js';
import { startGateway, type LambdaHttpHandler } from './gateway.js';

// Everything of the product on one machine: SQS emulator, the real Slack and Alertmanager Lambda
// handlers behind a local API Gateway, the worker, and — without KUBECONFIG — the demo cluster.

type Env = Record<string, string | undefined>;

export interface LocalStackOptions {
  port: number;
  env: Env;
  /** Where threads are printed when no Slack token is configured. */
  write: (s: string) => void;
  /** Called after each thread is fully posted (parent and replies). */
  onThreadPosted?: (channel: string, ts: string) => void;
}

export interface LocalStack {
  url: string;
  cluster: string;
  signingSecret: string;
  alertmanagerToken: string;
  demo?: DemoCluster;
  close(): Promise<void>;
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const { env } = opts;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
  };
  try {
    const sqs = await startSqsEmulator();
    closers.push(() => sqs.close());
    const demo = env.KUBECONFIG ? undefined : await startDemoCluster();
    if (demo) closers.push(() => demo.close());
    const kubeconfigPath = env.KUBECONFIG ?? demo!.kubeconfigPath;
    const kc = loadKubeConfig({ kubeconfigPath, context: env.NETCHECK_KUBE_CONTEXT });
    const cluster = env.NETCHECK_CLUSTER ?? (demo ? 'demo' : 'local');
    const { queueUrl } = await sqs.createQueue(`netcheck-${cluster}.fifo`, { maxReceiveCount: 3, visibilityTimeoutSeconds: 60 });

    const signingSecret = env.SLACK_SIGNING_SECRET ?? randomBytes(16).toString('hex');
    const alertmanagerToken = env.ALERTMANAGER_TOKEN ?? randomBytes(16).toString('hex');
    const sharedEnv: Env = {
      ...env,
      NETCHECK_QUEUES: JSON.stringify({ [cluster]: queueUrl }),
      NETCHECK_DEFAULT_CLUSTER: cluster,
      NETCHECK_INCIDENT_CHANNEL: env.NETCHECK_INCIDENT_CHANNEL ?? 'C0INCIDENT',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      SLACK_SIGNING_SECRET: signingSecret,
      ALERTMANAGER_TOKEN: alertmanagerToken,
    };
    const handlerConfig = loadHandlerConfig(sharedEnv);
    const slack = await createSlackHandler(handlerConfig, signingSecret);
    const alerts = createAlertsHandler({ env: sharedEnv });
    const gateway = await startGateway({ '/slack/events': slack as LambdaHttpHandler, '/alerts': alerts as LambdaHttpHandler }, { port: opts.port });
    closers.push(() => gateway.close());

    const workerConfig = loadWorkerConfig({
      ...sharedEnv,
      NETCHECK_CLUSTER: cluster,
      NETCHECK_QUEUE_URL: queueUrl,
      KUBECONFIG: kubeconfigPath,
      NETCHECK_AGENT_TOKEN: env.NETCHECK_AGENT_TOKEN ?? demo?.agentToken,
    });
    const basePoster: ThreadPoster = workerConfig.slackBotToken
      ? createSlackPoster({ token: workerConfig.slackBotToken, slackApiUrl: workerConfig.slackApiUrl })
      : createTerminalPoster(opts.write);
    const poster: ThreadPoster = {
      postReply: (channel, threadTs, message) => basePoster.postReply(channel, threadTs, message),
      postThread: async (channel, thread, postOpts) => {
        const posted = await basePoster.postThread(channel, thread, postOpts);
        opts.onThreadPosted?.(channel, posted.ts);
        return posted;
      },
    };
    const worker = await startWorker({
      config: workerConfig,
      kc,
      poster,
      state: workerState(createMemoryStateStore()),
      metrics: createWorkerMetrics(),
      logger: createLogger('worker'),
    });
    closers.push(() => worker.stop());
    return { url: gateway.url, cluster, signingSecret, alertmanagerToken, demo, close };
  } catch (error) {
    await close();
    throw error;
  }
}
