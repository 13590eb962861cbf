// Which objects and nodes a target's data path crosses: the engine asks exactly these nodes'
// agents, and the checks judge exactly these nodes, so none reads "unknown" for want of a question.
// Pure functions of the gathered objects and the target; used before and after the gather.
import { compareText, isClusterDnsPod, isTerminalPod, ObjectCache, podsSelectedBy, type EndpointSliceFact, type Facts, type PodFact, type ServiceFact } from '../model/index.js';

/** What scope planning reads: the API objects, the target, and the probe source when known. */
export type ScopeFacts = Pick<Facts, 'target' | 'services' | 'pods' | 'endpointSlices' | 'nodes' | 'systemPods' | 'dns'> & {
  probes?: Pick<Facts['probes'], 'source'>;
};

/** Facts are read-only while checks run, and every service check starts by asking for the Service. */
const targetServices = new ObjectCache<ScopeFacts, ServiceFact | undefined>();

export function targetService(facts: ScopeFacts): ServiceFact | undefined {
  if (targetServices.has(facts)) return targetServices.get(facts);
  const target = facts.target;
  const found = target.kind !== 'svc' ? undefined : facts.services.find((svc) => svc.name === target.name && svc.namespace === target.namespace);
  targetServices.set(facts, found);
  return found;
}

export function targetEndpointSlices(facts: ScopeFacts): EndpointSliceFact[] {
  const service = targetService(facts);
  if (!service) return [];
  return facts.endpointSlices.filter((s) => s.namespace === service.namespace && s.serviceName === service.name);
}

/**
 * Pods behind the target Service: those its EndpointSlices point at, plus those its selector
 * matches (a pod on a NotReady node may already have left the ready endpoints but still matters).
 */
export function backendPods(facts: ScopeFacts): PodFact[] {
  const cached = backendPodsCache.get(facts);
  if (cached) return cached;
  const pods = findBackendPods(facts);
  backendPodsCache.set(facts, pods);
  return pods;
}

/** Facts are read-only while checks run; every node and policy check asks for the same pods. */
const backendPodsCache = new ObjectCache<ScopeFacts, PodFact[]>();

/** Per pod list, its pods by namespace: a sweep's 50 services of a namespace share one list. */
const podsByNamespace = new ObjectCache<PodFact[], Map<string, PodFact[]>>();

/** Every pod in `pods` of this namespace: a sweep's view holds one namespace's pods already, and needs no copy then. */
function podsOfNamespace(pods: PodFact[], namespace: string): PodFact[] {
  let byNamespace = podsByNamespace.get(pods);
  if (!byNamespace) podsByNamespace.set(pods, (byNamespace = new Map()));
  let found = byNamespace.get(namespace);
  if (!found) {
    found = pods.every((p) => p.namespace === namespace) ? pods : pods.filter((p) => p.namespace === namespace);
    byNamespace.set(namespace, found);
  }
  return found;
}

/** The pod an endpoint names (by targetRef, else by address); the indexes are built on first need: a sweep asks for ~10 pods per service. */
class PodLookup {
  private byName: Map<string, PodFact> | undefined;
  private byIP: Map<string, PodFact> | undefined;
  constructor(private readonly pods: PodFact[]) {}

  of(endpoint: EndpointSliceFact['endpoints'][number]): PodFact | undefined {
    if (endpoint.targetRef?.kind === 'Pod') {
      if (!this.byName) {
        this.byName = new Map();
        for (const pod of this.pods) this.byName.set(pod.name, pod);
      }
      const pod = this.byName.get(endpoint.targetRef.name);
      if (pod) return pod;
    }
    // Endpoints nearly always name their pod; the IP index is for those that do not.
    for (const address of endpoint.addresses) {
      if (!this.byIP) {
        this.byIP = new Map();
        for (const pod of this.pods) if (pod.podIP) this.byIP.set(pod.podIP, pod);
      }
      const pod = this.byIP.get(address);
      if (pod) return pod;
    }
    return undefined;
  }
}

/** One lookup per pod list: a sweep's services of a namespace share theirs. */
const podLookups = new ObjectCache<PodFact[], PodLookup>();

function lookupIn(pods: PodFact[]): PodLookup {
  let lookup = podLookups.get(pods);
  if (!lookup) podLookups.set(pods, (lookup = new PodLookup(pods)));
  return lookup;
}

function findBackendPods(facts: ScopeFacts): PodFact[] {
  const service = targetService(facts);
  if (!service) return [];
  const inNamespace = podsOfNamespace(facts.pods, service.namespace);
  const lookup = lookupIn(inNamespace);
  const pods: PodFact[] = [];
  const seen = new Set<string>();
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) {
      const pod = lookup.of(endpoint);
      if (pod && !seen.has(pod.name)) {
        seen.add(pod.name);
        pods.push(pod);
      }
    }
  }
  if (service.selector) {
    for (const pod of podsSelectedBy(inNamespace, service.namespace, service.selector)) {
      if (!seen.has(pod.name) && !pod.deletionTimestamp && !isTerminalPod(pod)) {
        seen.add(pod.name);
        pods.push(pod);
      }
    }
  }
  // Slices list replicas in name order as a rule: checking that is cheaper than sorting.
  for (let i = 1; i < pods.length; i++) {
    if (compareText((pods[i - 1] as PodFact).name, (pods[i] as PodFact).name) > 0) return pods.sort((a, b) => compareText(a.name, b.name));
  }
  return pods;
}

/** Nodes that host endpoints (or selected pods) of the target Service. */
export function nodesHostingEndpoints(facts: ScopeFacts): string[] {
  const nodes = new Set<string>();
  for (const slice of targetEndpointSlices(facts)) {
    for (const endpoint of slice.endpoints) if (endpoint.nodeName) nodes.add(endpoint.nodeName);
  }
  for (const pod of backendPods(facts)) if (pod.nodeName) nodes.add(pod.nodeName);
  return [...nodes].sort();
}

export function nodesHostingClusterDns(facts: ScopeFacts): string[] {
  const nodes = new Set<string>();
  for (const slice of facts.dns?.endpointSlices ?? []) {
    for (const endpoint of slice.endpoints) if (endpoint.nodeName) nodes.add(endpoint.nodeName);
  }
  for (const pod of facts.systemPods) {
    if (isClusterDnsPod(pod) && pod.nodeName) nodes.add(pod.nodeName);
  }
  return [...nodes].sort();
}

export interface NodeScope {
  nodes: string[];
  /** Why these nodes, for detail text: "nodes hosting endpoints of shop/payments". */
  description: string;
}

/**
 * The nodes on the target's data path: the probe source's node (its kernel forwards the client's
 * packets and its kube-proxy rules do the Service DNAT) and then the endpoint nodes (svc), the
 * node itself, the cluster DNS nodes, or all nodes.
 */
export function nodesInScope(facts: ScopeFacts): NodeScope {
  const { target } = facts;
  const sourceNode = facts.probes?.source?.node;
  const withSource = (nodes: string[], description: string): NodeScope => {
    if (!sourceNode) return { nodes, description };
    const rest = nodes.filter((n) => n !== sourceNode);
    return { nodes: [sourceNode, ...rest], description: `${sourceNode} (the probe source's node) and ${description}` };
  };
  switch (target.kind) {
    case 'svc':
      return withSource(nodesHostingEndpoints(facts), `nodes hosting endpoints of ${target.namespace}/${target.name}`);
    case 'node':
      // A node the (readable) node list lacks has no agent, kube-proxy or CNI pod to look at.
      if (facts.nodes.length > 0 && !facts.nodes.some((n) => n.name === target.name)) return { nodes: [], description: `node ${target.name} (not found)` };
      return { nodes: [target.name], description: `node ${target.name}` };
    case 'dns':
      return withSource(nodesHostingClusterDns(facts), 'nodes hosting cluster DNS pods');
    case 'cluster':
      return { nodes: facts.nodes.map((n) => n.name).sort(), description: 'all nodes' };
  }
}

/** A Service address the path uses, with the backends kube-proxy should be sending it to. */
/** "ip:port/protocol": a ClusterIP serves TCP and UDP on one port (DNS), and they are read apart. */
export function serviceAddressText(a: Pick<PathServiceAddress, 'ip' | 'port' | 'protocol'>): string {
  return `${a.ip}:${a.port}/${a.protocol}`;
}

export interface PathServiceAddress {
  service: ServiceFact;
  ip: string;
  port: number;
  protocol: ServiceFact['ports'][number]['protocol'];
  portName?: string;
  /** "ip:port" of the ready endpoints, as kube-proxy programs them (ports matched by name). */
  expectedBackends: string[];
  /** The same per endpoint node: with internalTrafficPolicy Local a node programs only its own. */
  expectedBackendsByNode: Record<string, string[]>;
}

function addressesOf(service: ServiceFact | undefined, slices: EndpointSliceFact[]): PathServiceAddress[] {
  const ip = service?.clusterIP;
  if (!service || !ip || ip === 'None' || service.type === 'ExternalName') return [];
  return service.ports.map((port) => {
    const expected = new Set<string>();
    const byNode: Record<string, string[]> = {};
    for (const slice of slices) {
      // kube-proxy pairs a Service port with the slice port of the same name (both unnamed counts).
      const slicePort = slice.ports.find((p) => (p.name ?? '') === (port.name ?? '') && p.protocol === port.protocol);
      if (!slicePort) continue;
      for (const endpoint of slice.endpoints) {
        if (endpoint.ready === false) continue;
        for (const address of endpoint.addresses) {
          expected.add(`${address}:${slicePort.port}`);
          if (endpoint.nodeName) (byNode[endpoint.nodeName] ??= []).push(`${address}:${slicePort.port}`);
        }
      }
    }
    return {
      service,
      ip,
      port: port.port,
      protocol: port.protocol,
      ...(port.name ? { portName: port.name } : {}),
      expectedBackends: [...expected].sort(),
      expectedBackendsByNode: byNode,
    };
  });
}

/**
 * The ClusterIP addresses on the target's path: the Service's own (svc), or cluster DNS (dns, node).
 * The engine asks the agents what kube-proxy programmed for these; the checks compare.
 */
export function serviceAddressesOnPath(facts: ScopeFacts): PathServiceAddress[] {
  let addresses = pathAddresses.get(facts);
  if (!addresses) pathAddresses.set(facts, (addresses = addressesOnPath(facts)));
  return addresses;
}

function addressesOnPath(facts: ScopeFacts): PathServiceAddress[] {
  switch (facts.target.kind) {
    case 'svc':
      return addressesOf(targetService(facts), targetEndpointSlices(facts));
    case 'dns':
    case 'node':
      return addressesOf(facts.dns?.service, facts.dns?.endpointSlices ?? []);
    case 'cluster':
      return [];
  }
}

/** Several checks ask per facts object (kube-proxy rules, conntrack): computed once. */
const pathAddresses = new ObjectCache<ScopeFacts, PathServiceAddress[]>();

/** The nodes a DNS lookup crosses: the probe source's (where kube-dns's ClusterIP is DNATed) and the DNS pods'. */
export function dnsPathNodes(facts: ScopeFacts): string[] {
  const source = facts.probes?.source?.node;
  return [...new Set([...(source ? [source] : []), ...nodesHostingClusterDns(facts)])];
}
