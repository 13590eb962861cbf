import type { HandlerConfig } from '../lib/config.js';
import type { Log } from '../lib/observability/logger.js';
import { lambdaEntry } from '../lib/build-once.js';
import { jobFromSchedule, scheduleDefaultsFromEnv } from '../lib/jobs/schedule.js';
import type { JobQueue } from '../lib/queue/sqs.js';

// EventBridge schedule → daily summary job on the cluster's queue. Errors are thrown, not
// swallowed: the invocation is asynchronous, so Lambda retries it and then hands it to the
// function's failure destination, where an alarm makes a misconfigured schedule visible.

export interface ScheduleHandlerDeps {
  config: Pick<HandlerConfig, 'routing'>;
  summaryChannel?: string;
  summaryCluster?: string;
  queueFor(cluster: string): JobQueue;
  logger: Log;
  now?: () => Date;
}

export interface ScheduleResult {
  jobId: string;
  cluster: string;
  channel: string;
  deduplicationId: string;
}

export function createScheduleHandler(deps: ScheduleHandlerDeps): (event: unknown) => Promise<ScheduleResult> {
  return async (event) => {
    let scheduled;
    try {
      scheduled = jobFromSchedule(event, {
        routing: deps.config.routing,
        summaryChannel: deps.summaryChannel,
        summaryCluster: deps.summaryCluster,
        now: deps.now?.(),
      });
    } catch (error) {
      deps.logger.error('invalid schedule input', { error: (error as Error).message, input: event });
      throw error;
    }
    const { job, deduplicationId } = scheduled;
    await deps.queueFor(job.cluster).send(job, { deduplicationId });
    deps.logger.info('summary job queued', { jobId: job.id, cluster: job.cluster, channel: job.reply.channel });
    return { jobId: job.id, cluster: job.cluster, channel: job.reply.channel, deduplicationId };
  };
}

async function fromEnvironment(): Promise<(event: unknown) => Promise<ScheduleResult>> {
  const [{ loadHandlerConfig }, { createQueueRouter, createSqsClient }, { createLogger }] = await Promise.all([
    import('../lib/config.js'),
    import('../lib/queue/sqs.js'),
    import('../lib/observability/logger.js'),
  ]);
  const config = loadHandlerConfig(process.env);
  return createScheduleHandler({
    config,
    ...scheduleDefaultsFromEnv(process.env),
    queueFor: createQueueRouter(createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }), config.routing.queues),
    logger: createLogger('schedule'),
  });
}

/** Lambda entry point (EventBridge, asynchronous invocation: a broken configuration throws, so the invocation is retried). */
export const handler = lambdaEntry(fromEnvironment);
