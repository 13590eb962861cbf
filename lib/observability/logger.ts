import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

/** What code that only writes logs needs: satisfied by a Powertools Logger and by plain test doubles. */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * Structured JSON logger (one object per line on stdout) shared by the Lambda handlers and the
 * worker. The level comes from POWERTOOLS_LOG_LEVEL (default INFO) so operators can turn on
 * DEBUG without a rebuild.
 */
export function createLogger(name: string): Logger {
  return new Logger({ serviceName: 'netcheck', persistentKeys: { component: name } });
}

/** Child logger that stamps the job id on every line it writes. */
export function jobLogger(parent: Logger, jobId: string, extra: Record<string, string> = {}): Logger {
  return parent.createChild({ persistentKeys: { ...extra, jobId } });
}
