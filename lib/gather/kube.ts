// Kubernetes API gatherer: bulk, paginated, parallel list calls → slim facts. The number of
// requests for a svc/node/dns job depends on list pages only, never on one GET per object, and a
// list we may not read becomes an AccessErrorFact while everything else is still gathered.

import { isIP } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  endpointsToSliceFacts,
  toDaemonSetFact,
  toEndpointSliceFact,
  toNamespaceFact,
  toNetworkPolicyFact,
  toNodeFact,
  toPodFact,
  toServiceFact,
  type RawObject,
} from '../kube/convert.js';
import { createKubeReader, KubeApiError, type KubeReader } from '../kube/reader.js';
import { emptyObjectFacts, type ObjectFacts } from './types.js';
import { eventReadsFor, gatherEvents, SWEEP_EVENT_PAGES, sweepEventReads } from './events.js';
import { gatherPolicySystems } from './policies.js';
import {
  assertValidTarget,
  inClusterServiceName,
  CLUSTER_DNS,
  isDnsLabel,
  isSystemDaemonSet,
  isSystemNamespace,
  looksLikeCoreDns,
  SYSTEM_NAMESPACES,
  type AccessErrorFact,
  type CorefileFact,
  type DaemonSetFact,
  type EndpointSliceFact,
  type NamespaceFact,
  type PodFact,
  type ReadScope,
  scopeNamespaces,
  type ServiceFact,
  type Target,
} from '../model/index.js';

export interface GatherObjectsOptions {
  /** Items per list page (default 500, like kubectl). */
  pageSize?: number;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /**
   * Namespace the probes start from (the worker's). Its NetworkPolicies are read too, so egress
   * rules on the probing pod are evaluated, not only ingress rules on the target's pods.
   */
  probeNamespace?: string;
  /**
   * This machine's addresses, when the probe source is not named: the pod that owns one of them
   * (by `status.podIP`) is the source, with its labels and node.
   */
  sourceAddresses?: readonly string[];
  /**
   * Namespaced mode: read only these namespaces (and the probe namespace), never list anything
   * cluster-wide but nodes, and get the namespaces by name. Absent: cluster-wide lists.
   */
  readScope?: ReadScope;
}

/** At most this many of this machine's addresses are looked up as pod IPs (a laptop has many). */
const MAX_SOURCE_ADDRESSES = 4;

const DNS_NAMESPACE = CLUSTER_DNS.namespace;
const DNS_SERVICE_NAME = CLUSTER_DNS.serviceName;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ListSpec {
  resource: string;
  group?: string;
  version?: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

function resourcePath(spec: ListSpec, name?: string): string {
  const prefix = spec.group ? `/apis/${spec.group}/${spec.version ?? 'v1'}` : '/api/v1';
  const scope = spec.namespace ? `/namespaces/${encodeURIComponent(spec.namespace)}` : '';
  return `${prefix}${scope}/${spec.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

const SERVICES: ListSpec = { resource: 'services' };
const PODS: ListSpec = { resource: 'pods' };
const SLICES: ListSpec = { resource: 'endpointslices', group: 'discovery.k8s.io' };
const ENDPOINTS: ListSpec = { resource: 'endpoints' };
const NODES: ListSpec = { resource: 'nodes' };
const POLICIES: ListSpec = { resource: 'networkpolicies', group: 'networking.k8s.io' };
const NAMESPACES: ListSpec = { resource: 'namespaces' };
const DAEMONSETS: ListSpec = { resource: 'daemonsets', group: 'apps' };

export class Gatherer {
  readonly accessErrors: AccessErrorFact[] = [];
  constructor(readonly reader: KubeReader) {}

  private record(verb: 'get' | 'list', spec: ListSpec, e: unknown): void {
    const status = e instanceof KubeApiError ? e.status : 0;
    this.accessErrors.push({
      verb,
      resource: spec.resource,
      ...(spec.group ? { group: spec.group } : {}),
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      status,
      message: (e as Error).message,
    });
  }

  /** Every page of a list, converted as it arrives. Failure → access error; resolves false. */
  async list<T>(spec: ListSpec, convert: (o: RawObject) => T, out: { push(item: T): unknown }): Promise<boolean> {
    const query: Record<string, string> = {};
    if (spec.labelSelector) query.labelSelector = spec.labelSelector;
    if (spec.fieldSelector) query.fieldSelector = spec.fieldSelector;
    try {
      await this.reader.listAll<RawObject>(resourcePath(spec), query, (items) => {
        // Each raw object is dropped as soon as it is converted: the conversion allocates, and
        // every young-generation collection meanwhile would copy whatever is left of the page.
        // A cluster sweep converts 100k pods this way; letting go early cuts its GC time.
        for (let i = 0; i < items.length; i++) {
          const item = items[i] as RawObject;
          items[i] = undefined as unknown as RawObject;
          out.push(convert(item));
        }
      });
      return true;
    } catch (e) {
      this.record('list', spec, e);
      return false;
    }
  }

  /** One object by name; 404 is data (undefined), other failures become access errors. */
  async get(spec: ListSpec, name: string): Promise<RawObject | undefined> {
    try {
      return await this.reader.get<RawObject>(resourcePath(spec, name));
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) this.record('get', spec, e);
      return undefined;
    }
  }

  /**
   * EndpointSlices of one Service (or of every Service when `service` is absent); when the
   * slices API is missing (404) or forbidden, the legacy Endpoints converted to slices (source
   * "endpoints"). The slices error is only reported when the fallback fails too: with the
   * fallback's data in hand nothing the checks need is missing.
   */
  async slices(scope: { namespace?: string; service?: string }, out: EndpointSliceFact[]): Promise<void> {
    const { namespace, service } = scope;
    const sliceSpec: ListSpec = { ...SLICES, ...(namespace ? { namespace } : {}), ...(service ? { labelSelector: `${SERVICE_NAME_LABEL}=${service}` } : {}) };
    const attempt = new Gatherer(this.reader);
    const found: EndpointSliceFact[] = [];
    if (await attempt.list(sliceSpec, toEndpointSliceFact, found)) {
      // A loop, not push(...found): a cluster-wide list can exceed the engine's argument limit.
      for (const slice of found) out.push(slice);
      return;
    }
    const fallback = new Gatherer(this.reader);
    const converted: EndpointSliceFact[][] = [];
    const endpointsSpec: ListSpec = { ...ENDPOINTS, ...(namespace ? { namespace } : {}) };
    if (service) {
      const endpoints = await fallback.get(endpointsSpec, service);
      if (endpoints) converted.push(endpointsToSliceFacts(endpoints));
    } else {
      await fallback.list(endpointsSpec, endpointsToSliceFacts, converted);
    }
    if (fallback.accessErrors.length) {
      this.accessErrors.push(...attempt.accessErrors, ...fallback.accessErrors);
      return;
    }
    for (const slice of converted.flat()) out.push(slice);
  }
}

function podsOfSystemComponents(pods: PodFact[], daemonSets: DaemonSetFact[]): PodFact[] {
  return pods.filter(
    (p) =>
      looksLikeCoreDns(p) ||
      daemonSets.some((ds) => ds.namespace === p.namespace && Object.keys(ds.selector).length > 0 && Object.entries(ds.selector).every(([k, v]) => p.labels[k] === v)),
  );
}

/** System DaemonSets and their pods, from the system namespaces only (bounded by node count, not app pods). */
async function gatherSystem(g: Gatherer, facts: ObjectFacts, scope: ReadScope | undefined): Promise<void> {
  const daemonSets: DaemonSetFact[] = [];
  const pods: PodFact[] = [];
  await Promise.all(
    (scope?.systemNamespaces ?? SYSTEM_NAMESPACES).flatMap((namespace) => [
      g.list({ ...DAEMONSETS, namespace }, toDaemonSetFact, daemonSets),
      g.list({ ...PODS, namespace }, toPodFact, pods),
    ]),
  );
  facts.systemDaemonSets = daemonSets.filter(isSystemDaemonSet);
  facts.systemPods = podsOfSystemComponents(pods, facts.systemDaemonSets);
}

async function gatherDns(g: Gatherer, facts: ObjectFacts, withCorefile = false): Promise<void> {
  const slices: EndpointSliceFact[] = [];
  const [service, corefile] = await Promise.all([
    g.get({ ...SERVICES, namespace: DNS_NAMESPACE }, DNS_SERVICE_NAME),
    withCorefile ? readCorefile(g.reader) : undefined,
    g.slices({ namespace: DNS_NAMESPACE, service: DNS_SERVICE_NAME }, slices),
  ]);
  facts.dns = { ...(service ? { service: toServiceFact(service) } : {}), endpointSlices: slices, ...(corefile ? { corefile } : {}) };
}

const COREFILE_CONFIGMAP = 'coredns';

/**
 * CoreDNS's Corefile, from the one ConfigMap the chart lets the worker get by name. A refusal is
 * not an api-access-denied finding (whose fix would grant every ConfigMap): the check reading it
 * says "unknown, because …" and names the chart's rule instead. 404: not CoreDNS, or renamed.
 */
async function readCorefile(reader: KubeReader): Promise<CorefileFact> {
  try {
    const configMap = await reader.get<RawObject>(resourcePath({ resource: 'configmaps', namespace: DNS_NAMESPACE }, COREFILE_CONFIGMAP));
    const text = configMap.data?.Corefile;
    return typeof text === 'string' ? { text } : {};
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return {};
    const status = e instanceof KubeApiError ? e.status : 0;
    return { unknown: `unknown, because reading ConfigMap ${DNS_NAMESPACE}/${COREFILE_CONFIGMAP} failed (${status === 0 ? 'no answer' : status}: ${(e as Error).message})` };
  }
}

/**
 * The namespaces' labels: listed cluster-wide, or in namespaced mode (which may not list
 * namespaces) got one by one by name; a 404 is a namespace that does not exist.
 */
async function gatherNamespaces(g: Gatherer, scope: ReadScope | undefined, names: readonly string[], out: NamespaceFact[], listSpec: ListSpec = NAMESPACES): Promise<void> {
  if (!scope) {
    await g.list(listSpec, toNamespaceFact, out);
    return;
  }
  const found = await Promise.all([...new Set(names)].map((name) => g.get(NAMESPACES, name)));
  for (const namespace of found) if (namespace) out.push(toNamespaceFact(namespace));
}

/** Services named `name` outside `namespace`: one cluster-wide list, or one per namespace of the scope. */
async function gatherSameName(g: Gatherer, scope: ReadScope | undefined, namespace: string, name: string, out: ServiceFact[]): Promise<void> {
  const fieldSelector = `metadata.name=${name}`;
  if (!scope) {
    await g.list({ ...SERVICES, fieldSelector }, toServiceFact, out);
    return;
  }
  await Promise.all(scope.namespaces.filter((n) => n !== namespace).map((n) => g.list({ ...SERVICES, namespace: n, fieldSelector }, toServiceFact, out)));
}

/**
 * Read what the checks need for `target` from the Kubernetes API behind `kc`.
 * Throws only for an invalid target (names are validated before any request); API failures
 * become `accessErrors`, a missing namespace/service/node is simply absent from the facts.
 */
export async function gatherObjects(kc: KubeConfig, target: Target, opts: GatherObjectsOptions = {}): Promise<ObjectFacts> {
  assertValidTarget(target);
  const reader = createKubeReader(kc, opts);
  const g = new Gatherer(reader);
  const facts = emptyObjectFacts();
  // Alongside the lists, not after them: the events are evidence, never an input the lists wait on.
  const scope = opts.readScope;
  if (scope) facts.readScope = scope;
  const eventReads = eventReadsFor(target, scope);
  const events = eventReads.length ? gatherEvents(reader, eventReads) : undefined;

  switch (target.kind) {
    case 'svc': {
      const { namespace, name } = target;
      const sourceNamespace = target.from?.namespace ?? opts.probeNamespace;
      const elsewhere: ServiceFact[] = [];
      await Promise.all([
        g.list({ ...SERVICES, namespace }, toServiceFact, facts.services),
        gatherSameName(g, scope, namespace, name, elsewhere),
        g.list({ ...PODS, namespace }, toPodFact, facts.pods),
        g.slices({ namespace, service: name }, facts.endpointSlices),
        g.list(NODES, toNodeFact, facts.nodes),
        g.list({ ...POLICIES, namespace }, toNetworkPolicyFact, facts.networkPolicies),
        // The client's namespace: its pods (a --from source) and its egress policies.
        ...(sourceNamespace && sourceNamespace !== namespace && isDnsLabel(sourceNamespace)
          ? [
              g.list({ ...POLICIES, namespace: sourceNamespace }, toNetworkPolicyFact, facts.networkPolicies),
              ...(target.from ? [g.list({ ...PODS, namespace: sourceNamespace }, toPodFact, facts.pods)] : []),
            ]
          : []),
        gatherNamespaces(g, scope, [namespace, ...(sourceNamespace && isDnsLabel(sourceNamespace) ? [sourceNamespace] : [])], facts.namespaces),
        gatherSystem(g, facts, scope),
        gatherDns(g, facts, true),
        // Calico, Cilium and admin policies of the target's and the client's namespaces, and the cluster-wide ones.
        gatherPolicySystems(g, {
          namespaces: [...new Set([namespace, ...(sourceNamespace && isDnsLabel(sourceNamespace) ? [sourceNamespace] : [])])],
          namespacedOnly: scope !== undefined,
        }).then((p) => {
          facts.policySystems = p;
        }),
      ]);
      facts.sameNameElsewhere = elsewhere.filter((s) => s.namespace !== namespace);
      // An ExternalName that names an in-cluster Service is checked against the API, probes or not.
      const service = facts.services.find((s) => s.name === name && s.namespace === namespace);
      const referenced = service?.type === 'ExternalName' ? inClusterServiceName(service.externalName) : undefined;
      // Outside the scope it stays "not looked up": the check then resolves the name instead.
      if (referenced && (!scope || scope.namespaces.includes(referenced.namespace))) {
        const found: ServiceFact[] = [];
        if (await g.list({ ...SERVICES, namespace: referenced.namespace, fieldSelector: `metadata.name=${referenced.name}` }, toServiceFact, found))
          facts.referencedServices = found;
      }
      break;
    }
    case 'node': {
      const { name } = target;
      await Promise.all([
        // Every node, not only this one: its routes are judged against the other nodes' pod CIDRs.
        g.list(NODES, toNodeFact, facts.nodes),
        ...(scope
          ? scopeNamespaces(scope).map((namespace) => g.list({ ...PODS, namespace, fieldSelector: `spec.nodeName=${name}` }, toPodFact, facts.pods))
          : [g.list({ ...PODS, fieldSelector: `spec.nodeName=${name}` }, toPodFact, facts.pods)]),
        gatherSystem(g, facts, scope),
        // kube-proxy's rules on the node are compared for the one Service every pod uses.
        gatherDns(g, facts),
      ]);
      break;
    }
    case 'dns': {
      const { namespace } = target;
      await Promise.all([
        // The --from client's pods, wherever it lives.
        ...(target.from ? [g.list({ ...PODS, namespace: target.from.namespace }, toPodFact, facts.pods)] : []),
        gatherNamespaces(g, scope, [namespace], facts.namespaces, { ...NAMESPACES, fieldSelector: `metadata.name=${namespace}` }),
        g.list({ ...SERVICES, namespace }, toServiceFact, facts.services),
        g.list(NODES, toNodeFact, facts.nodes),
        // Egress policies in the namespace and ingress policies around CoreDNS both can block DNS.
        g.list({ ...POLICIES, namespace }, toNetworkPolicyFact, facts.networkPolicies),
        ...(namespace === DNS_NAMESPACE ? [] : [g.list({ ...POLICIES, namespace: DNS_NAMESPACE }, toNetworkPolicyFact, facts.networkPolicies)]),
        gatherSystem(g, facts, scope),
        gatherDns(g, facts, true),
        gatherPolicySystems(g, { namespaces: [...new Set([namespace, DNS_NAMESPACE])], namespacedOnly: scope !== undefined }).then((p) => {
          facts.policySystems = p;
        }),
      ]);
      break;
    }
    case 'cluster':
      await gatherCluster(g, facts, NO_SINK, () => true, scope);
      break;
  }
  // Namespaced mode looks for this machine's pod only where the worker runs (it may list pods nowhere else).
  if (target.kind === 'svc' || target.kind === 'dns') {
    const sourceAddresses = target.from || (scope && !opts.probeNamespace) ? [] : (opts.sourceAddresses ?? []);
    await gatherSourcePods(g, facts, sourceAddresses, scope ? opts.probeNamespace : undefined);
  }
  if (events) {
    const read = await events;
    facts.events = read.events;
    if (read.accessError) g.accessErrors.push(read.accessError);
  }
  facts.accessErrors = g.accessErrors;
  facts.apiRequests = reader.requests;
  return facts;
}

/** `inNamespace`: namespaced mode looks for this machine's pod only where the worker runs. */
async function gatherSourcePods(g: Gatherer, facts: ObjectFacts, addresses: readonly string[], inNamespace?: string): Promise<void> {
  const wanted = addresses.filter((a) => isIP(a) === 4 || isIP(a) === 6).slice(0, MAX_SOURCE_ADDRESSES);
  if (wanted.length === 0) return;
  const found: PodFact[] = [];
  // A lookup that fails leaves the source unplaced; it is not an access error the checks care about.
  const lookup = new Gatherer(g.reader);
  await Promise.all(wanted.map((ip) => lookup.list({ ...PODS, ...(inNamespace ? { namespace: inNamespace } : {}), fieldSelector: `status.podIP=${ip}` }, toPodFact, found)));
  const known = new Set(facts.pods.map((p) => `${p.namespace}/${p.name}`));
  for (const pod of found) if (!pod.hostNetwork && !known.has(`${pod.namespace}/${pod.name}`)) facts.pods.push(pod);
}

/**
 * Takes a cluster gather's pods one namespace at a time, so a sweep can check a namespace and let
 * its pods go instead of holding every pod of a large cluster at once.
 */
export interface NamespaceSink {
  /** Every list but the pods is in: services, slices, nodes, policies, namespaces, DaemonSets, the network events. */
  begin(objects: ObjectFacts): void;
  /**
   * Every pod of `namespace`, after begin(). Called once per namespace that has pods, in list order;
   * called again with the complete list if the API server's order made a re-list necessary.
   */
  namespace(namespace: string, pods: PodFact[]): void;
}

/**
 * Splits the cluster-wide pod list into namespaces as its pages arrive. The API server lists in
 * storage-key order, which keeps each namespace's pods together, so a namespace is complete once
 * the list moves on to another. Nothing documents that order, though: a pod of a namespace that
 * was already closed marks that namespace for a re-list of its own, so the result never depends
 * on it.
 */
class PodsByNamespace {
  private current: { namespace: string; pods: PodFact[] } | undefined;
  private readonly closed = new Set<string>();
  /** Namespaces to re-list, with the pods that arrived after they closed. */
  readonly strays = new Map<string, PodFact[]>();

  constructor(private readonly handOver: (namespace: string, pods: PodFact[]) => void) {}

  push(pod: PodFact): void {
    const stray = this.strays.get(pod.namespace);
    if (stray) {
      stray.push(pod);
      return;
    }
    if (this.current?.namespace !== pod.namespace) {
      if (this.closed.has(pod.namespace)) {
        this.strays.set(pod.namespace, [pod]);
        return;
      }
      this.close();
      this.current = { namespace: pod.namespace, pods: [] };
    }
    this.current!.pods.push(pod);
  }

  /** The list ended (or failed): whatever the current namespace holds is all it will get. */
  close(): void {
    if (!this.current) return;
    const { namespace, pods } = this.current;
    this.closed.add(namespace);
    this.current = undefined;
    this.handOver(namespace, pods);
  }
}

/** The sweep's bounded event reads (one per reason that a check decides on). */
async function gatherSweepEvents(g: Gatherer, facts: ObjectFacts, scope?: ReadScope): Promise<void> {
  const read = await gatherEvents(g.reader, sweepEventReads(scope), SWEEP_EVENT_PAGES);
  facts.events = read.events;
  if (read.accessError) g.accessErrors.push(read.accessError);
}

/**
 * Everything, cluster-wide, one paginated list per resource. The pods come last and go to `sink`
 * namespace by namespace while their list is still arriving; `facts.pods` keeps only the
 * namespaces `keepPods` asks for (a sweep keeps the system namespaces, which the cluster-level
 * checks read). The system and DNS facts are cut from the lists.
 *
 * Pods are listed after the other lists, not alongside them: for a large cluster the lists are
 * bound by our CPU (parsing), so running them together gains nothing, while pods that arrived
 * before the services and slices would have to be held, which made garbage collection the
 * sweep's largest cost. Against a slow API server this costs the other lists' round trips once.
 */
async function gatherCluster(g: Gatherer, facts: ObjectFacts, sink: NamespaceSink, keepPods: (namespace: string) => boolean, scope?: ReadScope): Promise<void> {
  if (scope) return gatherScopedCluster(g, facts, sink, keepPods, scope);
  const daemonSets: DaemonSetFact[] = [];
  const kept = new Map<string, PodFact[]>();
  const handOver = (namespace: string, pods: PodFact[]) => {
    if (keepPods(namespace)) kept.set(namespace, pods);
    sink.namespace(namespace, pods);
  };
  await Promise.all([
    g.list(SERVICES, toServiceFact, facts.services),
    g.slices({}, facts.endpointSlices),
    g.list(NODES, toNodeFact, facts.nodes),
    g.list(POLICIES, toNetworkPolicyFact, facts.networkPolicies),
    g.list(NAMESPACES, toNamespaceFact, facts.namespaces),
    g.list(DAEMONSETS, toDaemonSetFact, daemonSets),
    gatherPolicySystems(g, {}).then((p) => {
      facts.policySystems = p;
    }),
    gatherSweepEvents(g, facts),
  ]);
  Object.assign(facts, deriveClusterFacts(facts, daemonSets));
  sink.begin(facts);
  const podsByNamespace = new PodsByNamespace(handOver);
  await g.list(PODS, toPodFact, podsByNamespace);
  podsByNamespace.close();
  for (const [namespace, strays] of podsByNamespace.strays) {
    const pods: PodFact[] = [];
    // A failed re-list is recorded as an access error for the namespace: its checks say "unknown".
    handOver(namespace, (await g.list({ ...PODS, namespace }, toPodFact, pods)) ? pods : strays);
  }
  facts.pods = [...kept.values()].flat();
  // The other derived facts were set before begin(); only the system pods had still to arrive.
  facts.systemPods = systemPodsOf(facts.pods, facts.systemDaemonSets);
}

/**
 * A sweep in namespaced mode: the same facts, read per namespace of the scope (tenants, then the
 * system namespaces), the cluster DNS Service and slices by name. Each namespace's pod list is
 * complete on its own, so it goes to `sink` when it ends.
 */
async function gatherScopedCluster(g: Gatherer, facts: ObjectFacts, sink: NamespaceSink, keepPods: (namespace: string) => boolean, scope: ReadScope): Promise<void> {
  const daemonSets: DaemonSetFact[] = [];
  const tenants = scope.namespaces;
  await Promise.all([
    ...tenants.flatMap((namespace) => [
      g.list({ ...SERVICES, namespace }, toServiceFact, facts.services),
      g.slices({ namespace }, facts.endpointSlices),
      g.list({ ...POLICIES, namespace }, toNetworkPolicyFact, facts.networkPolicies),
    ]),
    g.list(NODES, toNodeFact, facts.nodes),
    gatherNamespaces(g, scope, scopeNamespaces(scope), facts.namespaces),
    ...scope.systemNamespaces.map((namespace) => g.list({ ...DAEMONSETS, namespace }, toDaemonSetFact, daemonSets)),
    gatherDns(g, facts),
    gatherPolicySystems(g, { namespaces: tenants, namespacedOnly: true }).then((p) => {
      facts.policySystems = p;
    }),
    gatherSweepEvents(g, facts, scope),
  ]);
  const dns = facts.dns;
  Object.assign(facts, deriveClusterFacts(facts, daemonSets));
  // The DNS Service is no tenant's: it was read by name, not with the services.
  if (dns) facts.dns = dns;
  sink.begin(facts);
  const kept: PodFact[] = [];
  for (const namespace of scopeNamespaces(scope)) {
    const pods: PodFact[] = [];
    await g.list({ ...PODS, namespace }, toPodFact, pods);
    if (keepPods(namespace)) for (const pod of pods) kept.push(pod);
    if (pods.length) sink.namespace(namespace, pods);
  }
  facts.pods = kept;
  facts.systemPods = systemPodsOf(facts.pods, facts.systemDaemonSets);
}

/** A sink that takes nothing: a gather that keeps every pod itself (and the sweep benchmark's gather alone). */
export const NO_SINK: NamespaceSink = { begin() {}, namespace() {} };

/**
 * A cluster sweep's gather: as `gatherObjects` for a cluster target, but each namespace's pods go
 * to `sink` as soon as they are complete and only the system namespaces' pods are kept.
 */
export async function gatherClusterByNamespace(kc: KubeConfig, sink: NamespaceSink, opts: GatherObjectsOptions = {}): Promise<ObjectFacts> {
  const reader = createKubeReader(kc, opts);
  const g = new Gatherer(reader);
  const facts = emptyObjectFacts();
  facts.accessErrors = g.accessErrors;
  if (opts.readScope) facts.readScope = opts.readScope;
  await gatherCluster(g, facts, sink, isSystemNamespace, opts.readScope);
  facts.apiRequests = reader.requests;
  return facts;
}

/** Pods of system components among `pods`: the DNS pods and the system DaemonSets' pods, in system namespaces. */
function systemPodsOf(pods: PodFact[], systemDaemonSets: DaemonSetFact[]): PodFact[] {
  return podsOfSystemComponents(
    pods.filter((p) => isSystemNamespace(p.namespace)),
    systemDaemonSets,
  );
}

/**
 * The parts of a cluster-wide ObjectFacts that come from the other lists: system DaemonSets and
 * their pods, and the kube-dns Service with its slices. Pure; the sweep's tests use it to build
 * facts from fixtures without an API server.
 */
export function deriveClusterFacts(
  lists: Pick<ObjectFacts, 'services' | 'pods' | 'endpointSlices'>,
  daemonSets: DaemonSetFact[],
): Pick<ObjectFacts, 'systemDaemonSets' | 'systemPods' | 'dns'> {
  const systemDaemonSets = daemonSets.filter(isSystemDaemonSet);
  const systemPods = systemPodsOf(lists.pods, systemDaemonSets);
  const dnsService = lists.services.find((s) => s.namespace === DNS_NAMESPACE && s.name === DNS_SERVICE_NAME);
  return {
    systemDaemonSets,
    systemPods,
    dns: {
      ...(dnsService ? { service: dnsService } : {}),
      endpointSlices: lists.endpointSlices.filter((s) => s.namespace === DNS_NAMESPACE && s.serviceName === DNS_SERVICE_NAME),
    },
  };
}
