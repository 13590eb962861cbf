import * as z from 'zod';

// One job schema for every producer (Slack, Alertmanager, EventBridge, re-run button) and the
// worker that consumes it. Parse with `parseJob` at every boundary; never trust a queue body.

/** RFC 1123 DNS label: what Kubernetes accepts for namespace, service and most object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: node names may contain dots. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = z
  .string()
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", 1–63 characters, starting and ending with a letter or digit');
export const dnsSubdomain = z
  .string()
  .regex(DNS_SUBDOMAIN, 'must be a DNS name: lowercase letters, digits, "-" and ".", at most 253 characters');

export const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('svc'), name: dnsLabel, namespace: dnsLabel }),
  z.object({ kind: z.literal('node'), name: dnsSubdomain }),
  z.object({ kind: z.literal('dns'), namespace: dnsLabel }),
  z.object({ kind: z.literal('cluster') }),
]);
export type JobTarget = z.infer<typeof targetSchema>;

export const triggerSchema = z.enum(['slash', 'alert', 'channel', 'schedule', 'rerun', 'cli']);
export type Trigger = z.infer<typeof triggerSchema>;

export const jobSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1).max(128),
  trigger: triggerSchema,
  target: targetSchema,
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
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
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

/** Human label for a target: "svc shop/payments", "node node-2", "dns in shop", "cluster". */
export function describeTarget(target: JobTarget): string {
  switch (target.kind) {
    case 'svc':
      return `svc ${target.name} in ${target.namespace}`;
    case 'node':
      return `node ${target.name}`;
    case 'dns':
      return `dns in ${target.namespace}`;
    case 'cluster':
      return 'cluster';
  }
}

/** Build and validate a job; throws on invalid input because producers build jobs from already-validated parts. */
export function createJob(fields: Omit<JobInput, 'version' | 'id' | 'requestedAt'> & { id?: string; requestedAt?: string }): Job {
  return jobSchema.parse({
    ...fields,
    version: 1,
    id: fields.id ?? crypto.randomUUID(),
    requestedAt: fields.requestedAt ?? new Date().toISOString(),
  });
}
