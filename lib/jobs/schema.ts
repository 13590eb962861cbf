import * as z from 'zod';
import { dnsLabel, targetSpecSchema } from '../model/index.js';
import { silenceDurationSchema, silenceScopeSchema } from '../slack/actions.js';

// One job schema for every producer (Slack, Alertmanager, EventBridge, re-run button) and the
// worker that consumes it. Parse with `parseJob` at every boundary; never trust a queue body.

export const triggerSchema = z.enum(['slash', 'alert', 'channel', 'schedule', 'rerun', 'cli', 'button']);

/**
 * What a button asks of the worker besides a run: the worker holds the state and the bot token,
 * the Slack handler neither. `target` stays the check the message was about.
 */
export const jobActionSchema = z.discriminatedUnion('kind', [
  /** Post every passed and skipped check with its reason (a fresh run) into the thread. */
  z.object({ kind: z.literal('show-checks') }),
  z.object({ kind: z.literal('silence'), scope: silenceScopeSchema, duration: silenceDurationSchema }),
  z.object({ kind: z.literal('unsilence'), silenceId: z.string().min(1).max(64) }),
  /** `/netcheck silences`: the channel's silences, each with an Unsilence button. */
  z.object({ kind: z.literal('list-silences') }),
  z.object({ kind: z.literal('acknowledge'), thread: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('resolve'), thread: z.string().min(1).max(64) }),
]);
export type JobAction = z.infer<typeof jobActionSchema>;
export type Trigger = z.infer<typeof triggerSchema>;

export const jobSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1).max(128),
  trigger: triggerSchema,
  target: targetSpecSchema,
  cluster: dnsLabel,
  requestedAt: z.iso.datetime(),
  requester: z.object({
    id: z.string().max(64).optional(),
    name: z.string().max(256).optional(),
    source: z.string().max(64),
  }),
  /** Where the result goes. threadTs set = reply inside an existing thread (re-run, alert follow-up). */
  reply: z.object({
    channel: z.string().min(1).max(64),
    threadTs: z.string().max(32).optional(),
    responseUrl: z.url().optional(),
  }),
  /** Alertmanager context, for alert-triggered jobs. */
  alert: z
    .object({
      groupKey: z.string().max(1024),
      status: z.enum(['firing', 'resolved']),
      receiver: z.string().max(256).optional(),
      alertnames: z.array(z.string().max(256)).max(50),
      count: z.number().int().nonnegative(),
      externalURL: z.string().max(2048).optional(),
      summary: z.string().max(3000).optional(),
    })
    .optional(),
  action: jobActionSchema.optional(),
  options: z
    .object({
      probes: z.boolean().default(true),
    })
    .default({ probes: true }),
});
export type Job = z.infer<typeof jobSchema>;
export type JobInput = z.input<typeof jobSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Human-readable zod error: "target.name: must be a DNS label…; cluster: Required". */
export function formatZodError(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

export function parseJob(input: unknown): ParseResult<Job> {
  const result = jobSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: formatZodError(result.error) };
}

/** A JSON text checked against `schema`; `what` names the expected shape in the error. */
export function parseJsonWith<T>(schema: z.ZodType<T>, body: string, what: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return { ok: false, error: `body is not JSON: ${(e as Error).message}` };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: `${what}${formatZodError(result.error)}` };
}

export const parseJobBody = (body: string): ParseResult<Job> => parseJsonWith(jobSchema, body, '');

type JobFields = Omit<JobInput, 'version' | 'id' | 'requestedAt'> & { id?: string; requestedAt?: string };

/** Build a job from fields that came from outside (a Slack request): a bad field is a reason, not a throw. */
export function buildJob(fields: JobFields): ParseResult<Job> {
  return parseJob({ ...fields, version: 1, id: fields.id ?? crypto.randomUUID(), requestedAt: fields.requestedAt ?? new Date().toISOString() });
}

/** Build and validate a job; throws on invalid input because producers build jobs from already-validated parts. */
export function createJob(fields: JobFields): Job {
  return jobSchema.parse({
    ...fields,
    version: 1,
    id: fields.id ?? crypto.randomUUID(),
    requestedAt: fields.requestedAt ?? new Date().toISOString(),
  });
}
