import * as z from 'zod';
import { OPEN_POLICY, parseAccessPolicyJson, type AccessPolicy } from './access/policy.js';
import { MIN_AGENT_TOKEN_LENGTH } from './agent/token.js';
import { CLUSTER_DNS, RFC1123_LABEL, dnsSubdomain, isDnsLabel, type ReadScope } from './model/index.js';

// Configuration comes from the environment and is validated at start: a bad or missing value
// stops the process with a message naming the variable, instead of failing on the first request.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const jsonRecord = (what: string) =>
  z.string().transform((raw, ctx) => {
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries) as Record<string, string>;
      }
      ctx.addIssue({ code: 'custom', message: `must be a JSON object of ${what}` });
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON (a JSON object of ${what})` });
    }
    return z.NEVER;
  });

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);
const url = z.url();
const namespaceList = csv.pipe(z.array(z.string().regex(RFC1123_LABEL, 'must be a comma-separated list of DNS labels')));
const port = z.coerce.number().int().min(0).max(65535);
const clusterName = z.string().regex(RFC1123_LABEL, 'must be a DNS label (lowercase letters, digits, "-")');

function parse<T extends z.ZodRawShape>(shape: T, env: Env): z.infer<z.ZodObject<T>> {
  // Empty strings count as unset: `FOO=` in a shell or a template should not be a value.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        return issue.code === 'invalid_type' && cleaned[name] === undefined ? `${name} is required` : `${name}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

/** Where jobs go: one queue per cluster. */
export interface Routing {
  queues: Record<string, string>;
  defaultCluster: string;
  channelClusters: Record<string, string>;
}

function routingFrom(env: Env): Routing {
  const raw = parse(
    {
      NETCHECK_QUEUES: jsonRecord('cluster name → SQS queue URL').optional(),
      NETCHECK_QUEUE_URL: url.optional(),
      NETCHECK_DEFAULT_CLUSTER: clusterName.optional(),
      NETCHECK_CHANNEL_CLUSTERS: jsonRecord('Slack channel id → cluster name').optional(),
    },
    env,
  );
  const defaultCluster = raw.NETCHECK_DEFAULT_CLUSTER ?? 'default';
  const queues = raw.NETCHECK_QUEUES ?? (raw.NETCHECK_QUEUE_URL ? { [defaultCluster]: raw.NETCHECK_QUEUE_URL } : undefined);
  const problems: string[] = [];
  if (!queues || Object.keys(queues).length === 0) problems.push('NETCHECK_QUEUES (or NETCHECK_QUEUE_URL) is required');
  for (const [cluster, queueUrl] of Object.entries(queues ?? {})) {
    if (!isDnsLabel(cluster)) problems.push(`NETCHECK_QUEUES: cluster name "${cluster}" must be a DNS label`);
    if (!URL.canParse(queueUrl)) problems.push(`NETCHECK_QUEUES: queue URL of "${cluster}" is not a URL`);
  }
  if (queues && !queues[defaultCluster]) problems.push(`NETCHECK_DEFAULT_CLUSTER: "${defaultCluster}" has no queue in NETCHECK_QUEUES`);
  for (const [channel, cluster] of Object.entries(raw.NETCHECK_CHANNEL_CLUSTERS ?? {})) {
    if (queues && !queues[cluster]) problems.push(`NETCHECK_CHANNEL_CLUSTERS: channel ${channel} names unknown cluster "${cluster}"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { queues: queues!, defaultCluster, channelClusters: raw.NETCHECK_CHANNEL_CLUSTERS ?? {} };
}

/**
 * NETCHECK_ACCESS_POLICY: the access policy as JSON (lib/access/policy.ts). Unset means the open
 * policy (everything allowed), as before policies existed; the README recommends a deny default.
 */
export function accessPolicyFrom(env: Env, clusters?: readonly string[]): AccessPolicy {
  const raw = env.NETCHECK_ACCESS_POLICY;
  if (raw === undefined || raw === '') return OPEN_POLICY;
  const parsed = parseAccessPolicyJson(raw, clusters);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `NETCHECK_ACCESS_POLICY: ${p}`));
  return parsed.policy;
}

export interface HandlerConfig {
  routing: Routing;
  /** Who may ask what; checked at the door and again by the worker. */
  access: AccessPolicy;
  sqsEndpoint?: string;
  region: string;
  incidentChannel?: string;
  incidentPrefixes: string[];
  /** Checks one person / one channel may start per window; 0 turns that limit off. */
  throttle: { perUser: number; perChannel: number; windowSeconds: number };
  /** Secrets are resolved lazily (env value, else SSM parameter): see lib/secrets.ts. */
  env: Env;
}

export function loadHandlerConfig(env: Env = process.env): HandlerConfig {
  const raw = parse(
    {
      AWS_ENDPOINT_URL_SQS: url.optional(),
      AWS_REGION: z.string().optional(),
      NETCHECK_INCIDENT_CHANNEL: z.string().optional(),
      NETCHECK_INCIDENT_PREFIXES: csv.optional(),
      NETCHECK_THROTTLE_PER_USER: z.coerce.number().int().min(0).max(10_000).optional(),
      NETCHECK_THROTTLE_PER_CHANNEL: z.coerce.number().int().min(0).max(10_000).optional(),
      NETCHECK_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
    },
    env,
  );
  const routing = routingFrom(env);
  return {
    routing,
    access: accessPolicyFrom(env, Object.keys(routing.queues)),
    sqsEndpoint: raw.AWS_ENDPOINT_URL_SQS,
    region: raw.AWS_REGION ?? 'us-east-1',
    incidentChannel: raw.NETCHECK_INCIDENT_CHANNEL,
    incidentPrefixes: raw.NETCHECK_INCIDENT_PREFIXES ?? ['inc-', 'incident-'],
    // At concurrency 2 a check takes seconds: 10 a minute per person is already a backlog of its own.
    throttle: {
      perUser: raw.NETCHECK_THROTTLE_PER_USER ?? 10,
      perChannel: raw.NETCHECK_THROTTLE_PER_CHANNEL ?? 30,
      windowSeconds: raw.NETCHECK_THROTTLE_WINDOW_SECONDS ?? 60,
    },
    env,
  };
}

export interface WorkerConfig {
  cluster: string;
  /** The same policy the handlers enforce: a job on the queue is not proof of permission. */
  access: AccessPolicy;
  queueUrl: string;
  sqsEndpoint?: string;
  region: string;
  slackBotToken?: string;
  slackApiUrl?: string;
  kubeconfigPath?: string;
  kubeContext?: string;
  agentPort: number;
  agentToken?: string;
  agentTokenFile?: string;
  stateConfigMap: string;
  namespace?: string;
  healthPort?: number;
  concurrency: number;
  probeTimeoutMs: number;
  clusterDomain: string;
  /** The name outside the cluster dns jobs ask through CoreDNS and of its upstreams (air-gapped clusters: one their resolvers serve). */
  dnsExternalName?: string;
  probes: boolean;
  /** SQS long-poll wait; also the longest a shutdown waits for the poll in progress. */
  pollWaitSeconds: number;
  /** The worker pod's address and labels: where probes start, for NetworkPolicy evaluation. */
  podIP?: string;
  podLabels?: Record<string, string>;
  /** The worker's node: its kernel, netfilter and kube-proxy rules are the start of every probe's path. */
  nodeName?: string;
  /** How long a received job stays hidden from other workers without a heartbeat (a killed worker's job returns after it). */
  visibilityTimeoutSeconds: number;
  /** When a job's work is aborted: nothing more is gathered or posted by that attempt. */
  jobDeadlineMs: number;
  /** The silence file (the chart's `silences` value, mounted from a ConfigMap); same format as the CLI's .netcheck.yaml. */
  silencesFile?: string;
  /** Namespaced mode (the chart's rbac.scope=namespaced): the namespaces its Roles grant. Absent: cluster-wide. */
  readScope?: ReadScope;
}

const labelList = z.string().transform((raw, ctx) => {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not key=value` });
      return z.NEVER;
    }
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
});

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const raw = parse(
    {
      NETCHECK_CLUSTER: clusterName.optional(),
      NETCHECK_QUEUE_URL: url,
      AWS_ENDPOINT_URL_SQS: url.optional(),
      AWS_REGION: z.string().optional(),
      SLACK_BOT_TOKEN: z
        .string()
        .regex(/^xox[a-z]-/, 'must be a Slack bot token (xoxb-…)')
        .optional(),
      SLACK_API_URL: url.optional(),
      KUBECONFIG: z.string().optional(),
      NETCHECK_KUBE_CONTEXT: z.string().optional(),
      NETCHECK_AGENT_PORT: port.optional(),
      NETCHECK_AGENT_TOKEN: z.string().min(MIN_AGENT_TOKEN_LENGTH, `must be at least ${MIN_AGENT_TOKEN_LENGTH} characters, as the agent requires`).optional(),
      NETCHECK_AGENT_TOKEN_FILE: z.string().optional(),
      NETCHECK_STATE_CONFIGMAP: z.string().regex(RFC1123_LABEL, 'must be a DNS label').optional(),
      NETCHECK_NAMESPACE: z.string().regex(RFC1123_LABEL, 'must be a DNS label').optional(),
      NETCHECK_HEALTH_PORT: port.optional(),
      NETCHECK_CONCURRENCY: z.coerce.number().int().min(1).max(32).optional(),
      NETCHECK_PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).optional(),
      NETCHECK_CLUSTER_DOMAIN: z.string().optional(),
      NETCHECK_DNS_EXTERNAL_NAME: dnsSubdomain.optional(),
      NETCHECK_PROBES: z.enum(['on', 'off']).optional(),
      NETCHECK_POLL_WAIT_SECONDS: z.coerce.number().int().min(1).max(20).optional(),
      NETCHECK_POD_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
      NETCHECK_POD_LABELS: labelList.optional(),
      NETCHECK_NODE_NAME: dnsSubdomain.optional(),
      NETCHECK_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(2).max(43_200).optional(),
      NETCHECK_JOB_DEADLINE_SECONDS: z.coerce.number().int().min(1).max(3_600).optional(),
      NETCHECK_SILENCES_FILE: z.string().min(1).optional(),
      NETCHECK_READ_SCOPE: z.enum(['cluster', 'namespaced']).optional(),
      NETCHECK_READ_NAMESPACES: namespaceList.optional(),
      NETCHECK_SYSTEM_NAMESPACES: namespaceList.optional(),
    },
    env,
  );
  const namespaced = raw.NETCHECK_READ_SCOPE === 'namespaced';
  // Namespaced without namespaces would answer every job "unknown": refuse to start instead.
  if (namespaced && !raw.NETCHECK_READ_NAMESPACES?.length) throw new ConfigError(['NETCHECK_READ_NAMESPACES is required when NETCHECK_READ_SCOPE=namespaced']);
  return {
    cluster: raw.NETCHECK_CLUSTER ?? 'default',
    access: accessPolicyFrom(env),
    queueUrl: raw.NETCHECK_QUEUE_URL,
    sqsEndpoint: raw.AWS_ENDPOINT_URL_SQS,
    region: raw.AWS_REGION ?? 'us-east-1',
    slackBotToken: raw.SLACK_BOT_TOKEN,
    slackApiUrl: raw.SLACK_API_URL,
    kubeconfigPath: raw.KUBECONFIG,
    kubeContext: raw.NETCHECK_KUBE_CONTEXT,
    agentPort: raw.NETCHECK_AGENT_PORT ?? 9807,
    agentToken: raw.NETCHECK_AGENT_TOKEN,
    agentTokenFile: raw.NETCHECK_AGENT_TOKEN_FILE,
    stateConfigMap: raw.NETCHECK_STATE_CONFIGMAP ?? 'netcheck-state',
    namespace: raw.NETCHECK_NAMESPACE,
    healthPort: raw.NETCHECK_HEALTH_PORT,
    concurrency: raw.NETCHECK_CONCURRENCY ?? 2,
    probeTimeoutMs: raw.NETCHECK_PROBE_TIMEOUT_MS ?? 2000,
    clusterDomain: raw.NETCHECK_CLUSTER_DOMAIN ?? 'cluster.local',
    ...(raw.NETCHECK_DNS_EXTERNAL_NAME ? { dnsExternalName: raw.NETCHECK_DNS_EXTERNAL_NAME } : {}),
    probes: raw.NETCHECK_PROBES !== 'off',
    pollWaitSeconds: raw.NETCHECK_POLL_WAIT_SECONDS ?? 20,
    podIP: raw.NETCHECK_POD_IP,
    podLabels: raw.NETCHECK_POD_LABELS,
    ...(raw.NETCHECK_NODE_NAME ? { nodeName: raw.NETCHECK_NODE_NAME } : {}),
    visibilityTimeoutSeconds: raw.NETCHECK_VISIBILITY_TIMEOUT_SECONDS ?? 60,
    // The slowest job (a cluster sweep) must end well inside the queue's 300 s visibility timeout.
    jobDeadlineMs: (raw.NETCHECK_JOB_DEADLINE_SECONDS ?? 240) * 1000,
    ...(raw.NETCHECK_SILENCES_FILE ? { silencesFile: raw.NETCHECK_SILENCES_FILE } : {}),
    ...(namespaced ? { readScope: { namespaces: raw.NETCHECK_READ_NAMESPACES ?? [], systemNamespaces: raw.NETCHECK_SYSTEM_NAMESPACES ?? [CLUSTER_DNS.namespace] } } : {}),
  };
}

export function loadLocalConfig(env: Env = process.env): { port: number } {
  const raw = parse({ PORT: port.optional() }, env);
  return { port: raw.PORT ?? 3000 };
}
