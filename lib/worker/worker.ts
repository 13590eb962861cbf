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
import { createGroupResolver, slackGroupMembers } from '../access/groups.js';
import { watchSilenceFile } from '../silences/watch.js';
import { kubeNamespaceLabels, type WorkerAccess } from './access.js';
import { runJob, type JobOutcome } from './run-job.js';

export interface WorkerDeps {
  config: WorkerConfig;
  kc: KubeConfig;
  poster: ThreadPoster;
  state: StateRegistry;
  logger?: Logger;
  metrics?: WorkerMetrics;
  /** Where probes start from, for NetworkPolicy evaluation (the worker pod's namespace and labels). */
  probeSource?: EngineDeps['probes']['source'];
  /** Told after each job is answered (local mode prints, benchmarks time it). */
  onAnswered?: (outcome: JobOutcome) => void;
}

export interface RunningWorker {
  /** Finish the jobs in hand, stop polling, resolve. */
  stop(): Promise<void>;
  readonly ready: boolean;
}

/** Receives after which a failing job is answered with the error instead of retried (the DLQ takes the rest). */
const MAX_ATTEMPTS = 3;

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
      ...(config.dnsExternalName ? { externalName: config.dnsExternalName } : {}),
      source: deps.probeSource ?? {
        namespace: config.namespace,
        podLabels: config.podLabels,
        ip: config.podIP,
        description: config.podIP ? `the netcheck worker pod (${config.podIP})` : 'the netcheck worker',
        ...(config.nodeName ? { node: config.nodeName } : {}),
      },
    },
    agents: await agentAccess(config),
    ...(config.readScope ? { readScope: config.readScope } : {}),
  };
  const access: WorkerAccess = {
    policy: config.access,
    ...(config.slackBotToken ? { groups: createGroupResolver({ members: slackGroupMembers({ token: config.slackBotToken, slackApiUrl: config.slackApiUrl }) }) } : {}),
    namespaceLabels: kubeNamespaceLabels(deps.kc),
    onRefused: (rule) => metrics.accessRefusals.inc({ rule }),
  };
  const silences = config.silencesFile ? await watchSilenceFile(config.silencesFile, (message) => logger.error('silence file not reloaded', { error: message })) : undefined;
  const consumer = new JobConsumer({
    client: createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }),
    queueUrl: config.queueUrl,
    concurrency: config.concurrency,
    waitTimeSeconds: config.pollWaitSeconds,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    logger,
    onError: (kind) => metrics.queueErrors.inc({ operation: kind }),
    handle: async (job, ctx) => {
      const log = jobLogger(logger, job.id, { trigger: job.trigger, target: job.target.kind });
      const started = performance.now();
      // At the deadline the job's work stops and it posts nothing more: a late answer would land
      // beside the redelivered copy's. The redelivery resumes the thread this attempt recorded.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`job ${job.id} did not finish within ${config.jobDeadlineMs / 1000} s`)), config.jobDeadlineMs);
      try {
        const outcome = await runJob(job, ctx.receiveCount, {
          cluster: config.cluster,
          engine: silences ? { ...engine, silences: { list: await silences.current() } } : engine,
          poster: deps.poster,
          state: deps.state,
          logger: log,
          maxAttempts: MAX_ATTEMPTS,
          access,
          onFindings: (findings) => recordFindings(metrics, findings),
          signal: deadline.signal,
          ...(config.nodeName ? { from: config.nodeName } : {}),
        }).finally(() => clearTimeout(timer));
        recordJob(metrics, job.target.kind, 'ok', (performance.now() - started) / 1000);
        deps.onAnswered?.(outcome);
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
