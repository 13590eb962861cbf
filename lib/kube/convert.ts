import type {
  ContainerFact,
  DaemonSetFact,
  EndpointFact,
  EndpointSliceFact,
  LabelSelector,
  Labels,
  NamespaceFact,
  NetworkPolicyFact,
  NetworkPolicyPeerFact,
  NetworkPolicyRuleFact,
  NodeFact,
  PodConditionFact,
  PodDnsConfigFact,
  PodFact,
  Protocol,
  ServiceFact,
  ServicePortFact,
} from '../model/index.js';
// Raw API JSON → slim facts (lib/facts/types.ts). Only the fields checks read survive, so a
// 100k-pod sweep holds facts, not API objects. Inputs are untrusted JSON: every read tolerates a
// missing or odd field instead of throwing, because one strange object must not sink a gather.

/* eslint-disable @typescript-eslint/no-explicit-any -- raw API JSON is read defensively field by field */
export type RawObject = Record<string, any>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Read-only: a missing list is one shared empty array, not a new one per field of every object. */
const NO_ITEMS: any[] = Object.freeze([]) as unknown as any[];
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : NO_ITEMS);

function labels(v: unknown): Labels {
  if (!v || typeof v !== 'object') return {};
  // Parsed JSON whose values are all strings is already a Labels: reuse it rather than copy it
  // (100k pods in a sweep). Only an odd object is copied without its non-string values.
  const raw = v as Record<string, unknown>;
  for (const k in raw) {
    if (typeof raw[k] !== 'string') {
      const out: Labels = {};
      for (const key in raw) if (typeof raw[key] === 'string') out[key] = raw[key] as string;
      return out;
    }
  }
  return raw as Labels;
}

function protocol(v: unknown): Protocol {
  return v === 'UDP' || v === 'SCTP' ? v : 'TCP';
}

function tristate(v: unknown): boolean | null {
  return v === true ? true : v === false ? false : null;
}

export function labelSelector(v: unknown): LabelSelector {
  const sel = (v ?? {}) as RawObject;
  const out: LabelSelector = {};
  if (sel.matchLabels) out.matchLabels = labels(sel.matchLabels);
  const exprs = arr(sel.matchExpressions)
    .filter((e) => typeof e?.key === 'string' && ['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e?.operator))
    .map((e) => ({ key: e.key as string, operator: e.operator, ...(Array.isArray(e.values) ? { values: e.values.map(String) } : {}) }));
  if (exprs.length) out.matchExpressions = exprs;
  return out;
}

function toServicePort(p: RawObject): ServicePortFact {
  const port = num(p.port) ?? 0;
  const targetPort = typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : port;
  const fact: ServicePortFact = str(p.name) ? { name: p.name, port, targetPort, protocol: protocol(p.protocol) } : { port, targetPort, protocol: protocol(p.protocol) };
  if (num(p.nodePort)) fact.nodePort = p.nodePort;
  if (str(p.appProtocol)) fact.appProtocol = p.appProtocol;
  return fact;
}

function toEndpointPort(p: RawObject): EndpointSliceFact['ports'][number] {
  const port = num(p.port) ?? 0;
  return str(p.name) ? { name: p.name, port, protocol: protocol(p.protocol) } : { port, protocol: protocol(p.protocol) };
}

export function toServiceFact(o: RawObject): ServiceFact {
  const spec = (o.spec ?? {}) as RawObject;
  const type = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(spec.type) ? spec.type : 'ClusterIP';
  const fact: ServiceFact = {
    namespace: str(o.metadata?.namespace) ?? '',
    name: str(o.metadata?.name) ?? '',
    type,
    selector: spec.selector && Object.keys(spec.selector).length ? labels(spec.selector) : null,
    ports: arr(spec.ports).map(toServicePort),
  };
  if (str(spec.clusterIP)) fact.clusterIP = spec.clusterIP;
  if (Array.isArray(spec.clusterIPs)) fact.clusterIPs = spec.clusterIPs.filter((ip: unknown) => typeof ip === 'string');
  if (str(spec.externalName)) fact.externalName = spec.externalName;
  if (spec.externalTrafficPolicy === 'Cluster' || spec.externalTrafficPolicy === 'Local') fact.externalTrafficPolicy = spec.externalTrafficPolicy;
  if (spec.internalTrafficPolicy === 'Cluster' || spec.internalTrafficPolicy === 'Local') fact.internalTrafficPolicy = spec.internalTrafficPolicy;
  if (type === 'LoadBalancer') {
    fact.loadBalancerIngress = arr(o.status?.loadBalancer?.ingress).map((i) => ({
      ...(str(i.ip) ? { ip: i.ip } : {}),
      ...(str(i.hostname) ? { hostname: i.hostname } : {}),
    }));
  }
  if (spec.sessionAffinity === 'ClientIP') fact.sessionAffinity = 'ClientIP';
  const annotations = o.metadata?.annotations;
  const topologyMode = str(annotations?.['service.kubernetes.io/topology-mode']) ?? str(annotations?.['service.kubernetes.io/topology-aware-hints']);
  if (topologyMode) fact.topologyMode = topologyMode;
  if (str(spec.trafficDistribution)) fact.trafficDistribution = spec.trafficDistribution;
  const families = arr(spec.ipFamilies).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6');
  if (families.length) fact.ipFamilies = families;
  if (spec.ipFamilyPolicy === 'SingleStack' || spec.ipFamilyPolicy === 'PreferDualStack' || spec.ipFamilyPolicy === 'RequireDualStack') fact.ipFamilyPolicy = spec.ipFamilyPolicy;
  const l = labels(o.metadata?.labels);
  if (Object.keys(l).length) fact.labels = l;
  if (str(o.metadata?.creationTimestamp)) fact.createdAt = o.metadata.creationTimestamp;
  return fact;
}

// toPodFact and toEndpointSliceFact run once per object of a 100k-pod sweep: they assign fields
// directly instead of spreading optional ones, which halves their cost (bench/sweep.ts).
//
// A pod's facts are made by constructors and by array builtins (map, filter), never by object or
// array literals or `new Array(n)`. V8 pretenures such an allocation site once most of its objects
// outlive a young-generation collection, as the first pods of a sweep do (the system namespaces'
// are kept, and a namespace of thousands spans several collections). Every later pod's facts were
// then allocated in old space, and everything young they point to (labels and strings from
// JSON.parse) was promoted with them: 90 MB for 100k pods (bench/sweep.ts). Objects from a class
// constructor or a builtin carry no allocation site, so they stay young and die there.

class PodRecord {
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly labels: Labels,
    readonly phase: PodFact['phase'],
    readonly ready: boolean,
    readonly conditions: PodConditionFact[],
    readonly containers: ContainerFact[],
  ) {}
}

class ContainerRecord {
  constructor(
    readonly name: string,
    readonly ports: ContainerFact['ports'],
    readonly ready: boolean,
    readonly restartCount: number,
    public state: ContainerFact['state'],
    readonly hasReadinessProbe: boolean,
  ) {}
}

class ContainerPortRecord {
  constructor(
    readonly containerPort: number,
    readonly protocol: Protocol,
  ) {}
}

function setContainerState(fact: ContainerFact, state: RawObject | undefined): void {
  const detail = state?.waiting ?? state?.terminated;
  fact.state = state?.running ? 'running' : state?.waiting ? 'waiting' : state?.terminated ? 'terminated' : 'unknown';
  if (fact.state === 'running' || !detail) return;
  if (str(detail.reason)) fact.reason = detail.reason;
  if (str(detail.message)) fact.message = detail.message;
}

/**
 * Conditions without a reason or message (nearly all of them: "Ready True", "PodScheduled True")
 * are shared, read-only objects, looked up by type then status without building a key string:
 * a sweep would otherwise allocate five per pod for 100k pods.
 */
const plainConditions = new Map<string, Partial<Record<PodConditionFact['status'], PodConditionFact>>>();
/** Condition types are free-form (readiness gates): a long-lived worker must not cache without bound. */
const MAX_PLAIN_CONDITIONS = 256;

function toCondition(c: RawObject): PodConditionFact {
  const status: PodConditionFact['status'] = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  if (!str(c.reason) && !str(c.message)) {
    let byStatus = plainConditions.get(c.type);
    if (!byStatus) {
      if (plainConditions.size >= MAX_PLAIN_CONDITIONS) return Object.freeze({ type: c.type, status });
      plainConditions.set(c.type, (byStatus = {}));
    }
    return (byStatus[status] ??= Object.freeze({ type: c.type, status }));
  }
  const condition: PodConditionFact = { type: c.type, status };
  if (str(c.reason)) condition.reason = c.reason;
  if (str(c.message)) condition.message = c.message;
  return condition;
}

function toContainerFact(c: RawObject, s: RawObject | undefined): ContainerFact {
  const rawPorts = arr(c.ports);
  const ports: ContainerFact['ports'] = rawPorts.map((p) => {
    const port: ContainerFact['ports'][number] = new ContainerPortRecord(num(p?.containerPort) ?? 0, protocol(p?.protocol));
    if (str(p?.name)) port.name = p.name;
    const hostPort = num(p?.hostPort);
    if (hostPort) port.hostPort = hostPort;
    return port;
  });
  const fact: ContainerFact = new ContainerRecord(str(c.name) ?? '', ports, s?.ready === true, num(s?.restartCount) ?? 0, 'unknown', Boolean(c.readinessProbe));
  if (typeof s?.started === 'boolean') fact.started = s.started;
  setContainerState(fact, s?.state);
  if (str(s?.lastState?.terminated?.reason)) fact.lastTerminationReason = s!.lastState.terminated.reason;
  if (str(s?.lastState?.terminated?.message)) fact.lastTerminationMessage = s!.lastState.terminated.message;
  return fact;
}

const POD_PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed']);

function toDnsConfig(c: RawObject): PodDnsConfigFact {
  const config: PodDnsConfigFact = {};
  if (Array.isArray(c.nameservers)) config.nameservers = strings(c.nameservers);
  if (Array.isArray(c.searches)) config.searches = strings(c.searches);
  if (Array.isArray(c.options)) {
    config.options = arr(c.options)
      .filter((o: RawObject) => str(o?.name))
      .map((o: RawObject) => (str(o.value) !== undefined ? { name: o.name as string, value: o.value as string } : { name: o.name as string }));
  }
  return config;
}

export function toPodFact(o: RawObject): PodFact {
  const metadata = (o.metadata ?? {}) as RawObject;
  const spec = (o.spec ?? {}) as RawObject;
  const status = (o.status ?? {}) as RawObject;
  const statuses = arr(status.containerStatuses);
  const conditions: PodConditionFact[] = arr(status.conditions)
    .filter((c) => typeof c?.type === 'string')
    .map(toCondition);
  let ready = false;
  for (const c of conditions) if (c.type === 'Ready' && c.status === 'True') ready = true;
  const containers: ContainerFact[] = arr(spec.containers).map((raw, i) => {
    const c = (raw ?? {}) as RawObject;
    // The status usually sits at the same index; search only when it does not.
    const same = statuses[i];
    return toContainerFact(c, same?.name === c.name ? same : statuses.find((s) => s?.name === c.name));
  });
  const owners = arr(metadata.ownerReferences);
  const owner = owners.find((r) => r?.controller) ?? owners[0];
  const fact: PodFact = new PodRecord(
    str(metadata.namespace) ?? '',
    str(metadata.name) ?? '',
    labels(metadata.labels),
    POD_PHASES.has(status.phase) ? status.phase : 'Unknown',
    ready,
    conditions,
    containers,
  );
  if (str(spec.nodeName)) fact.nodeName = spec.nodeName;
  if (str(status.podIP)) fact.podIP = status.podIP;
  // Only dual-stack pods carry a second address; single-stack ones cost nothing more in a sweep.
  if (Array.isArray(status.podIPs) && status.podIPs.length > 1) {
    const ips = status.podIPs.map((p: RawObject) => str(p?.ip)).filter((ip: string | undefined): ip is string => ip !== undefined);
    if (ips.length > 1) fact.podIPs = ips;
  }
  if (spec.hostNetwork === true) fact.hostNetwork = true;
  // Calico and Cilium policies may select by it; the API server sets it on every pod (deprecated spec.serviceAccount: older objects).
  const serviceAccount = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
  if (serviceAccount) fact.serviceAccountName = serviceAccount;
  if (str(spec.dnsPolicy) && spec.dnsPolicy !== 'ClusterFirst') fact.dnsPolicy = spec.dnsPolicy;
  if (spec.dnsConfig && typeof spec.dnsConfig === 'object') fact.dnsConfig = toDnsConfig(spec.dnsConfig as RawObject);
  if (str(metadata.deletionTimestamp)) fact.deletionTimestamp = metadata.deletionTimestamp;
  if (owner && str(owner.kind)) {
    fact.ownerKind = owner.kind;
    fact.ownerName = str(owner.name) ?? '';
  }
  if (str(metadata.creationTimestamp)) fact.createdAt = metadata.creationTimestamp;
  return fact;
}

/** The array itself when every element is a string (the usual case), else a filtered copy. */
function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  for (const item of v) if (typeof item !== 'string') return v.filter((a) => typeof a === 'string');
  return v as string[];
}

function toEndpointFact(e: RawObject): EndpointFact {
  const conditions = e.conditions;
  const fact: EndpointFact = {
    addresses: strings(e.addresses),
    ready: tristate(conditions?.ready),
    serving: tristate(conditions?.serving),
    terminating: tristate(conditions?.terminating),
  };
  if (str(e.nodeName)) fact.nodeName = e.nodeName;
  // Hints are rare (topology-aware routing only): read them only when present.
  if (e.hints !== undefined) {
    const zones = arr(e.hints?.forZones)
      .map((z) => str(z?.name))
      .filter((z): z is string => z !== undefined);
    if (zones.length) fact.hintZones = zones;
  }
  const ref = e.targetRef;
  if (ref && str(ref.kind)) {
    fact.targetRef = { kind: ref.kind, name: str(ref.name) ?? '' };
    if (str(ref.namespace)) fact.targetRef.namespace = ref.namespace;
  }
  return fact;
}

export function toEndpointSliceFact(o: RawObject): EndpointSliceFact {
  const addressType = o.addressType === 'IPv6' || o.addressType === 'FQDN' ? o.addressType : 'IPv4';
  return {
    namespace: str(o.metadata?.namespace) ?? '',
    name: str(o.metadata?.name) ?? '',
    serviceName: str(o.metadata?.labels?.['kubernetes.io/service-name']) ?? '',
    addressType,
    ports: arr(o.ports).map(toEndpointPort),
    endpoints: arr(o.endpoints).map((e) => toEndpointFact(e ?? {})),
    source: 'endpointslice',
  };
}

/**
 * A legacy v1 Endpoints object as one EndpointSlice per subset, the way the EndpointSlice
 * mirroring controller sees it: `addresses` are ready, `notReadyAddresses` are not.
 */
export function endpointsToSliceFacts(o: RawObject): EndpointSliceFact[] {
  const namespace = str(o.metadata?.namespace) ?? '';
  const name = str(o.metadata?.name) ?? '';
  return arr(o.subsets).map((subset, i) => {
    const toEndpoint = (a: RawObject, ready: boolean): EndpointFact => ({
      addresses: str(a.ip) ? [a.ip] : [],
      ready,
      serving: ready,
      terminating: false,
      ...(str(a.nodeName) ? { nodeName: a.nodeName } : {}),
      ...(a.targetRef && str(a.targetRef.kind)
        ? { targetRef: { kind: a.targetRef.kind, name: str(a.targetRef.name) ?? '', ...(str(a.targetRef.namespace) ? { namespace: a.targetRef.namespace } : {}) } }
        : {}),
    });
    const endpoints = [...arr(subset.addresses).map((a) => toEndpoint(a, true)), ...arr(subset.notReadyAddresses).map((a) => toEndpoint(a, false))];
    const ipv6 = endpoints.some((e) => e.addresses.some((a) => a.includes(':')));
    return {
      namespace,
      name: `${name}-endpoints-${i}`,
      serviceName: name,
      addressType: ipv6 ? 'IPv6' : 'IPv4',
      ports: arr(subset.ports).map(toEndpointPort),
      endpoints,
      source: 'endpoints',
    };
  });
}

export function toNodeFact(o: RawObject): NodeFact {
  const conditions = arr(o.status?.conditions);
  const ready = conditions.find((c) => c?.type === 'Ready');
  const network = conditions.find((c) => c?.type === 'NetworkUnavailable');
  const spec = (o.spec ?? {}) as RawObject;
  const podCIDRs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs.filter((c: unknown) => typeof c === 'string') : str(spec.podCIDR) ? [spec.podCIDR] : [];
  const fact: NodeFact = {
    name: str(o.metadata?.name) ?? '',
    labels: labels(o.metadata?.labels),
    ready: ready ? (ready.status === 'True' ? true : ready.status === 'False' ? false : null) : null,
    networkUnavailable: network ? network.status === 'True' : null,
    podCIDRs,
    unschedulable: spec.unschedulable === true,
    taints: arr(spec.taints)
      .filter((t) => typeof t?.key === 'string')
      .map((t) => ({ key: t.key, ...(str(t.value) ? { value: t.value } : {}), effect: str(t.effect) ?? '' })),
  };
  if (str(ready?.reason)) fact.readyReason = ready.reason;
  if (str(ready?.message)) fact.readyMessage = ready.message;
  if (str(network?.reason)) fact.networkUnavailableReason = network.reason;
  const internal = arr(o.status?.addresses).find((a) => a?.type === 'InternalIP');
  if (str(internal?.address)) fact.internalIP = internal.address;
  if (str(o.status?.nodeInfo?.kubeletVersion)) fact.kubeletVersion = o.status.nodeInfo.kubeletVersion;
  if (str(o.status?.nodeInfo?.kubeProxyVersion)) fact.kubeProxyVersion = o.status.nodeInfo.kubeProxyVersion;
  return fact;
}

function policyRules(rules: unknown, peersField: 'from' | 'to'): NetworkPolicyRuleFact[] {
  return arr(rules).map((r) => {
    const rule: NetworkPolicyRuleFact = {};
    if (Array.isArray(r?.[peersField])) {
      rule.peers = r[peersField].map((p: RawObject): NetworkPolicyPeerFact => ({
        ...(p.podSelector ? { podSelector: labelSelector(p.podSelector) } : {}),
        ...(p.namespaceSelector ? { namespaceSelector: labelSelector(p.namespaceSelector) } : {}),
        ...(p.ipBlock && str(p.ipBlock.cidr) ? { ipBlock: { cidr: p.ipBlock.cidr, ...(Array.isArray(p.ipBlock.except) ? { except: p.ipBlock.except.map(String) } : {}) } } : {}),
      }));
    }
    if (Array.isArray(r?.ports)) {
      rule.ports = r.ports.map((p: RawObject) => ({
        protocol: protocol(p.protocol),
        ...(typeof p.port === 'number' || typeof p.port === 'string' ? { port: p.port } : {}),
        ...(num(p.endPort) ? { endPort: p.endPort } : {}),
      }));
    }
    return rule;
  });
}

export function toNetworkPolicyFact(o: RawObject): NetworkPolicyFact {
  const spec = (o.spec ?? {}) as RawObject;
  const declared = arr(spec.policyTypes).filter((t) => t === 'Ingress' || t === 'Egress');
  // The API server's default: Ingress always, Egress when egress rules are present.
  const policyTypes: ('Ingress' | 'Egress')[] = declared.length ? declared : Array.isArray(spec.egress) ? ['Ingress', 'Egress'] : ['Ingress'];
  return {
    namespace: str(o.metadata?.namespace) ?? '',
    name: str(o.metadata?.name) ?? '',
    podSelector: labelSelector(spec.podSelector),
    policyTypes,
    ingress: policyRules(spec.ingress, 'from'),
    egress: policyRules(spec.egress, 'to'),
  };
}

export function toNamespaceFact(o: RawObject): NamespaceFact {
  return { name: str(o.metadata?.name) ?? '', labels: labels(o.metadata?.labels) };
}

export function toDaemonSetFact(o: RawObject): DaemonSetFact {
  const status = (o.status ?? {}) as RawObject;
  const fact: DaemonSetFact = {
    namespace: str(o.metadata?.namespace) ?? '',
    name: str(o.metadata?.name) ?? '',
    labels: labels(o.metadata?.labels),
    selector: labels(o.spec?.selector?.matchLabels),
    desired: num(status.desiredNumberScheduled) ?? 0,
    ready: num(status.numberReady) ?? 0,
    available: num(status.numberAvailable) ?? 0,
    images: arr(o.spec?.template?.spec?.containers)
      .map((c) => str(c?.image))
      .filter((i): i is string => i !== undefined),
  };
  if (num(status.updatedNumberScheduled) !== undefined) fact.updated = status.updatedNumberScheduled;
  return fact;
}
