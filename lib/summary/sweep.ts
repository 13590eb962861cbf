// Cluster sweep: every Service checked from one cluster-wide gather. Indexes are built once, and
// each Service gets a Facts view holding only its namespace's share (slices, policies, pods it
// selects), so 10k services cost 10k small check runs rather than 10k scans of 100k pods. Pods
// arrive namespace by namespace and are checked as they come (ClusterSweep), so they need not all
// be held at once.
//
// The API checks alone cannot verify a service: its data plane (probes), its nodes' kernels and
// the cluster components on its path decide what `netcheck svc` says. So no service the sweep
// did not diagnose in full counts as ok: it is "unverified". With probes available, the engine
// diagnoses the flagged services (warnings first) in full, up to a limit (probeFlagged), and
// their results then are exactly the single diagnosis's.

import { checks, explains, runChecks } from '../checks/index.js';
import { withNamespacedPolicies } from '../checks/lib/policy/evaluate.js';
import { mapWithConcurrency } from '../concurrency.js';
import {
  compareText,
  inClusterServiceName,
  isSystemNamespace,
  plural,
  podsSelectedBy,
  reportStatus,
  type DnsProbeFact,
  type EndpointSliceFact,
  type EventsFact,
  type Facts,
  type Finding,
  type NamespaceVisibility,
  type NetworkPolicyFact,
  type NodeAgentFact,
  type PodFact,
  type PolicySystemsFact,
  type Report,
  type ReportStatus,
  type ServiceFact,
  type ServiceResult,
  type SweepReport,
} from '../model/index.js';
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
  /** By namespace, then Service name: looked up for each of 10k Services without building a key string. */
  readonly slicesByService = new Map<string, Map<string, EndpointSliceFact[]>>();
  readonly policiesByNamespace: Map<string, NetworkPolicyFact[]>;
  /** Calico, Cilium and admin policies per namespace: its namespaced ones and every cluster-wide one (compiled once for all). */
  readonly policySystemsByNamespace: Map<string, PolicySystemsFact>;
  readonly clusterPolicySystems: PolicySystemsFact | undefined;
  /** Events about a namespace's pods and Services; a namespace without any shares `noEvents`. */
  private readonly eventsByNamespace = new Map<string, EventsFact>();
  private readonly noEvents: EventsFact | undefined;

  constructor(objects: ObjectFacts) {
    const events = objects.events;
    if (events) {
      // What the reads said of themselves holds for every namespace's share.
      const { items: _all, ...about } = events;
      this.noEvents = { ...about, items: NONE };
      for (const [namespace, items] of groupBy(
        events.items.filter((e) => e.involvedObject.kind !== 'Node'),
        (e) => e.involvedObject.namespace ?? e.namespace,
      ))
        this.eventsByNamespace.set(namespace, { ...about, items });
    }
    this.servicesByNamespace = groupBy(objects.services, (s) => s.namespace);
    this.servicesByName = groupBy(objects.services, (s) => s.name);
    for (const [namespace, slices] of groupBy(objects.endpointSlices, (s) => s.namespace))
      this.slicesByService.set(
        namespace,
        groupBy(slices, (s) => s.serviceName),
      );
    this.policiesByNamespace = groupBy(objects.networkPolicies, (p) => p.namespace);
    const systems = objects.policySystems;
    this.policySystemsByNamespace = new Map();
    this.clusterPolicySystems = systems && {
      ...systems,
      calico: systems.calico.filter((p) => p.namespace === undefined),
      cilium: systems.cilium.filter((p) => p.namespace === undefined),
    };
    if (systems && this.clusterPolicySystems) {
      const cluster = this.clusterPolicySystems;
      const calico = groupBy(
        systems.calico.filter((p) => p.namespace !== undefined),
        (p) => p.namespace as string,
      );
      const cilium = groupBy(
        systems.cilium.filter((p) => p.namespace !== undefined),
        (p) => p.namespace as string,
      );
      for (const namespace of new Set([...calico.keys(), ...cilium.keys()])) {
        this.policySystemsByNamespace.set(namespace, withNamespacedPolicies(cluster, { calico: calico.get(namespace) ?? NONE, cilium: cilium.get(namespace) ?? NONE }));
      }
    }
  }

  /** The events a namespace's service checks read: its pods' and Services' (node events are for the cluster-level checks). */
  eventsIn(namespace: string): EventsFact | undefined {
    return this.eventsByNamespace.get(namespace) ?? this.noEvents;
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
  readonly policySystems: PolicySystemsFact | undefined;
  readonly namespaces: Facts['namespaces'];
  readonly systemDaemonSets: Facts['systemDaemonSets'];
  readonly systemPods: PodFact[] = NONE;
  readonly dns: Facts['dns'];
  readonly probes = NO_PROBES;
  readonly events: EventsFact | undefined;
  readonly nodeAgents: NodeAgentFact[] = NONE;
  readonly accessErrors: Facts['accessErrors'];
  /** The sweep reports only the problems of a Service: its passes and skips are dropped unread. */
  readonly keeps = 'problems';
  /** Endpoints or selected pods, whichever is more: how many backends a problem touches. */
  readonly size: number;

  constructor(
    private readonly service: ServiceFact,
    objects: ObjectFacts,
    private readonly index: ClusterIndex,
    namespacePods: PodFact[],
    options: SweepOptions,
    private readonly servicesRead: (namespace: string) => boolean,
  ) {
    const selected = service.selector ? podsSelectedBy(namespacePods, service.namespace, service.selector) : NONE;
    const slices = index.slicesByService.get(service.namespace)?.get(service.name) ?? NONE;
    let endpoints = 0;
    for (const slice of slices) endpoints += slice.endpoints.length;
    this.size = Math.max(endpoints, selected.length);
    this.target = { kind: 'svc', name: service.name, namespace: service.namespace, cluster: options.cluster };
    this.collectedAt = options.startedAt;
    this.services = index.servicesByNamespace.get(service.namespace) ?? NONE;
    // The namespace's pods, as a single diagnosis lists them: a policy may admit pods no selector
    // of this Service picks, and "selector matches no pods" looks for the nearest labels. Lookups
    // by selector go through a label index of this list (podsSelectedBy), not a scan per Service.
    this.pods = namespacePods;
    this.endpointSlices = slices;
    this.nodes = objects.nodes;
    this.networkPolicies = index.policiesByNamespace.get(service.namespace) ?? NONE;
    this.policySystems = index.policySystemsByNamespace.get(service.namespace) ?? index.clusterPolicySystems;
    this.namespaces = objects.namespaces;
    this.systemDaemonSets = objects.systemDaemonSets;
    this.dns = objects.dns;
    this.events = index.eventsIn(service.namespace);
    // Service checks consult these so an unreadable list is never read as "no endpoints";
    // the finding about the access error itself comes once, from the cluster-level checks.
    this.accessErrors = objects.accessErrors;
  }

  /**
   * An ExternalName's in-cluster target, looked up as a single diagnosis does: from the services
   * the sweep read, but only in a namespace it read them in and the channel may see; elsewhere it
   * stays unknown (never "does not exist", never a hint that it does).
   */
  get referencedServices(): ServiceFact[] | undefined {
    const referenced = this.service.type === 'ExternalName' ? inClusterServiceName(this.service.externalName) : undefined;
    if (!referenced || !this.servicesRead(referenced.namespace)) return undefined;
    return (this.index.servicesByNamespace.get(referenced.namespace) ?? NONE).filter((s) => s.name === referenced.name);
  }

  /**
   * Only "service not found" reads this, and in a sweep every Service is found: computing it on
   * demand spares 10k filters over the ~200 same-named Services of a templated cluster.
   */
  get sameNameElsewhere(): ServiceFact[] {
    return (this.index.servicesByName.get(this.service.name) ?? NONE).filter((s) => s.namespace !== this.service.namespace);
  }
}

/** The worst of these statuses: fail, then warn, then error, else ok. */
export function worst(statuses: Iterable<ReportStatus>): ReportStatus {
  let result: ReportStatus = 'ok';
  for (const s of statuses) if (STATUS_RANK[s] < STATUS_RANK[result]) result = s;
  return result;
}

export interface SweepOptions {
  cluster: string;
  startedAt: string;
  /**
   * How many services the caller will diagnose in full after finish() (probeFlagged); 0 or
   * absent when it cannot probe. The sweep keeps that many API-healthy candidates for it.
   */
  probeLimit?: number;
  /** Why services are not probed, when the caller cannot probe at all (e.g. "probes disabled with --no-probes"). */
  unprobedReason?: string;
  /**
   * Only these namespaces' services are checked and reported (the channel's scope). The
   * cluster-level checks still read everything: they concern nodes and system components.
   */
  visible?: NamespaceVisibility;
  /** Only these namespaces' services are checked and counted (`netcheck cluster -n shop,web`). */
  namespaces?: readonly string[];
}

/** A service to diagnose in full. */
export interface ServiceKey {
  namespace: string;
  name: string;
}

const API_ONLY = 'the sweep read the API only: its data plane was not probed';

/** What the cluster-level checks need beyond the API objects, known only once the gather is done. */
export interface SweepExtras {
  nodeAgents: NodeAgentFact[];
  /** Cluster-level DNS probes (kubernetes.default, …); the sweep itself probes nothing. */
  dnsProbes?: DnsProbeFact[];
}

type SweepCounts = Record<ReportStatus | 'unverified', number>;

interface NamespaceOutcome {
  pods: number;
  counts: SweepCounts;
  problems: { result: ServiceResult; size: number }[];
  /** The largest API-healthy services, at most probeLimit: candidates for a full diagnosis. */
  healthy: { key: ServiceKey; size: number }[];
}

const bySizeThenName = (a: { key: ServiceKey; size: number }, b: { key: ServiceKey; size: number }): number =>
  b.size - a.size || compareText(a.key.namespace, b.key.namespace) || compareText(a.key.name, b.key.name);

/** Keeps the `limit` largest in `list` (sorted, largest first) without sorting every service. */
function keepLargest(list: { key: ServiceKey; size: number }[], item: { key: ServiceKey; size: number }, limit: number): void {
  if (limit <= 0) return;
  if (list.length >= limit && bySizeThenName(item, list[list.length - 1]!) >= 0) return;
  let at = list.length;
  while (at > 0 && bySizeThenName(item, list[at - 1]!) < 0) at--;
  list.splice(at, 0, item);
  if (list.length > limit) list.pop();
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
    this.clusterEvents = objects.events;
    const { visible, namespaces: wanted } = this.options;
    if (visible || wanted) {
      const labels = new Map(objects.namespaces.map((n) => [n.name, n.labels]));
      const sees = (namespace: string) => (!wanted || wanted.includes(namespace)) && (!visible || visible(namespace, labels.get(namespace)));
      this.hidden = (namespace) => !sees(namespace);
      // Another namespace's events say what its pods are called and what fails there: not for this channel.
      const events = objects.events && {
        ...objects.events,
        items: objects.events.items.filter((e) => {
          if (e.involvedObject.kind === 'Node') return true;
          const namespace = e.involvedObject.namespace ?? e.namespace;
          return isSystemNamespace(namespace) || sees(namespace);
        }),
      };
      this.clusterEvents = events;
      this.index = new ClusterIndex({ ...objects, services: objects.services.filter((s) => sees(s.namespace)), ...(events ? { events } : {}) });
      this.shownNamespaces = objects.namespaces.filter((n) => sees(n.name)).length;
    } else {
      this.index = new ClusterIndex(objects);
    }
  }

  /** The events the cluster-level checks see: all of them, or those of the namespaces in scope and the nodes'. */
  private clusterEvents: EventsFact | undefined;

  /** Namespaces whose Services the sweep read and the channel may see. */
  private readonly servicesRead = (namespace: string): boolean => {
    const scope = this.objects?.readScope;
    return !this.hidden(namespace) && (!scope || scope.namespaces.includes(namespace));
  };

  /** A namespace outside the channel's scope: its pods are passed over and it is never reported. */
  private hidden: (namespace: string) => boolean = () => false;
  private shownNamespaces: number | undefined;

  /** Checks every Service of the namespace against these pods; a namespace handed over again replaces its outcome. */
  namespace(namespace: string, pods: PodFact[]): void {
    const { objects, index, options } = this.begun();
    if (this.hidden(namespace)) return;
    const outcome: NamespaceOutcome = { pods: pods.length, counts: { ok: 0, unverified: 0, warn: 0, fail: 0, error: 0 }, problems: [], healthy: [] };
    const unverifiedReason = this.unprobedReason();
    this.outcomes.set(namespace, outcome);
    const services = index.servicesByNamespace.get(namespace);
    if (!services) return;
    for (const service of services) {
      const facts = new ServiceView(service, objects, index, pods, options, this.servicesRead);
      const findings = runChecks(facts, { codes: SERVICE_CODES });
      // Most services are fine: the verdict's causal ordering is only worth building for the rest.
      const status = reportStatus(findings);
      if (status === 'ok') {
        // Passing the API checks is not ok: the data plane may still refuse or drop.
        outcome.counts.unverified++;
        if (options.probeLimit) keepLargest(outcome.healthy, { key: { namespace: service.namespace, name: service.name }, size: facts.size }, options.probeLimit);
        continue;
      }
      outcome.counts[status]++;
      const report = buildReport(facts, findings, { startedAt: options.startedAt, durationMs: 0 }, explains);
      outcome.problems.push({
        size: facts.size,
        result: {
          namespace: service.namespace,
          name: service.name,
          status: report.status,
          rootCause: report.rootCause,
          findings: report.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
          verified: false,
          unverifiedReason,
        },
      });
    }
  }

  private unprobedReason(): string {
    return this.options.unprobedReason ?? API_ONLY;
  }

  /**
   * The services to diagnose in full, in order, at most probeLimit: warnings first (a probe turns
   * them into facts), then the largest API-healthy services, then failures (whose root cause may
   * lie on a node or in DNS), then errors.
   */
  toProbe(sweep: SweepReport): ServiceKey[] {
    const limit = this.options.probeLimit ?? 0;
    if (limit <= 0) return [];
    const key = (r: ServiceResult): ServiceKey => ({ namespace: r.namespace, name: r.name });
    const healthy = [...this.outcomes.values()].flatMap((o) => o.healthy).sort(bySizeThenName);
    const ofStatus = (status: ReportStatus) => sweep.problems.filter((p) => p.status === status && !p.verified).map(key);
    return [...ofStatus('warn'), ...healthy.map((h) => h.key), ...ofStatus('fail'), ...ofStatus('error')].slice(0, limit);
  }

  /**
   * The report: services of namespaces never handed over (no pods, or a pod list that failed) are
   * checked with none, then the cluster-level checks run once over everything.
   */
  finish(extras: SweepExtras): SweepReport {
    const { objects, index, options } = this.begun();
    for (const namespace of index.servicesByNamespace.keys()) if (!this.outcomes.has(namespace)) this.namespace(namespace, []);

    const clusterFacts: Facts = {
      ...objects,
      ...(this.clusterEvents ? { events: this.clusterEvents } : {}),
      target: { kind: 'cluster', cluster: options.cluster },
      collectedAt: options.startedAt,
      probes: extras.dnsProbes?.length
        ? { enabled: true, tcp: [], dns: extras.dnsProbes }
        : { enabled: false, skipReason: 'the cluster sweep reads the API only', tcp: [], dns: [] },
      nodeAgents: extras.nodeAgents,
    };
    const clusterReport = buildReport(clusterFacts, runChecks(clusterFacts, { codes: CLUSTER_CODES }), { startedAt: options.startedAt, durationMs: 0 }, explains);

    const counts: SweepCounts = { ok: 0, unverified: 0, warn: 0, fail: 0, error: 0 };
    let pods = 0;
    const ranked: { result: ServiceResult; size: number }[] = [];
    for (const outcome of this.outcomes.values()) {
      pods += outcome.pods;
      for (const status of Object.keys(counts) as (keyof SweepCounts)[]) counts[status] += outcome.counts[status];
      for (const problem of outcome.problems) ranked.push(problem);
    }
    ranked.sort(
      (a, b) =>
        STATUS_RANK[a.result.status] - STATUS_RANK[b.result.status] ||
        b.size - a.size ||
        compareText(a.result.namespace, b.result.namespace) ||
        compareText(a.result.name, b.result.name),
    );

    const namespaces = this.shownNamespaces ?? new Set([...objects.namespaces.map((n) => n.name), ...index.servicesByNamespace.keys()]).size;
    const services = this.shownNamespaces === undefined ? objects.services.length : [...index.servicesByNamespace.values()].reduce((n, list) => n + list.length, 0);
    return {
      kind: 'sweep',
      cluster: options.cluster,
      status: worst([clusterReport.status, ...ranked.map((r) => r.result.status)]),
      startedAt: options.startedAt,
      durationMs: Math.max(0, Date.now() - Date.parse(options.startedAt)),
      apiRequests: objects.apiRequests ?? 0,
      counts: { namespaces, services, nodes: objects.nodes.length, pods, ...counts },
      clusterFindings: clusterReport.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
      problems: ranked.map((r) => r.result),
      verification: { probed: 0, limit: options.probeLimit ?? 0, reason: this.unprobedReason() },
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

/** A full diagnosis of one flagged service, or why it could not be made. */
export type DiagnosisOutcome = { service: ServiceKey; report: Report } | { service: ServiceKey; error: string };

/** A service's sweep entry from its full diagnosis: the same status, root cause and subjects. */
export function serviceResultOf(report: Report): ServiceResult {
  const target = report.target;
  if (target.kind !== 'svc') throw new Error(`a sweep holds services, not ${target.kind} diagnoses`);
  return {
    namespace: target.namespace,
    name: target.name,
    status: report.status,
    rootCause: report.rootCause,
    findings: report.findings.filter((f) => PROBLEM_STATUSES.has(f.status)),
    verified: true,
  };
}

/**
 * The sweep with the flagged services' full diagnoses in place of their API-only results: counts
 * move between buckets, healthy ones leave the problem list, and services that were not probed
 * say why. Pure; `limit` is how many the caller was allowed to probe.
 */
export function applyDiagnoses(sweep: SweepReport, outcomes: readonly DiagnosisOutcome[], limit: number): SweepReport {
  const counts = { ...sweep.counts };
  const key = (s: ServiceKey) => `${s.namespace}/${s.name}`;
  const problems = new Map(sweep.problems.map((p) => [key(p), p]));
  let probed = 0;
  let apiRequests = sweep.apiRequests;
  const failed = new Map<string, string>();
  for (const outcome of outcomes) {
    const id = key(outcome.service);
    if ('error' in outcome) {
      failed.set(id, `its diagnosis failed: ${outcome.error}`);
      continue;
    }
    probed++;
    apiRequests += outcome.report.apiRequests ?? 0;
    const before = problems.get(id);
    counts[before ? before.status : 'unverified']--;
    const result = serviceResultOf(outcome.report);
    if (result.status === 'ok') {
      counts.ok++;
      problems.delete(id);
    } else {
      counts[result.status]++;
      problems.set(id, result);
    }
  }
  // Whatever was not in `outcomes` lay beyond the limit (or the caller could not probe at all).
  const unprobed =
    limit > 0
      ? `not among the ${plural(limit, 'service')} this sweep probes (warnings first); netcheck svc <name> -n <namespace> diagnoses it in full`
      : (sweep.verification.reason ?? API_ONLY);
  // Fewer outcomes than the limit: every flagged service was tried, so only failed ones are left.
  const firstFailure = failed.values().next();
  const sweepReason = limit > 0 && outcomes.length < limit && !firstFailure.done ? `${failed.size} of the diagnoses failed (${firstFailure.value})` : unprobed;
  const ranked = [...problems.values()]
    .map((p) => (p.verified ? p : { ...p, unverifiedReason: failed.get(key(p)) ?? unprobed }))
    // Stable: within a status the sweep's order (bigger services first) holds.
    .sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]);
  const anyUnverified = counts.unverified > 0 || ranked.some((p) => !p.verified);
  return {
    ...sweep,
    status: worst([reportStatus(sweep.clusterFindings), ...ranked.map((p) => p.status)]),
    apiRequests,
    counts,
    problems: ranked,
    verification: { probed: sweep.verification.probed + probed, limit, ...(anyUnverified ? { reason: sweepReason } : {}) },
  };
}

export interface ProbeFlaggedOptions {
  /** At most this many services are diagnosed in full. */
  limit: number;
  /** Diagnoses in flight at once (each runs its own probes concurrently). */
  concurrency: number;
  /** The single diagnosis of one service: `netcheck svc`'s own engine path. */
  diagnose: (service: ServiceKey) => Promise<Report>;
}

/** Diagnoses the sweep's flagged services in full (bounded), so their warnings become facts. */
export async function probeFlagged(sweeper: ClusterSweep, sweep: SweepReport, opts: ProbeFlaggedOptions): Promise<SweepReport> {
  const flagged = sweeper.toProbe(sweep).slice(0, opts.limit);
  const outcomes = await mapWithConcurrency(flagged, opts.concurrency, async (service): Promise<DiagnosisOutcome> => {
    try {
      return { service, report: await opts.diagnose(service) };
    } catch (error) {
      return { service, error: error instanceof Error ? error.message : String(error) };
    }
  });
  return applyDiagnoses(sweep, outcomes, opts.limit);
}
