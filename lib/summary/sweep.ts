// Cluster sweep: every Service checked from one cluster-wide gather. Indexes are built once, and
// each Service gets a Facts view holding only its namespace's share (slices, policies, pods it
// selects), so 10k services cost 10k small check runs rather than 10k scans of 100k pods.

import { checks, runChecks } from '../checks/index.js';
import type { Finding } from '../checks/types.js';
import type {
  DnsProbeFact,
  EndpointSliceFact,
  Facts,
  NetworkPolicyFact,
  NodeAgentFact,
  PodFact,
  ServiceFact,
} from '../facts/types.js';
import type { ObjectFacts } from '../gather/types.js';
import { buildReport, reportStatus } from '../verdict/verdict.js';
import type { ReportStatus } from '../verdict/types.js';
import type { ServiceResult, SweepReport } from './types.js';

export interface SweepContext {
  cluster: string;
  nodeAgents: NodeAgentFact[];
  /** Cluster-level DNS probes (kubernetes.default, …); the sweep itself probes nothing. */
  dnsProbes?: DnsProbeFact[];
  startedAt: string;
}

/** Checks about one Service run per Service; everything that also applies to the cluster runs once. */
const SERVICE_CODES = checks.filter((c) => c.appliesTo.includes('svc') && !c.appliesTo.includes('cluster')).map((c) => c.code);
const CLUSTER_CODES = checks.filter((c) => c.appliesTo.includes('cluster')).map((c) => c.code);

const STATUS_RANK: Record<ReportStatus, number> = { fail: 0, warn: 1, error: 2, ok: 3 };
const PROBLEM_STATUSES = new Set<Finding['status']>(['fail', 'warn', 'error']);

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

class ClusterIndex {
  readonly servicesByNamespace: Map<string, ServiceFact[]>;
  readonly servicesByName: Map<string, ServiceFact[]>;
  readonly podsByNamespace: Map<string, PodFact[]>;
  readonly slicesByService: Map<string, EndpointSliceFact[]>;
  readonly policiesByNamespace: Map<string, NetworkPolicyFact[]>;
  /** namespace → label key → label value → pods carrying that label. */
  private readonly podsByLabel = new Map<string, Map<string, Map<string, PodFact[]>>>();

  constructor(objects: ObjectFacts) {
    this.servicesByNamespace = groupBy(objects.services, (s) => s.namespace);
    this.servicesByName = groupBy(objects.services, (s) => s.name);
    this.podsByNamespace = groupBy(objects.pods, (p) => p.namespace);
    this.slicesByService = groupBy(objects.endpointSlices, (s) => `${s.namespace}/${s.serviceName}`);
    this.policiesByNamespace = groupBy(objects.networkPolicies, (p) => p.namespace);
    // Nested maps rather than "key=value" strings: no string is built per label of 100k pods.
    for (const pod of objects.pods) {
      let byKey = this.podsByLabel.get(pod.namespace);
      if (!byKey) this.podsByLabel.set(pod.namespace, (byKey = new Map()));
      for (const k in pod.labels) {
        const v = pod.labels[k] as string;
        let byValue = byKey.get(k);
        if (!byValue) byKey.set(k, (byValue = new Map()));
        const list = byValue.get(v);
        if (list) list.push(pod);
        else byValue.set(v, [pod]);
      }
    }
  }

  /** Pods a Service selector matches: the rarest label's pods, filtered by the rest. */
  selected(namespace: string, selector: Record<string, string>): PodFact[] {
    const entries = Object.entries(selector);
    const byKey = this.podsByLabel.get(namespace);
    if (entries.length === 0 || !byKey) return [];
    let smallest: PodFact[] | undefined;
    for (const [k, v] of entries) {
      const list = byKey.get(k)?.get(v);
      if (!list) return [];
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    return smallest!.filter((pod) => entries.every(([k, v]) => pod.labels[k] === v));
  }
}

function serviceView(service: ServiceFact, objects: ObjectFacts, index: ClusterIndex, ctx: SweepContext): { facts: Facts; size: number } {
  const selected = service.selector ? index.selected(service.namespace, service.selector) : [];
  const slices = index.slicesByService.get(`${service.namespace}/${service.name}`) ?? [];
  // The service checks look at pods through the selector; only "selector matches no pods" looks
  // further (the namespace's pods, for a did-you-mean), and only when nothing matched.
  const pods = selected.length ? selected : (index.podsByNamespace.get(service.namespace) ?? []);
  const endpoints = slices.reduce((n, s) => n + s.endpoints.length, 0);
  return {
    size: Math.max(endpoints, selected.length),
    facts: {
      target: { kind: 'svc', name: service.name, namespace: service.namespace, cluster: ctx.cluster },
      collectedAt: ctx.startedAt,
      services: index.servicesByNamespace.get(service.namespace) ?? [],
      // Only "service not found" reads this, and in a sweep every Service is found: a getter
      // spares 10k filters over the ~200 same-named Services of a templated cluster.
      get sameNameElsewhere() {
        return (index.servicesByName.get(service.name) ?? []).filter((s) => s.namespace !== service.namespace);
      },
      pods,
      endpointSlices: slices,
      nodes: objects.nodes,
      networkPolicies: index.policiesByNamespace.get(service.namespace) ?? [],
      namespaces: objects.namespaces,
      systemDaemonSets: objects.systemDaemonSets,
      systemPods: objects.systemPods,
      ...(objects.dns ? { dns: objects.dns } : {}),
      probes: { enabled: false, skipReason: 'the cluster sweep reads the API only; run netcheck on one service to probe it', tcp: [], dns: [] },
      nodeAgents: ctx.nodeAgents,
      // Service checks consult these so an unreadable list is never read as "no endpoints";
      // the finding about the access error itself comes once, from the cluster-level checks.
      accessErrors: objects.accessErrors,
    },
  };
}

function worst(statuses: Iterable<ReportStatus>): ReportStatus {
  let result: ReportStatus = 'ok';
  for (const s of statuses) if (STATUS_RANK[s] < STATUS_RANK[result]) result = s;
  return result;
}

export function sweepCluster(objects: ObjectFacts, ctx: SweepContext): SweepReport {
  const index = new ClusterIndex(objects);

  const clusterFacts: Facts = {
    ...objects,
    target: { kind: 'cluster', cluster: ctx.cluster },
    collectedAt: ctx.startedAt,
    probes: ctx.dnsProbes?.length
      ? { enabled: true, tcp: [], dns: ctx.dnsProbes }
      : { enabled: false, skipReason: 'the cluster sweep reads the API only', tcp: [], dns: [] },
    nodeAgents: ctx.nodeAgents,
  };
  const clusterReport = buildReport(clusterFacts, runChecks(clusterFacts, { codes: CLUSTER_CODES }), { startedAt: ctx.startedAt, durationMs: 0 });

  const counts = { ok: 0, warn: 0, fail: 0, error: 0 };
  const ranked: { result: ServiceResult; size: number }[] = [];
  for (const service of objects.services) {
    const { facts, size } = serviceView(service, objects, index, ctx);
    const findings = runChecks(facts, { codes: SERVICE_CODES });
    // Most services are fine: the verdict's causal ordering is only worth building for the rest.
    const status = reportStatus(findings);
    counts[status]++;
    if (status === 'ok') continue;
    const report = buildReport(facts, findings, { startedAt: ctx.startedAt, durationMs: 0 });
    ranked.push({
      size,
      result: {
        namespace: service.namespace,
        name: service.name,
        status: report.status,
        rootCause: report.rootCause,
        findings: report.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
      },
    });
  }
  ranked.sort(
    (a, b) =>
      STATUS_RANK[a.result.status] - STATUS_RANK[b.result.status] ||
      b.size - a.size ||
      a.result.namespace.localeCompare(b.result.namespace) ||
      a.result.name.localeCompare(b.result.name),
  );

  const services = objects.services.length;
  const namespaces = new Set([...objects.namespaces.map((n) => n.name), ...index.servicesByNamespace.keys()]).size;
  return {
    cluster: ctx.cluster,
    status: worst([clusterReport.status, ...ranked.map((r) => r.result.status)]),
    startedAt: ctx.startedAt,
    durationMs: Math.max(0, Date.now() - Date.parse(ctx.startedAt)),
    apiRequests: objects.apiRequests ?? 0,
    counts: { namespaces, services, nodes: objects.nodes.length, pods: objects.pods.length, ...counts },
    clusterFindings: clusterReport.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
    problems: ranked.map((r) => r.result),
  };
}
