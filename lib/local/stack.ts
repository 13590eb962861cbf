import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadHandlerConfig, loadWorkerConfig, type WorkerConfig } from '../config.js';
import { startDemoCluster, type DemoCluster } from '../demo/cluster.js';
import { parseAlertChannels } from '../jobs/alerts.js';
import { scheduleDefaultsFromEnv } from '../jobs/schedule.js';
import { loadKubeConfig } from '../kube/config.js';
import { createLogger } from '../observability/logger.js';
import { createWorkerMetrics } from '../observability/metrics.js';
import { createSlackPoster, type ThreadPoster } from '../post/slack.js';
import { createTerminalPoster } from '../post/terminal.js';
import { createQueueRouter } from '../queue/sqs.js';
import { createStateRegistry } from '../state/registry.js';
import { createConfigMapStateStore, createMemoryStateStore, type StateStore } from '../state/store.js';
import { startSqsEmulator, type SqsEmulator } from '../testkit/sqs-emulator.js';
import type { JobOutcome } from '../worker/run-job.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { createSlackHandler } from '../../handlers/slack.js';
import { createSlackCommandsHandler } from '../../handlers/slack-commands.js';
import { createAlertsHandler } from '../../handlers/alerts.js';
import { createScheduleHandler, type ScheduleResult } from '../../handlers/schedule.js';
import { startGateway, type LambdaHttpHandler } from './gateway.js';

// Everything of the product on one machine: SQS emulator, the real Slack and Alertmanager Lambda
// handlers behind a local API Gateway, the schedule handler, the worker, and — without
// an explicit kubeconfig — the demo cluster. `npm start` and the end-to-end tests both run this.

type Env = Record<string, string | undefined>;

export interface LocalStackOptions {
  port: number;
  env: Env;
  /**
   * A real cluster to diagnose. Only an explicit choice (`npm start -- --kubeconfig`): a KUBECONFIG
   * left in an SRE's shell must not turn the demo into a run against production.
   */
  kubeconfigPath?: string;
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
  queueUrl: string;
  sqs: SqsEmulator;
  kc: KubeConfig;
  demo?: DemoCluster;
  /** Invoke the daily-summary Lambda as EventBridge would. */
  invokeSchedule(input: unknown): Promise<ScheduleResult>;
  /** Stop the worker (finishing its job in hand) and start a fresh one on the same state. */
  restartWorker(): Promise<void>;
  close(): Promise<void>;
}

/** Where the demo worker keeps its state: a ConfigMap, as in a cluster, so restarts keep it. */
const DEMO_STATE = { namespace: 'netcheck', name: 'netcheck-state' };

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const { env } = opts;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const sqs = await startSqsEmulator();
    closers.push(() => sqs.close());
    const demo = opts.kubeconfigPath ? undefined : await startDemoCluster();
    if (demo) closers.push(() => demo.close());
    const kubeconfigPath = opts.kubeconfigPath ?? demo!.kubeconfigPath;
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
      NETCHECK_SUMMARY_CHANNEL: env.NETCHECK_SUMMARY_CHANNEL ?? 'C0SUMMARY',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
    };
    const handlerConfig = loadHandlerConfig(sharedEnv);
    const queueFor = createQueueRouter(sqs.client, handlerConfig.routing.queues);
    const slack = await createSlackHandler(handlerConfig, signingSecret);
    const slackCommands = createSlackCommandsHandler(handlerConfig, signingSecret);
    const alerts = createAlertsHandler({
      config: handlerConfig,
      receiverChannels: parseAlertChannels(env.NETCHECK_ALERT_CHANNELS),
      queueFor,
      token: async () => alertmanagerToken,
      logger: createLogger('alerts'),
    });
    const schedule = createScheduleHandler({ config: handlerConfig, ...scheduleDefaultsFromEnv(sharedEnv), queueFor, logger: createLogger('schedule') });
    const gateway = await startGateway(
      { '/slack/commands': slackCommands, '/slack/events': slack as LambdaHttpHandler, '/alerts': alerts as LambdaHttpHandler },
      { port: opts.port },
    );
    closers.push(() => gateway.close());

    const workerConfig: WorkerConfig = loadWorkerConfig({
      ...sharedEnv,
      NETCHECK_CLUSTER: cluster,
      NETCHECK_QUEUE_URL: queueUrl,
      KUBECONFIG: kubeconfigPath,
      NETCHECK_AGENT_TOKEN: env.NETCHECK_AGENT_TOKEN ?? demo?.agents.token,
      NETCHECK_AGENT_PORT: env.NETCHECK_AGENT_PORT ?? (demo ? String(demo.agents.port) : undefined),
      // Short polls keep Ctrl-C and worker restarts quick; SQS cost is no concern locally.
      NETCHECK_POLL_WAIT_SECONDS: env.NETCHECK_POLL_WAIT_SECONDS ?? '2',
    });
    const poster: ThreadPoster = workerConfig.slackBotToken
      ? createSlackPoster({ token: workerConfig.slackBotToken, slackApiUrl: workerConfig.slackApiUrl })
      : createTerminalPoster(opts.write);
    // A restarted worker reads its state afresh from the ConfigMap; without a cluster of our own to
    // write to, state lives as long as this process.
    const memoryStore = createMemoryStateStore();
    const newStore = (): StateStore => (demo ? createConfigMapStateStore(kc, { ...DEMO_STATE, createIfMissing: true }) : memoryStore);
    const metrics = createWorkerMetrics();
    const logger = createLogger('worker');
    const onAnswered = ({ posted }: JobOutcome) => {
      if (posted) opts.onThreadPosted?.(posted.channel, posted.ts);
    };
    const launch = () => startWorker({ config: workerConfig, kc, poster, state: createStateRegistry(newStore()), metrics, logger, onAnswered });
    let worker: RunningWorker = await launch();
    closers.push(() => worker.stop());

    return {
      url: gateway.url,
      cluster,
      signingSecret,
      alertmanagerToken,
      queueUrl,
      sqs,
      kc,
      demo,
      invokeSchedule: (input) => schedule(input),
      async restartWorker() {
        await worker.stop();
        worker = await launch();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
