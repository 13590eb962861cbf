import { Resolver } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  ipInCidr,
  isDnsSubdomain,
  type DnsProbeFact,
  type EndpointSliceFact,
  type PodFact,
  type ProbeFacts,
  type ProbeSource,
  type SearchExpansionFact,
  type ServiceFact,
  type ServicePortFact,
  type Target,
  type TargetSource,
  type TcpOutcome,
  type TcpProbeFact,
} from '../model/index.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { ObjectFacts } from './types.js';
import { isExternalName, podResolvConf, searchCandidates } from '../scope/resolv-conf.js';

// Probes are the data-plane evidence: what actually happens when the probing source (a pod, when
// the worker runs in-cluster) connects to a Service, its endpoints and cluster DNS. The API can
// look perfect while these time out; the checks compare the two.

export interface ProbeOptions {
  enabled: boolean;
  skipReason?: string;
  /** Deadline of one TCP connect or one DNS lookup. */
  timeoutMs: number;
  /** How many probes run at once. */
  concurrency: number;
  clusterDomain: string;
  /** Defaults to the kube-dns Service's ClusterIP and DNS port. */
  dnsServer?: { host: string; port: number };
  /** A name outside the cluster that dns jobs ask through cluster DNS and of CoreDNS's upstreams (default EXTERNAL_PROBE_NAME). */
  externalName?: string;
  source?: ProbeFacts['source'];
  /** Opt-in: run the TCP probes from inside the --from client pod's network namespace (through its node's agent). */
  inPod?: boolean;
  /** Connects to every target somewhere else (inside a pod's namespace); the results keep the order. */
  connectMany?: (targets: { ip: string; port: number }[]) => Promise<{ outcome: TcpOutcome; detail?: string; ms: number }[] | { unknown: string }>;
}

/** NodePorts are probed on at most this many nodes (those hosting endpoints first). */
const MAX_NODEPORT_NODES = 3;

const elapsed = (start: number): number => Math.round(performance.now() - start);

/** One TCP connect with a hard deadline; never throws. */
function probeTcp(ip: string, port: number, timeoutMs: number): Promise<{ outcome: TcpOutcome; detail?: string; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    let settled = false;
    const settle = (outcome: TcpOutcome, detail?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(detail === undefined ? { outcome, ms: elapsed(start) } : { outcome, detail, ms: elapsed(start) });
    };
    const timer = setTimeout(() => settle('timeout', `no SYN-ACK within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => settle('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      switch (error.code) {
        case 'ECONNREFUSED':
          settle('refused', 'ECONNREFUSED');
          break;
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
          settle('unreachable', error.code);
          break;
        case 'ETIMEDOUT':
          settle('timeout', 'ETIMEDOUT');
          break;
        default:
          settle('error', error.code ?? error.message);
      }
    });
  });
}

interface PlannedTcpProbe extends Omit<TcpProbeFact, 'outcome' | 'ms' | 'detail'> {
  skipDetail?: string;
}

function servicePortOf(slicePort: EndpointSliceFact['ports'][number], service: ServiceFact): ServicePortFact | undefined {
  // EndpointSlice ports carry the Service port's name ("" / undefined for a single unnamed port).
  return service.ports.find((port) => (port.name ?? '') === (slicePort.name ?? '') && port.protocol === slicePort.protocol);
}

function planServiceProbes(service: ServiceFact, objects: ObjectFacts): PlannedTcpProbe[] {
  const planned: PlannedTcpProbe[] = [];
  const unprobedProtocol = (protocol: string): string | undefined => (protocol === 'TCP' ? undefined : `${protocol} not probed: only TCP connects prove reachability`);

  const clusterIPs = (service.clusterIPs?.length ? service.clusterIPs : [service.clusterIP]).filter(
    (ip): ip is string => ip !== undefined && ip !== 'None' && ip !== '' && isIP(ip) !== 0,
  );
  for (const ip of clusterIPs) {
    for (const port of service.ports) {
      const skip = unprobedProtocol(port.protocol);
      planned.push({ role: 'clusterIP', ip, port: port.port, protocol: port.protocol, servicePort: port.port, ...(skip ? { skipDetail: skip } : {}) });
    }
  }

  const slices = objects.endpointSlices.filter((slice) => slice.namespace === service.namespace && slice.serviceName === service.name && slice.addressType !== 'FQDN');
  const endpointNodes: string[] = [];
  for (const slice of slices) {
    for (const endpoint of slice.endpoints) {
      // Not-ready endpoints get no traffic from kube-proxy either; probing them would blame the
      // data plane for what the readiness check already reports.
      if (endpoint.ready === false) continue;
      if (endpoint.nodeName && !endpointNodes.includes(endpoint.nodeName)) endpointNodes.push(endpoint.nodeName);
      const pod = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined;
      for (const address of endpoint.addresses) {
        for (const slicePort of slice.ports) {
          const skip = unprobedProtocol(slicePort.protocol);
          const servicePort = servicePortOf(slicePort, service)?.port;
          planned.push({
            role: 'endpoint',
            ip: address,
            port: slicePort.port,
            protocol: slicePort.protocol,
            ...(servicePort !== undefined ? { servicePort } : {}),
            ...(pod ? { pod } : {}),
            ...(endpoint.nodeName ? { node: endpoint.nodeName } : {}),
            ...(skip ? { skipDetail: skip } : {}),
          });
        }
      }
    }
  }

  if (service.type === 'NodePort' || service.type === 'LoadBalancer') {
    const withAddress = objects.nodes.filter((node) => node.internalIP && isIP(node.internalIP) !== 0);
    const ordered = [...withAddress.filter((node) => endpointNodes.includes(node.name)), ...withAddress.filter((node) => !endpointNodes.includes(node.name))].slice(
      0,
      MAX_NODEPORT_NODES,
    );
    for (const node of ordered) {
      for (const port of service.ports) {
        if (port.nodePort === undefined) continue;
        const skip = unprobedProtocol(port.protocol);
        planned.push({
          role: 'nodePort',
          ip: node.internalIP as string,
          port: port.nodePort,
          protocol: port.protocol,
          servicePort: port.port,
          node: node.name,
          ...(skip ? { skipDetail: skip } : {}),
        });
      }
    }
  }
  return planned;
}

function dnsServerOf(objects: ObjectFacts, opts: ProbeOptions): { host: string; port: number } | string {
  if (opts.dnsServer) return opts.dnsServer;
  const service = objects.dns?.service;
  if (!service) return 'the kube-dns Service was not found, so there is no cluster DNS server to ask';
  const host = service.clusterIP;
  if (!host || host === 'None' || isIP(host) === 0) return `the ${service.namespace}/${service.name} Service has no ClusterIP to ask`;
  const port =
    service.ports.find((candidate) => candidate.protocol === 'UDP' && candidate.name === 'dns') ??
    service.ports.find((candidate) => candidate.protocol === 'UDP') ??
    service.ports[0];
  return { host, port: port?.port ?? 53 };
}

const DNS_OUTCOMES: Record<string, DnsProbeFact['outcome']> = {
  ENOTFOUND: 'nxdomain',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  ETIMEOUT: 'timeout',
  ESERVFAIL: 'servfail',
};

async function probeDns(resolver: Resolver, server: string, name: string, purpose: DnsProbeFact['purpose'], type: 'A' | 'AAAA'): Promise<DnsProbeFact> {
  const start = performance.now();
  try {
    const addresses = type === 'A' ? await resolver.resolve4(name) : await resolver.resolve6(name);
    return { name, purpose, type, outcome: 'resolved', addresses, server, ms: elapsed(start) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { name, purpose, type, outcome: DNS_OUTCOMES[code] ?? 'error', server, detail: code || (error as Error).message, ms: elapsed(start) };
  }
}

/**
 * Any name outside the cluster will do: an upstream that answers NXDOMAIN answers. A well-known
 * one keeps "resolved" the usual outcome on a healthy cluster.
 */
export const EXTERNAL_PROBE_NAME = 'kubernetes.io';

/** The external name a dns job asks through cluster DNS and of CoreDNS's upstreams. */
export function externalProbeName(opts: Pick<ProbeOptions, 'externalName' | 'clusterDomain'>, target?: Target, namespaces: readonly string[] = []): string {
  // The name the person asked about, when it is one CoreDNS forwards.
  if (target?.kind === 'dns' && target.name !== undefined && isExternalName(target.name, opts.clusterDomain, namespaces)) return target.name.replace(/\.$/, '');
  return opts.externalName ?? EXTERNAL_PROBE_NAME;
}

function planDnsNames(service: ServiceFact | undefined, target: Target, domain: string, external: string): { name: string; purpose: DnsProbeFact['purpose'] }[] {
  const names: { name: string; purpose: DnsProbeFact['purpose'] }[] = [];
  if (target.kind === 'svc') {
    names.push({ name: `${target.name}.${target.namespace}.svc.${domain}`, purpose: 'service' });
    // A client in another namespace asking for the short name tries its own namespace first
    // (search "<ns>.svc.<domain>", ndots:5): what that lookup finds is what the client reaches.
    if (target.from && target.from.namespace !== target.namespace) names.push({ name: `${target.name}.${target.from.namespace}.svc.${domain}`, purpose: 'client-search' });
  }
  names.push({ name: `kubernetes.default.svc.${domain}`, purpose: 'kubernetes-default' });
  // CoreDNS forwards it to its upstreams: with kubernetes.default resolving, a failure here is theirs.
  if (target.kind === 'dns') names.push({ name: external, purpose: 'external' });
  if (service?.type === 'ExternalName' && service.externalName && isIP(service.externalName) === 0) {
    names.push({ name: service.externalName.replace(/\.$/, ''), purpose: 'external-name' });
  }
  return names;
}

/** At most this many CoreDNS pods are asked directly (a large cluster may run dozens of replicas). */
const MAX_DNS_ENDPOINTS = 10;

interface DnsEndpoint {
  ip: string;
  port: number;
  pod?: string;
  node?: string;
}

/**
 * Every ready CoreDNS endpoint, addressed directly: the Service hides a bad replica behind
 * kube-proxy's random split, so only asking each pod shows which one fails. The port is the
 * slice's UDP DNS port, or the configured server's when one is set (it says where DNS listens).
 */
function dnsEndpoints(objects: ObjectFacts, opts: ProbeOptions): DnsEndpoint[] {
  const endpoints: DnsEndpoint[] = [];
  for (const slice of objects.dns?.endpointSlices ?? []) {
    if (slice.addressType === 'FQDN') continue;
    const slicePort = slice.ports.find((p) => p.protocol === 'UDP' && p.name === 'dns') ?? slice.ports.find((p) => p.protocol === 'UDP');
    const port = opts.dnsServer?.port ?? slicePort?.port ?? 53;
    for (const endpoint of slice.endpoints) {
      if (endpoint.ready === false) continue;
      const ip = endpoint.addresses.find((a) => isIP(a) !== 0);
      if (!ip || endpoints.some((e) => e.ip === ip)) continue;
      endpoints.push({
        ip,
        port,
        ...(endpoint.targetRef?.kind === 'Pod' ? { pod: endpoint.targetRef.name } : {}),
        ...(endpoint.nodeName ? { node: endpoint.nodeName } : {}),
      });
    }
  }
  return endpoints.slice(0, MAX_DNS_ENDPOINTS);
}

async function probeDnsEndpoint(endpoint: DnsEndpoint, name: string, timeoutMs: number): Promise<DnsProbeFact> {
  const serverText = isIP(endpoint.ip) === 6 ? `[${endpoint.ip}]:${endpoint.port}` : `${endpoint.ip}:${endpoint.port}`;
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([serverText]);
  const probe = await probeDns(resolver, serverText, name, 'dns-endpoint', isIP(endpoint.ip) === 6 ? 'AAAA' : 'A');
  return { ...probe, ...(endpoint.pod ? { pod: endpoint.pod } : {}), ...(endpoint.node ? { node: endpoint.node } : {}) };
}

/**
 * `dns <name>`: the lookup walked through the client's search list as its stub resolver would —
 * A and AAAA at once per candidate, candidates in order until one answers — against cluster DNS,
 * counting the queries and the time. The client's resolv.conf is derived from its pod spec
 * (--from), or is a default pod's in the target namespace. Only ClusterFirst clients are walked:
 * the others ask the node's resolvers, which the API does not show.
 */
async function probeSearchExpansion(
  objects: ObjectFacts,
  target: Target,
  opts: ProbeOptions,
  server: { host: string; port: number } | string,
): Promise<SearchExpansionFact | undefined> {
  if (target.kind !== 'dns' || target.name === undefined || typeof server === 'string') return undefined;
  const sourcePod = opts.source?.pod ? objects.pods.find((p) => p.namespace === opts.source?.pod?.namespace && p.name === opts.source?.pod?.name) : undefined;
  const spec = sourcePod ?? { namespace: target.namespace };
  const conf = podResolvConf(spec, opts.clusterDomain);
  if (conf.fromNode === 'whole-file' || (spec as { dnsPolicy?: string }).dnsPolicy === 'None') return undefined;
  const serverText = isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  const resolver = new Resolver({ timeout: opts.timeoutMs, tries: 1 });
  resolver.setServers([serverText]);
  const queries: SearchExpansionFact['queries'] = [];
  const started = performance.now();
  let answeredBy: string | undefined;
  for (const candidate of searchCandidates(target.name, conf)) {
    const asked = await Promise.all(
      (['A', 'AAAA'] as const).map(async (type) => {
        const start = performance.now();
        try {
          const addresses = type === 'A' ? await resolver.resolve4(candidate) : await resolver.resolve6(candidate);
          return { name: candidate, type, outcome: addresses.length ? ('resolved' as const) : ('nodata' as const), ms: elapsed(start) };
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          return { name: candidate, type, outcome: code === 'ENODATA' ? ('nodata' as const) : (DNS_OUTCOMES[code] ?? ('error' as const)), ms: elapsed(start) };
        }
      }),
    );
    queries.push(...asked);
    if (asked.some((q) => q.outcome === 'resolved')) {
      answeredBy = candidate;
      break;
    }
  }
  return {
    name: target.name,
    server: serverText,
    client: sourcePod ? `pod ${sourcePod.namespace}/${sourcePod.name}` : `a pod in ${target.namespace} with default DNS settings`,
    searches: conf.searches,
    ndots: conf.ndots,
    queries,
    ...(answeredBy !== undefined ? { answeredBy } : {}),
    ms: elapsed(started),
  };
}

/** A `--from` source that names no running pod: the diagnosis cannot say anything about that client. */
export class SourceNotFoundError extends Error {}

const CONTROLLER_OF: Record<Exclude<TargetSource['kind'], 'pod' | 'deploy'>, string> = { sts: 'StatefulSet', ds: 'DaemonSet', rs: 'ReplicaSet' };

/** Pods of a `--from` source: the pod itself, or the pods a controller owns (a Deployment through its ReplicaSets). */
export function sourcePods(pods: readonly PodFact[], from: TargetSource): PodFact[] {
  return pods.filter((pod) => {
    if (pod.namespace !== from.namespace) return false;
    if (from.kind === 'pod') return pod.name === from.name;
    if (from.kind === 'deploy') return pod.ownerKind === 'ReplicaSet' && pod.ownerName !== undefined && pod.ownerName.replace(/-[a-z0-9]{5,10}$/, '') === from.name;
    return pod.ownerKind === CONTROLLER_OF[from.kind] && pod.ownerName === from.name;
  });
}

export function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal) addresses.add(a.address);
  return addresses;
}

/**
 * Who the probes stand for and which node their packets leave from. With `--from` that is the
 * client's pod (a running one; ready first); otherwise the configured source (the worker pod, the
 * CLI's machine), placed on its node by matching this machine's addresses to a pod IP or a node
 * InternalIP. The node matters: its kernel forwards the packets and its kube-proxy does the DNAT.
 */
export function probeSource(
  objects: Pick<ObjectFacts, 'pods' | 'nodes'>,
  target: Target,
  opts: Pick<ProbeOptions, 'source'>,
  local: Set<string> = localAddresses(),
): ProbeSource | undefined {
  const from = target.kind === 'svc' || target.kind === 'dns' ? target.from : undefined;
  if (from) {
    const candidates = sourcePods(objects.pods, from).filter((p) => p.phase === 'Running' && !p.deletionTimestamp);
    const pod = candidates.find((p) => p.ready) ?? candidates[0];
    if (!pod) {
      const all = sourcePods(objects.pods, from);
      throw new SourceNotFoundError(
        all.length
          ? `source ${from.kind}/${from.name} in ${from.namespace} has no running pod (${all.map((p) => `${p.name}: ${p.phase}`).join(', ')})`
          : `source ${from.kind}/${from.name} not found in namespace ${from.namespace}`,
      );
    }
    const ranHere = pod.podIP !== undefined && local.has(pod.podIP);
    return {
      description: ranHere
        ? `pod ${pod.namespace}/${pod.name}`
        : `pod ${pod.namespace}/${pod.name} (policies and node path; the probes ran from ${opts.source?.description ?? 'this machine'})`,
      namespace: pod.namespace,
      podLabels: pod.labels,
      ...(pod.serviceAccountName ? { serviceAccount: pod.serviceAccountName } : {}),
      ...(pod.podIP ? { ip: pod.podIP } : {}),
      ...(pod.nodeName ? { node: pod.nodeName } : {}),
      pod: { namespace: pod.namespace, name: pod.name, ...(pod.podIP ? { ip: pod.podIP } : {}) },
    };
  }
  const configured = opts.source;
  if (!configured) return undefined;
  if (configured.node) return configured;
  const pod = objects.pods.find((p) => p.podIP !== undefined && !p.hostNetwork && local.has(p.podIP) && (configured.ip === undefined || p.podIP === configured.ip));
  if (pod) {
    return {
      ...configured,
      namespace: configured.namespace ?? pod.namespace,
      podLabels: configured.podLabels ?? pod.labels,
      ...(pod.serviceAccountName ? { serviceAccount: pod.serviceAccountName } : {}),
      ip: pod.podIP,
      ...(pod.nodeName ? { node: pod.nodeName } : {}),
      pod: { namespace: pod.namespace, name: pod.name, ...(pod.podIP ? { ip: pod.podIP } : {}) },
    };
  }
  const node = objects.nodes.find((n) => n.internalIP !== undefined && local.has(n.internalIP));
  if (node) return { ...configured, node: node.name };
  // No pod owns this address (its lookup failed, or a CNI without pod objects for it): a node whose
  // spec.podCIDR holds it is still where its packets leave from.
  const inCidr = objects.nodes.find((n) => n.podCIDRs.some((cidr) => [...local].some((ip) => ipInCidr(ip, cidr))));
  return inCidr ? { ...configured, node: inCidr.name } : configured;
}

/** Probes run in one batch somewhere else; if that fails, each says why it did not run. */
async function connectElsewhere(planned: PlannedTcpProbe[], connectMany: NonNullable<ProbeOptions['connectMany']>): Promise<TcpProbeFact[]> {
  const runnable = planned.filter((p) => !p.skipDetail);
  const answers = runnable.length ? await connectMany(runnable.map((p) => ({ ip: p.ip, port: p.port }))) : [];
  let next = 0;
  return planned.map(({ skipDetail, ...probe }): TcpProbeFact => {
    if (skipDetail) return { ...probe, outcome: 'skipped', detail: skipDetail, ms: 0 };
    if ('unknown' in answers) return { ...probe, outcome: 'skipped', detail: answers.unknown, ms: 0 };
    const answer = answers[next++];
    return answer ? { ...probe, ...answer } : { ...probe, outcome: 'skipped', detail: 'the pod probe returned no result for it', ms: 0 };
  });
}

export async function runProbes(objects: ObjectFacts, target: Target, opts: ProbeOptions): Promise<ProbeFacts> {
  if (!opts.enabled) {
    return { enabled: false, skipReason: opts.skipReason ?? 'probes disabled', tcp: [], dns: [], ...(opts.source ? { source: opts.source } : {}) };
  }
  if (!isDnsSubdomain(opts.clusterDomain)) throw new Error(`cluster domain "${opts.clusterDomain}" is not a DNS name`);
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error(`probe timeoutMs must be positive (got ${opts.timeoutMs})`);

  const service = target.kind === 'svc' ? objects.services.find((candidate) => candidate.name === target.name && candidate.namespace === target.namespace) : undefined;

  const plannedTcp = service ? planServiceProbes(service, objects) : [];
  const tcp = opts.connectMany
    ? await connectElsewhere(plannedTcp, opts.connectMany)
    : await mapWithConcurrency(plannedTcp, opts.concurrency, async ({ skipDetail, ...probe }): Promise<TcpProbeFact> => {
        if (skipDetail) return { ...probe, outcome: 'skipped', detail: skipDetail, ms: 0 };
        return { ...probe, ...(await probeTcp(probe.ip, probe.port, opts.timeoutMs)) };
      });

  const names = planDnsNames(
    service,
    target,
    opts.clusterDomain,
    externalProbeName(
      opts,
      target,
      objects.namespaces.map((n) => n.name),
    ),
  );
  const server = dnsServerOf(objects, opts);
  let dns: DnsProbeFact[];
  if (typeof server === 'string') {
    dns = names.map(({ name, purpose }) => ({ name, purpose, type: 'A', outcome: 'skipped', detail: server, ms: 0 }));
  } else {
    const serverText = isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
    const resolver = new Resolver({ timeout: opts.timeoutMs, tries: 1 });
    resolver.setServers([serverText]);
    const serviceIsIPv6 = service?.clusterIP !== undefined && isIP(service.clusterIP) === 6;
    const serverIsIPv6 = isIP(server.host) === 6;
    dns = await mapWithConcurrency(names, opts.concurrency, ({ name, purpose }) =>
      probeDns(resolver, serverText, name, purpose, (purpose === 'service' ? serviceIsIPv6 : serverIsIPv6) ? 'AAAA' : 'A'),
    );
  }
  const control = `kubernetes.default.svc.${opts.clusterDomain}`;
  dns.push(...(await mapWithConcurrency(dnsEndpoints(objects, opts), opts.concurrency, (endpoint) => probeDnsEndpoint(endpoint, control, opts.timeoutMs))));
  const searchExpansion = await probeSearchExpansion(objects, target, opts, server);

  return { enabled: true, ...(opts.source ? { source: opts.source } : {}), tcp, dns, ...(searchExpansion ? { searchExpansion } : {}) };
}
