import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { authorize, AUTOMATED_TRIGGERS } from '../access/authorize.js';
import { channelSees, channelSeesAll } from '../access/evaluate.js';
import type { GroupResolver } from '../access/groups.js';
import type { AccessPolicy } from '../access/policy.js';
import type { Job } from '../jobs/schema.js';
import type { Labels, NamespaceVisibility } from '../model/index.js';
import type { Log } from '../observability/logger.js';

// The worker's own check of every job: a message on the queue is not proof of permission (anyone
// with SendMessage, a bug in a producer, a replayed old job). Here the bot token can resolve user
// groups and the cluster can tell namespace labels, so nothing is left undecided.

export interface WorkerAccess {
  policy: AccessPolicy;
  /** Absent without a bot token: a policy that names groups then refuses what hangs on them. */
  groups?: GroupResolver;
  /** A namespace's labels; undefined when it does not exist. Rejects when it cannot be read. */
  namespaceLabels: (namespace: string) => Promise<Labels | undefined>;
  onRefused?: (rule: string) => void;
}

export type JobAccess = { allowed: true; visible?: NamespaceVisibility; scopeKey?: string } | { allowed: false; refusal: string; rule: string };

const usesSelectors = (policy: AccessPolicy) =>
  [...Object.values(policy.channels), ...Object.values(policy.users), ...Object.values(policy.groups), ...(policy.everyone ? [policy.everyone] : [])].some((g) =>
    g.namespaces.some((n) => typeof n === 'object'),
  );

export async function checkJobAccess(job: Job, access: WorkerAccess, log: Log): Promise<JobAccess> {
  const { policy } = access;
  const automated = AUTOMATED_TRIGGERS.has(job.trigger);
  const user = job.requester.id;
  const refuse = (rule: string, reason: string): JobAccess => {
    access.onRefused?.(rule);
    log.warn('access refused', {
      audit: 'access',
      decisionPoint: 'worker',
      outcome: 'refused',
      rule,
      reason,
      user: user ?? null,
      channel: job.reply.channel,
      cluster: job.cluster,
      trigger: job.trigger,
      jobId: job.id,
    });
    return { allowed: false, rule, refusal: `netcheck will not run this job: ${reason}. Nothing was checked.` };
  };

  let groups: string[] | undefined;
  const candidates = Object.keys(policy.groups);
  if (!automated && user && candidates.length) {
    if (!access.groups) return refuse('groups-unresolved', 'the policy names Slack user groups, and this worker has no bot token to read them');
    try {
      groups = await access.groups.groupsOf(user, candidates);
    } catch (error) {
      return refuse('groups-unresolved', `unknown, because the user groups could not be read (${(error as Error).message})`);
    }
  }
  const namespaces = job.target.kind === 'svc' || job.target.kind === 'dns' ? [job.target.namespace, ...(job.target.from ? [job.target.from.namespace] : [])] : [];
  const labels = new Map<string, Labels | undefined>();
  if (usesSelectors(policy)) {
    try {
      for (const namespace of new Set(namespaces)) labels.set(namespace, await access.namespaceLabels(namespace));
    } catch (error) {
      return refuse('namespace-unreadable', `unknown, because the namespace labels the policy selects on could not be read (${(error as Error).message})`);
    }
  }

  const decided = authorize({
    policy,
    log,
    at: 'worker',
    channel: job.reply.channel,
    ...(user ? { user } : {}),
    automated,
    target: job.target,
    cluster: job.cluster,
    trigger: job.trigger,
    jobId: job.id,
    // A namespace that does not exist has no labels, so no selector grants it.
    knowledge: { groups: groups ?? [], namespaceLabels: (n) => labels.get(n) ?? {} },
  });
  if (decided.decision.outcome !== 'allowed') {
    access.onRefused?.(decided.decision.rule);
    return { allowed: false, rule: decided.decision.rule, refusal: decided.refusal ?? `netcheck will not run this job: ${decided.decision.reason}` };
  }
  const channel = job.reply.channel;
  const incident = job.trigger === 'channel';
  // A channel that sees every namespace gets the unscoped report (and shares the cluster's summary baseline).
  if (channelSeesAll(policy, channel, job.cluster, incident)) return { allowed: true };
  return { allowed: true, visible: channelSees(policy, channel, job.cluster, incident), scopeKey: `${job.cluster}/${channel}` };
}

/** Namespace labels through the worker's own API access (get namespaces, which it has anyway). */
export function kubeNamespaceLabels(kc: KubeConfig): (namespace: string) => Promise<Labels | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  return async (name) => {
    try {
      const namespace = await api.readNamespace({ name });
      return namespace.metadata?.labels ?? {};
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  };
}
