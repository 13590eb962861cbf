import * as z from 'zod';
import { targetSpecSchema, type Finding, type Subject, type SubjectKind, type TargetSpec } from '../model/index.js';

// The buttons on netcheck's messages: their action ids and the values they carry. A value comes
// back signed but it is still outside input, so it is parsed with the same schemas the job uses;
// everything a button needs travels in its value (≤ 2000 characters), because the Slack handler
// has neither the worker's state nor the bot token.

export const ACTION_IDS = {
  rerun: 'netcheck_rerun',
  docs: 'netcheck_docs',
  showChecks: 'netcheck_show_checks',
  /** One per duration: action ids must be unique within a block. */
  silence: 'netcheck_silence',
  unsilence: 'netcheck_unsilence',
  acknowledge: 'netcheck_ack',
  resolve: 'netcheck_resolve',
} as const;

export const SILENCE_DURATIONS = { '1h': 3600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type SilenceDuration = keyof typeof SILENCE_DURATIONS;
export const silenceDurationSchema = z.enum(['1h', '1d', '7d']);

const SUBJECT_KINDS = ['namespace', 'service', 'pod', 'node', 'port', 'networkpolicy', 'daemonset', 'dns', 'ip'] as const satisfies readonly SubjectKind[];

/** What a Slack silence holds: one code on one subject (kind, namespace, exact name), in one channel. */
export const silenceScopeSchema = z.object({
  code: z.string().min(1).max(64),
  kind: z.enum(SUBJECT_KINDS).optional(),
  namespace: z.string().max(253).optional(),
  name: z.string().max(253).optional(),
});
export type SilenceScope = z.infer<typeof silenceScopeSchema>;

const base = { target: targetSpecSchema, cluster: z.string().min(1).max(63) };

export const actionValueSchemas = {
  /** Re-run and Show all checks carry the check to run again. */
  target: z.object(base),
  silence: z.object({ ...base, scope: silenceScopeSchema, duration: silenceDurationSchema }),
  unsilence: z.object({ ...base, silenceId: z.string().min(1).max(64) }),
  /** Acknowledge / Resolved name the alert thread by its stored id (a digest of its key). */
  incident: z.object({ ...base, thread: z.string().min(1).max(64) }),
};

export type TargetValue = z.infer<typeof actionValueSchemas.target>;
export type SilenceValue = z.infer<typeof actionValueSchemas.silence>;
export type UnsilenceValue = z.infer<typeof actionValueSchemas.unsilence>;
export type IncidentValue = z.infer<typeof actionValueSchemas.incident>;

export const encodeActionValue = (value: TargetValue | SilenceValue | UnsilenceValue | IncidentValue): string => JSON.stringify(value);

export function parseActionValue<T>(schema: z.ZodType<T>, raw: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The target's own object, as a subject matcher: the service, the node, or the namespace DNS is asked from. */
function targetSubject(target: TargetSpec): Omit<SilenceScope, 'code'> | undefined {
  switch (target.kind) {
    case 'svc':
      return { kind: 'service', namespace: target.namespace, name: target.name };
    case 'node':
      return { kind: 'node', name: target.name };
    case 'dns':
      return { namespace: target.namespace };
    default:
      return undefined;
  }
}

const sameObject = (matcher: Omit<SilenceScope, 'code'>, subject: Subject) =>
  (matcher.kind === undefined || matcher.kind === subject.kind) &&
  (matcher.namespace === undefined || matcher.namespace === (subject.kind === 'namespace' ? subject.name : subject.namespace)) &&
  (matcher.name === undefined || matcher.name === subject.name);

/**
 * What "silence this for this target" means for a finding: its code on the target's own object
 * when the finding names it, else on the finding's first subject. A finding without subjects
 * cannot be silenced narrowly, so it gets no Silence button (undefined) rather than a mute of
 * the code everywhere.
 */
export function silenceScopeFor(finding: Pick<Finding, 'code' | 'subjects'>, target: TargetSpec): SilenceScope | undefined {
  const own = targetSubject(target);
  if (own && finding.subjects.some((s) => sameObject(own, s))) return { code: finding.code, ...own };
  const first = finding.subjects[0];
  if (!first) return undefined;
  return { code: finding.code, kind: first.kind, ...(first.namespace ? { namespace: first.namespace } : {}), name: first.name };
}

/** "svc shop/payments", "node node-2", "namespace shop": the silenced subject as people say it. */
export function scopeLabel(scope: Omit<SilenceScope, 'code'>): string {
  const where = scope.namespace && scope.name ? `${scope.namespace}/${scope.name}` : (scope.name ?? scope.namespace ?? 'everything');
  const kind = scope.kind === 'service' ? 'svc' : (scope.kind ?? (scope.name ? '' : 'namespace'));
  return kind ? `${kind} ${where}` : where;
}
