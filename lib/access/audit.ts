import type { Log } from '../observability/logger.js';
import type { AccessPolicy } from './policy.js';
import { describeChannel, type AccessRequest, type Decision } from './evaluate.js';

// One structured line per access decision: who, where, what, on which target, the outcome and the
// rule. A refusal line also carries a CloudWatch Embedded Metric Format block, so the Lambdas
// count refusals by rule without a metrics client (the worker also counts them in Prometheus).

export type DecisionPoint = 'door' | 'button' | 'worker' | 'alert';

export interface AuditEntry {
  at: DecisionPoint;
  request: AccessRequest;
  decision: Decision;
  target: string;
  trigger?: string;
  jobId?: string;
}

export const REFUSALS_METRIC = 'AccessRefusals';

export function auditDecision(log: Log, entry: AuditEntry, now: Date = new Date()): void {
  const { request, decision } = entry;
  const line = {
    audit: 'access',
    decisionPoint: entry.at,
    outcome: decision.outcome,
    rule: decision.rule,
    reason: decision.reason,
    user: request.user ?? null,
    channel: request.channel,
    command: request.command,
    cluster: request.cluster,
    namespaces: request.namespaces,
    target: entry.target,
    ...(entry.trigger ? { trigger: entry.trigger } : {}),
    ...(entry.jobId ? { jobId: entry.jobId } : {}),
  };
  if (decision.outcome !== 'refused') {
    log.info(`access ${decision.outcome}`, line);
    return;
  }
  log.warn('access refused', {
    ...line,
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: 'netcheck', Dimensions: [['rule'], ['decisionPoint']], Metrics: [{ Name: REFUSALS_METRIC, Unit: 'Count' }] }],
    },
    [REFUSALS_METRIC]: 1,
  });
}

/** The refusal a person sees: why, what this channel may ask, and who to ask for more. Plain text: the caller escapes. */
export function refusalText(policy: AccessPolicy, request: AccessRequest, decision: Decision, target: string): string {
  const who = policy.contact ? `Access is granted by ${policy.contact}.` : 'Access is granted by the netcheck operators (the access policy in the deployment).';
  return [`netcheck will not run ${target} on cluster ${request.cluster} here: ${decision.reason}. Nothing was queued.`, describeChannel(policy, request.channel), who].join('\n');
}
