import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Finding } from '../model/index.js';

export type JobOutcome = 'ok' | 'failed' | 'invalid';

export interface WorkerMetrics {
  registry: Registry;
  jobs: Counter<'kind' | 'outcome'>;
  jobDuration: Histogram<'kind'>;
  findings: Counter<'code' | 'status'>;
  queueErrors: Counter<'operation'>;
  slackErrors: Counter<'method' | 'error'>;
  accessRefusals: Counter<'rule'>;
}

/**
 * A fresh registry per call so tests (and several workers in one process) never share counters;
 * the worker process uses the `workerMetrics` singleton below.
 */
export function createWorkerMetrics(options: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'netcheck_' });
  return {
    registry,
    jobs: new Counter({
      name: 'netcheck_jobs_total',
      help: 'Jobs processed, by target kind and outcome.',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'netcheck_job_duration_seconds',
      help: 'Wall time from dequeue to posted result, by target kind.',
      labelNames: ['kind'] as const,
      // Jobs range from a sub-second service check to a multi-minute cluster sweep.
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    findings: new Counter({
      name: 'netcheck_findings_total',
      help: 'Findings reported, by check code and status.',
      labelNames: ['code', 'status'] as const,
      registers: [registry],
    }),
    queueErrors: new Counter({
      name: 'netcheck_queue_errors_total',
      help: 'SQS calls that failed, by operation (receive, delete, extend, parse).',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    slackErrors: new Counter({
      name: 'netcheck_slack_errors_total',
      help: 'Slack Web API calls that failed, by method and Slack error code.',
      labelNames: ['method', 'error'] as const,
      registers: [registry],
    }),
    accessRefusals: new Counter({
      name: 'netcheck_access_refusals_total',
      help: 'Jobs the worker refused under the access policy, by the rule that refused them.',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
  };
}

export const workerMetrics: WorkerMetrics = createWorkerMetrics({ defaultMetrics: true });

export function recordJob(metrics: WorkerMetrics, kind: string, outcome: JobOutcome, durationSeconds: number): void {
  metrics.jobs.inc({ kind, outcome });
  metrics.jobDuration.observe({ kind }, durationSeconds);
}

export function recordFindings(metrics: WorkerMetrics, findings: readonly Pick<Finding, 'code' | 'status'>[]): void {
  for (const finding of findings) metrics.findings.inc({ code: finding.code, status: finding.status });
}
