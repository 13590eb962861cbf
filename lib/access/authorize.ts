import type { Log } from '../observability/logger.js';
import { describeTarget, type TargetSpec } from '../model/index.js';
import { auditDecision, refusalText, type DecisionPoint } from './audit.js';
import { commandOf, decide, namespacesOf, type AccessRequest, type Decision, type Knowledge } from './evaluate.js';
import type { AccessPolicy } from './policy.js';

// The one call every entry point makes before it starts work: the slash command, any button that
// queues a job (Re-run today, more later), the alert router and the worker. It decides, writes the
// audit line and, when refused, words the answer.

export interface AuthorizeInput {
  policy: AccessPolicy;
  log: Log;
  at: DecisionPoint;
  channel: string;
  /** The person asking (the clicker, for a button); absent for automated triggers. */
  user?: string;
  automated?: boolean;
  target: TargetSpec;
  cluster: string;
  trigger?: string;
  jobId?: string;
  knowledge?: Knowledge;
}

export interface Authorization {
  decision: Decision;
  request: AccessRequest;
  /** Plain text (not yet escaped for mrkdwn), set when refused. */
  refusal?: string;
}

export const AUTOMATED_TRIGGERS: ReadonlySet<string> = new Set(['alert', 'schedule', 'channel']);

export function authorize(input: AuthorizeInput): Authorization {
  const request: AccessRequest = {
    channel: input.channel,
    ...(input.user ? { user: input.user } : {}),
    automated: input.automated ?? false,
    ...(input.trigger === 'channel' ? { newIncidentChannel: true } : {}),
    command: commandOf(input.target),
    cluster: input.cluster,
    namespaces: namespacesOf(input.target),
  };
  const decision = decide(input.policy, request, input.knowledge);
  const target = describeTarget(input.target);
  auditDecision(input.log, { at: input.at, request, decision, target, ...(input.trigger ? { trigger: input.trigger } : {}), ...(input.jobId ? { jobId: input.jobId } : {}) });
  return decision.outcome === 'refused' ? { decision, request, refusal: refusalText(input.policy, request, decision, target) } : { decision, request };
}
