// The embedded demo cluster `npm start` diagnoses when there is no KUBECONFIG: our API server
// holding the shop's objects, a real data plane on loopback, cluster DNS and one node agent per
// node. Everything binds 127.<block>.x.y; when another demo (a parallel test) holds the block we
// move to another one, so any number of demos can run side by side.

import { randomBytes, randomInt } from 'node:crypto';
import { startAgentServer, type AgentServer } from '../agent/server.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../testkit/kube-api-server.js';
import { startDataPlane, type DataPlane } from './dataplane.js';
import { startDemoDnsServer, type DemoDnsServer, type DnsLookupResult } from './dns-server.js';
import { DEMO_DNS_PORT, demoObjects, dnsClusterIP, nodeIP, type DemoLayout } from './objects.js';
import type { NodeKernelFacts } from '../model/index.js';

export interface DemoClusterOptions {
  /** Second octet of the demo's addresses; default 0, or a free random block if 0 is taken. */
  block?: number;
}

export interface DemoCluster {
  kubeconfigPath: string;
  api: KubeApiServerHandle;
  /** kube-dns ClusterIP and port (also in the kube-dns Service). */
  dnsServer: { host: string; port: number };
  /** Node agents: one per node on its InternalIP, all on this port, all with this token. */
  agents: { port: number; token: string };
  /** The address block in use (127.<block>.0.0/16). */
  block: number;
  /** Every "ip:port" the demo listens on (TCP; DNS also on UDP at its addresses). */
  listening: string[];
  close(): Promise<void>;
}

const CLUSTER_DOMAIN = 'svc.cluster.local';
const MAX_ATTEMPTS = 6;

/** RFC 2606 reserves .invalid: such a name cannot resolve anywhere, so we may say so without asking. */
const NEVER_RESOLVES = /\.invalid\.?$/;

function lookupIn(api: KubeApiServerHandle, name: string, depth = 0): DnsLookupResult {
  const suffix = `.${CLUSTER_DOMAIN}`;
  if (!name.endsWith(suffix)) return { kind: 'nxdomain' };
  const parts = name.slice(0, -suffix.length).split('.');
  if (parts.length !== 2) return { kind: 'nxdomain' };
  const [serviceName, namespace] = parts as [string, string];
  const service = api.get('Service', namespace, serviceName) as { spec?: { type?: string; clusterIP?: string; externalName?: string } } | undefined;
  if (!service?.spec) return { kind: 'nxdomain' };
  if (service.spec.type === 'ExternalName' && service.spec.externalName) {
    const target = service.spec.externalName.toLowerCase().replace(/\.$/, '');
    const inCluster = target.endsWith(suffix) && depth < 8;
    const then = inCluster ? lookupIn(api, target, depth + 1) : NEVER_RESOLVES.test(target) ? { kind: 'nxdomain' as const } : ('unknown' as const);
    return { kind: 'cname', target, then };
  }
  if (service.spec.clusterIP && service.spec.clusterIP !== 'None') return { kind: 'addresses', addresses: [service.spec.clusterIP] };
  // Headless: the ready endpoints' addresses, straight from the Service's slices.
  const addresses = api
    .list('EndpointSlice', namespace)
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === serviceName)
    .flatMap((s) => (s as { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }).endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false)
    .flatMap((e) => e.addresses);
  return { kind: 'addresses', addresses };
}

/** What a healthy node's agent reports: forwarding on, br_netfilter loaded, conntrack far from full. */
export function healthyNodeFacts(podCIDRsOfOtherNodes: string[]): NodeKernelFacts {
  return {
    ipForward: true,
    ipv6Forward: false,
    bridgeNetfilterLoaded: true,
    bridgeNfCallIptables: true,
    bridgeNfCallIp6tables: true,
    conntrack: { count: 1834, max: 262144 },
    rpFilter: { all: 0, default: 0, interfaces: { eth0: 0, cni0: 0, 'flannel.1': 0 } },
    interfaces: [
      { name: 'eth0', mtu: 1500, kind: 'primary', up: true },
      { name: 'cni0', mtu: 1450, kind: 'cni', up: true },
      { name: 'flannel.1', mtu: 1450, kind: 'cni', up: true },
    ],
    routes: [{ destination: '0.0.0.0/0', device: 'eth0' }, ...podCIDRsOfOtherNodes.map((destination) => ({ destination, device: 'flannel.1' }))],
    unknown: {},
    readAt: new Date().toISOString(),
  };
}

function isAddressInUse(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

async function startNodeAgents(layout: DemoLayout, nodeCount: number, podCIDRs: string[], token: string): Promise<AgentServer[]> {
  const agents: AgentServer[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) {
      const others = podCIDRs.filter((_, j) => j !== i);
      agents.push(
        await startAgentServer({
          host: nodeIP(layout, i),
          // The agent gatherer uses one port for every node: the first agent picks it.
          port: agents[0]?.port ?? 0,
          token,
          readFacts: async () => healthyNodeFacts(others),
        }),
      );
    }
  } catch (e) {
    await Promise.all(agents.map((a) => a.close()));
    throw e;
  }
  return agents;
}

async function startInBlock(api: KubeApiServerHandle, block: number): Promise<Omit<DemoCluster, 'api' | 'kubeconfigPath' | 'close'> & { close(): Promise<void> }> {
  const apiAddress = new URL(api.url);
  const layout: DemoLayout = { block, apiServer: { host: apiAddress.hostname, port: Number(apiAddress.port) } };
  const objects = demoObjects(layout);
  const dnsPodIPs = objects.filter((o) => o.kind === 'Pod' && o.metadata.labels?.['k8s-app'] === 'kube-dns').map((o) => (o.status as { podIP: string }).podIP);
  const dnsHosts = [dnsClusterIP(layout), ...dnsPodIPs];
  const podCIDRs = objects.filter((o) => o.kind === 'Node').map((o) => (o.spec as { podCIDR: string }).podCIDR);

  let dns: DemoDnsServer | undefined;
  let dataPlane: DataPlane | undefined;
  let agents: AgentServer[] = [];
  const closeParts = async () => {
    await Promise.all([dns?.close(), dataPlane?.close(), ...agents.map((a) => a.close())]);
  };
  try {
    dns = await startDemoDnsServer({ hosts: dnsHosts, port: DEMO_DNS_PORT, lookup: (name) => lookupIn(api, name) });
    dataPlane = await startDataPlane(objects, [layout.apiServer, ...dnsHosts.map((host) => ({ host, port: DEMO_DNS_PORT }))]);
    const token = randomBytes(32).toString('hex');
    agents = await startNodeAgents(layout, podCIDRs.length, podCIDRs, token);
    for (const obj of objects) api.upsert(obj);
    return {
      dnsServer: { host: dnsClusterIP(layout), port: DEMO_DNS_PORT },
      agents: { port: agents[0]!.port, token },
      block,
      listening: [...dataPlane.listening, ...agents.map((a) => new URL(a.url).host)],
      close: closeParts,
    };
  } catch (e) {
    await closeParts();
    throw e;
  }
}

export async function startDemoCluster(opts: DemoClusterOptions = {}): Promise<DemoCluster> {
  const api = await startKubeApiServer({ host: '127.0.0.1' });
  let block = opts.block ?? 0;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const parts = await startInBlock(api, block);
        return {
          ...parts,
          api,
          kubeconfigPath: api.kubeconfigPath,
          async close() {
            await parts.close();
            await api.close();
          },
        };
      } catch (e) {
        if (!isAddressInUse(e) || opts.block !== undefined || attempt >= MAX_ATTEMPTS) throw e;
        block = randomInt(100, 250);
      }
    }
  } catch (e) {
    await api.close();
    throw new Error(`demo cluster could not start in 127.${block}.0.0/16: ${(e as Error).message}`);
  }
}
