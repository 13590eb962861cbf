import { AGENT_TIMEOUT_MS } from '../agent/token.js';
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkerConfig } from '../config.js';
import type { AgentAccess, EngineDeps } from '../engine.js';
import { createSqsClient, JobConsumer } from '../queue/sqs.js';
import { createLogger, jobLogger, type Logger } from '../observability/logger.js';
import { recordFindings, recordJob, workerMetrics, type WorkerMetrics } from '../observability/metrics.js';
import { SlackPostError, type ThreadPoster } from '../post/slack.js';
import type { StateRegistry } from '../state/registry.js';
import { watchSilenceFile } from '../silences/watch.js';
import { runJob } from './run-job.js';

export interface WorkerDeps {
  config: WorkerConfig;
  kc: KubeConfig;
  poster: ThreadPoster;
  state: StateRegistry;
  logger?: Logger;
  metrics?: WorkerMetrics;
  /** Where probes start from, for NetworkPolicy evaluation (the worker pod's namespace and labels). */
  probeSource?: EngineDeps['probes']['source'];
}

export interface RunningWorker {
  /** Finish the jobs in hand, stop polling, resolve. */
  stop(): Promise<void>;
  readonly ready: boolean;
}

/** Receives after which a failing job is answered with the error instead of retried (the DLQ takes the rest). */
const MAX_ATTEMPTS = 3;
/** The slowest job (a cluster sweep) must end well inside the queue's 300 s visibility timeout. */
const JOB_DEADLINE_MS = 240_000;

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function agentAccess(config: WorkerConfig): Promise<AgentAccess | undefined> {
  const token = config.agentToken ?? (config.agentTokenFile ? (await readFile(config.agentTokenFile, 'utf8')).trim() : undefined);
  return token ? { port: config.agentPort, token, timeoutMs: Math.max(config.probeTimeoutMs, AGENT_TIMEOUT_MS) } : undefined;
}

export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config } = deps;
  const logger = deps.logger ?? createLogger('worker');
  const metrics = deps.metrics ?? workerMetrics;
  const engine: EngineDeps = {
    kc: deps.kc,
    probes: {
      enabled: config.probes,
      skipReason: config.probes ? undefined : 'probes disabled by NETCHECK_PROBES=off',
      timeoutMs: config.probeTimeoutMs,
      concurrency: 32,
      clusterDomain: config.clusterDomain,
      source: deps.probeSource ?? {
        namespace: config.namespace,
        podLabels: config.podLabels,
        ip: config.podIP,
        description: config.podIP ? `the netcheck worker pod (${config.podIP})` : 'the netcheck worker',
        ...(config.nodeName ? { node: config.nodeName } : {}),
      },
    },
    agents: await agentAccess(config),
  };
  const silences = config.silencesFile ? await watchSilenceFile(config.silencesFile, (message) => logger.error('silence file not reloaded', { error: message })) : undefined;
  const consumer = new JobConsumer({
    client: createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }),
    queueUrl: config.queueUrl,
    concurrency: config.concurrency,
    waitTimeSeconds: config.pollWaitSeconds,
    logger,
    onError: (kind) => metrics.queueErrors.inc({ operation: kind }),
    handle: async (job, ctx) => {
      const log = jobLogger(logger, job.id, { trigger: job.trigger, target: job.target.kind });
      const started = performance.now();
      try {
        await withDeadline(runJob(job, ctx.receiveCount, {
          cluster: config.cluster,
          engine: silences ? { ...engine, silences: { list: await silences.current() } } : engine,
          poster: deps.poster,
          state: deps.state,
          logger: log,
          maxAttempts: MAX_ATTEMPTS,
          onFindings: (findings) => recordFindings(metrics, findings),
        }), JOB_DEADLINE_MS, `job ${job.id}`);
        recordJob(metrics, job.target.kind, 'ok', (performance.now() - started) / 1000);
      } catch (error) {
        recordJob(metrics, job.target.kind, 'failed', (performance.now() - started) / 1000);
        if (error instanceof SlackPostError) metrics.slackErrors.inc({ method: 'chat.postMessage', error: error.code });
        throw error;
      }
    },
  });
  consumer.start();
  logger.info('worker polling', { cluster: config.cluster, queueUrl: config.queueUrl, concurrency: config.concurrency });
  let stopped = false;
  return {
    get ready() {
      return !stopped;
    },
    async stop() {
      stopped = true;
      await consumer.stop();
      logger.info('worker stopped');
    },
  };
}
