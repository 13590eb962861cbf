// Cluster sweep: every Service checked from one cluster-wide gather. Indexes are built once, and
// each Service gets a Facts view holding only its namespace's share (slices, policies, pods it
// selects), so 10k services cost 10k small check runs rather than 10k scans of 100k pods. Pods
// arrive namespace by namespace and are checked as they come (ClusterSweep), so they need not all
// be held at once.

import { checks, explains, runChecks } from '../checks/index.js';
import { compareText, reportStatus, type DnsProbeFact, type EndpointSliceFact, type Facts, type Finding, type NetworkPolicyFact, type NodeAgentFact, type PodFact, type ReportStatus, type ServiceFact, type ServiceResult, type SweepReport } from '../model/index.js';
import type { NamespaceSink } from '../gather/kube.js';
import type { ObjectFacts } from '../gather/types.js';
import { buildReport } from '../verdict/verdict.js';

/**
 * Checks about one Service run per Service; everything that also applies to the cluster runs once.
 * Checks that judge probe outcomes (layers dataplane and dns) are left out: a sweep probes no
 * service, so they could only say "skip", 50k times.
 */
export const SERVICE_CODES = checks
  .filter((c) => c.appliesTo.includes('svc') && !c.appliesTo.includes('cluster') && !c.needsPathAgents && c.layer !== 'dataplane' && c.layer !== 'dns')
  .map((c) => c.code);
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

/** Shared empty list: views hold thousands of them. Nothing writes to facts. */
const NONE: never[] = [];

/** Indexes over the cluster-wide lists, built once when the sweep begins. */
class ClusterIndex {
  readonly servicesByNamespace: Map<string, ServiceFact[]>;
  readonly servicesByName: Map<string, ServiceFact[]>;
  readonly slicesByService: Map<string, EndpointSliceFact[]>;
  readonly policiesByNamespace: Map<string, NetworkPolicyFact[]>;

  constructor(objects: ObjectFacts) {
    this.servicesByNamespace = groupBy(objects.services, (s) => s.namespace);
    this.servicesByName = groupBy(objects.services, (s) => s.name);
    this.slicesByService = groupBy(objects.endpointSlices, (s) => `${s.namespace}/${s.serviceName}`);
    this.policiesByNamespace = groupBy(objects.networkPolicies, (p) => p.namespace);
  }
}

/** One namespace's pods, indexed by label; dropped once the namespace's services are checked. */
class NamespacePods {
  /** label key → label value → pods carrying that label. */
  private readonly byLabel = new Map<string, Map<string, PodFact[]>>();

  /** Only the label keys some selector uses are indexed (usually just "app", not the pod-template-hash). */
  constructor(
    readonly all: PodFact[],
    services: ServiceFact[],
  ) {
    for (const service of services) for (const k in service.selector) if (!this.byLabel.has(k)) this.byLabel.set(k, new Map());
    // Nested maps rather than "key=value" strings: no string is built per label of 100k pods.
    for (const pod of all) {
      for (const k in pod.labels) {
        const byValue = this.byLabel.get(k);
        if (!byValue) continue;
        const v = pod.labels[k] as string;
        const list = byValue.get(v);
        if (list) list.push(pod);
        else byValue.set(v, [pod]);
      }
    }
  }

  /** Pods a Service selector matches: the rarest label's pods, filtered by the rest. */
  selected(selector: Record<string, string>): PodFact[] {
    let smallest: PodFact[] | undefined;
    for (const k in selector) {
      const list = this.byLabel.get(k)?.get(selector[k] as string);
      if (!list) return NONE;
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    if (!smallest) return NONE;
    return smallest.filter((pod) => {
      for (const k in selector) if (pod.labels[k] !== selector[k]) return false;
      return true;
    });
  }
}

const NO_PROBES: Facts['probes'] = { enabled: false, skipReason: 'the cluster sweep reads the API only; run netcheck on one service to probe it', tcp: [], dns: [] };

/**
 * What the service checks see of one Service. Node agents, probes and system pods are left out:
 * no service-only check reads them (test/unit/sweep-cluster.test.ts holds them to that), and a
 * sweep checks a namespace before the agents are asked and, often, before the system pods arrive.
 */
class ServiceView implements Facts {
  readonly target: Facts['target'];
  readonly collectedAt: string;
  readonly services: ServiceFact[];
  readonly pods: PodFact[];
  readonly endpointSlices: EndpointSliceFact[];
  readonly nodes: Facts['nodes'];
  readonly networkPolicies: NetworkPolicyFact[];
  readonly namespaces: Facts['namespaces'];
  readonly systemDaemonSets: Facts['systemDaemonSets'];
  readonly systemPods: PodFact[] = NONE;
  readonly dns: Facts['dns'];
  readonly probes = NO_PROBES;
  readonly nodeAgents: NodeAgentFact[] = NONE;
  readonly accessErrors: Facts['accessErrors'];
  /** Endpoints or selected pods, whichever is more: how many backends a problem touches. */
  readonly size: number;

  constructor(
    private readonly service: ServiceFact,
    objects: ObjectFacts,
    private readonly index: ClusterIndex,
    namespacePods: NamespacePods,
    options: SweepOptions,
  ) {
    const selected = service.selector ? namespacePods.selected(service.selector) : NONE;
    const slices = index.slicesByService.get(`${service.namespace}/${service.name}`) ?? NONE;
    let endpoints = 0;
    for (const slice of slices) endpoints += slice.endpoints.length;
    this.size = Math.max(endpoints, selected.length);
    this.target = { kind: 'svc', name: service.name, namespace: service.namespace, cluster: options.cluster };
    this.collectedAt = options.startedAt;
    this.services = index.servicesByNamespace.get(service.namespace) ?? NONE;
    // The service checks look at pods through the selector; only "selector matches no pods"
    // looks further (the namespace's pods, for a did-you-mean), and only when nothing matched.
    this.pods = selected.length ? selected : namespacePods.all;
    this.endpointSlices = slices;
    this.nodes = objects.nodes;
    this.networkPolicies = index.policiesByNamespace.get(service.namespace) ?? NONE;
    this.namespaces = objects.namespaces;
    this.systemDaemonSets = objects.systemDaemonSets;
    this.dns = objects.dns;
    // Service checks consult these so an unreadable list is never read as "no endpoints";
    // the finding about the access error itself comes once, from the cluster-level checks.
    this.accessErrors = objects.accessErrors;
  }

  /**
   * Only "service not found" reads this, and in a sweep every Service is found: computing it on
   * demand spares 10k filters over the ~200 same-named Services of a templated cluster.
   */
  get sameNameElsewhere(): ServiceFact[] {
    return (this.index.servicesByName.get(this.service.name) ?? NONE).filter((s) => s.namespace !== this.service.namespace);
  }
}

function worst(statuses: Iterable<ReportStatus>): ReportStatus {
  let result: ReportStatus = 'ok';
  for (const s of statuses) if (STATUS_RANK[s] < STATUS_RANK[result]) result = s;
  return result;
}

export interface SweepOptions {
  cluster: string;
  startedAt: string;
  /** Only these namespaces' services are checked and counted (`netcheck cluster -n shop,web`). */
  namespaces?: readonly string[];
}

/** What the cluster-level checks need beyond the API objects, known only once the gather is done. */
export interface SweepExtras {
  nodeAgents: NodeAgentFact[];
  /** Cluster-level DNS probes (kubernetes.default, …); the sweep itself probes nothing. */
  dnsProbes?: DnsProbeFact[];
}

interface NamespaceOutcome {
  pods: number;
  counts: Record<ReportStatus, number>;
  problems: { result: ServiceResult; size: number }[];
}

/**
 * A sweep fed as the gather goes (a NamespaceSink): the cluster-wide lists first, then each
 * namespace's pods, whose services are checked on arrival so the pods can go. Holding a large
 * cluster's 100k pods until the end made garbage collection the sweep's largest cost.
 */
export class ClusterSweep implements NamespaceSink {
  private objects: ObjectFacts | undefined;
  private index: ClusterIndex | undefined;
  private readonly outcomes = new Map<string, NamespaceOutcome>();

  constructor(private readonly options: SweepOptions) {}

  begin(objects: ObjectFacts): void {
    this.objects = objects;
    this.index = new ClusterIndex(objects);
  }

  /** Checks every Service of the namespace against these pods; a namespace handed over again replaces its outcome. */
  namespace(namespace: string, pods: PodFact[]): void {
    const { objects, index, options } = this.begun();
    if (options.namespaces && !options.namespaces.includes(namespace)) return;
    const outcome: NamespaceOutcome = { pods: pods.length, counts: { ok: 0, warn: 0, fail: 0, error: 0 }, problems: [] };
    this.outcomes.set(namespace, outcome);
    const services = index.servicesByNamespace.get(namespace);
    if (!services) return;
    const indexed = new NamespacePods(pods, services);
    for (const service of services) {
      const facts = new ServiceView(service, objects, index, indexed, options);
      const findings = runChecks(facts, { codes: SERVICE_CODES });
      // Most services are fine: the verdict's causal ordering is only worth building for the rest.
      const status = reportStatus(findings);
      outcome.counts[status]++;
      if (status === 'ok') continue;
      const report = buildReport(facts, findings, { startedAt: options.startedAt, durationMs: 0 }, explains);
      outcome.problems.push({
        size: facts.size,
        result: {
          namespace: service.namespace,
          name: service.name,
          status: report.status,
          rootCause: report.rootCause,
          findings: report.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
        },
      });
    }
  }

  /**
   * The report: services of namespaces never handed over (no pods, or a pod list that failed) are
   * checked with none, then the cluster-level checks run once over everything.
   */
  finish(extras: SweepExtras): SweepReport {
    const { objects, index, options } = this.begun();
    for (const namespace of index.servicesByNamespace.keys()) if (!this.outcomes.has(namespace)) this.namespace(namespace, []);
    const wanted = options.namespaces;
    const inScope = (namespace: string) => !wanted || wanted.includes(namespace);

    const clusterFacts: Facts = {
      ...objects,
      target: { kind: 'cluster', cluster: options.cluster },
      collectedAt: options.startedAt,
      probes: extras.dnsProbes?.length
        ? { enabled: true, tcp: [], dns: extras.dnsProbes }
        : { enabled: false, skipReason: 'the cluster sweep reads the API only', tcp: [], dns: [] },
      nodeAgents: extras.nodeAgents,
    };
    const clusterReport = buildReport(clusterFacts, runChecks(clusterFacts, { codes: CLUSTER_CODES }), { startedAt: options.startedAt, durationMs: 0 }, explains);

    const counts = { ok: 0, warn: 0, fail: 0, error: 0 };
    let pods = 0;
    const ranked: { result: ServiceResult; size: number }[] = [];
    for (const outcome of this.outcomes.values()) {
      pods += outcome.pods;
      for (const status of Object.keys(counts) as ReportStatus[]) counts[status] += outcome.counts[status];
      for (const problem of outcome.problems) ranked.push(problem);
    }
    ranked.sort(
      (a, b) =>
        STATUS_RANK[a.result.status] - STATUS_RANK[b.result.status] ||
        b.size - a.size ||
        compareText(a.result.namespace, b.result.namespace) ||
        compareText(a.result.name, b.result.name),
    );

    const namespaces = new Set([...objects.namespaces.map((n) => n.name), ...index.servicesByNamespace.keys()].filter(inScope)).size;
    return {
      kind: 'sweep',
      cluster: options.cluster,
      status: worst([clusterReport.status, ...ranked.map((r) => r.result.status)]),
      startedAt: options.startedAt,
      durationMs: Math.max(0, Date.now() - Date.parse(options.startedAt)),
      apiRequests: objects.apiRequests ?? 0,
      counts: { namespaces, services: wanted ? objects.services.filter((s) => inScope(s.namespace)).length : objects.services.length, nodes: objects.nodes.length, pods, ...counts },
      clusterFindings: clusterReport.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
      problems: ranked.map((r) => r.result),
    };
  }

  private begun(): { objects: ObjectFacts; index: ClusterIndex; options: SweepOptions } {
    if (!this.objects || !this.index) throw new Error('ClusterSweep: begin() must come first');
    return { objects: this.objects, index: this.index, options: this.options };
  }
}

/** A sweep over facts gathered all at once (every pod in `objects.pods`). */
export function sweepCluster(objects: ObjectFacts, ctx: SweepOptions & SweepExtras): SweepReport {
  const sweep = new ClusterSweep(ctx);
  sweep.begin(objects);
  for (const [namespace, pods] of groupBy(objects.pods, (p) => p.namespace)) sweep.namespace(namespace, pods);
  return sweep.finish(ctx);
}
