// The demo's data plane, derived from its API objects: a TCP listener for every port of every
// running container at its pod IP, and a forwarding listener at each ClusterIP (and NodePort on
// each node IP) that has a ready endpoint which really accepts. Where kube-proxy would DNAT to
// a pod port nobody listens on, or REJECT for a Service without endpoints, we bind nothing, and
// the caller sees the same ECONNREFUSED it would see in a cluster. Nothing here fakes an outcome.

import net from 'node:net';
import { toEndpointSliceFact, toNodeFact, toPodFact, toServiceFact, type RawObject } from '../kube/convert.js';
import type { KubeObject } from '../testkit/kube-api-server.js';
import type { EndpointSliceFact, NodeFact, PodFact, ServiceFact } from '../model/index.js';

export interface Address {
  host: string;
  port: number;
}

export interface DataPlane {
  /** Every address something listens on, "ip:port". */
  listening: Set<string>;
  close(): Promise<void>;
}

const key = (a: Address): string => `${a.host}:${a.port}`;

class Listeners {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  async listen(address: Address, onConnection: (socket: net.Socket) => void): Promise<void> {
    const server = net.createServer((socket) => {
      this.track(socket);
      onConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => resolve());
    });
    this.servers.push(server);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** What a container's port answers: enough HTTP for curl, and a name to tell replicas apart. */
function servePod(socket: net.Socket, pod: PodFact, port: number): void {
  socket.once('data', () => {
    const body = `${pod.namespace}/${pod.name} answered on ${pod.podIP}:${port}\n`;
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

function forward(client: net.Socket, targets: Address[], next: () => number, listeners: Listeners): void {
  const target = targets[next() % targets.length]!;
  const upstream = net.connect(target.port, target.host);
  listeners.track(upstream);
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

/**
 * Bind the data plane for `objects`. `served` are addresses other demo parts already listen on
 * (DNS server, API server): they count as accepting endpoints but are not bound again.
 */
export async function startDataPlane(objects: KubeObject[], served: Address[]): Promise<DataPlane> {
  const raw = (kind: string) => objects.filter((o) => o.kind === kind) as RawObject[];
  const pods = raw('Pod').map(toPodFact);
  const services = raw('Service').map(toServiceFact);
  const slices = raw('EndpointSlice').map(toEndpointSliceFact);
  const nodes = raw('Node').map(toNodeFact);

  const listeners = new Listeners();
  const listening = new Set<string>(served.map(key));
  try {
    await bindPods(pods, listeners, listening);
    await bindServices(services, slices, nodes, listeners, listening);
  } catch (e) {
    await listeners.close();
    throw e;
  }
  return { listening, close: () => listeners.close() };
}

async function bindPods(pods: PodFact[], listeners: Listeners, listening: Set<string>): Promise<void> {
  const binds: Promise<void>[] = [];
  for (const pod of pods) {
    if (!pod.podIP || pod.hostNetwork || pod.deletionTimestamp) continue;
    for (const container of pod.containers) {
      if (container.state !== 'running') continue;
      for (const port of container.ports) {
        const address = { host: pod.podIP, port: port.containerPort };
        if (port.protocol !== 'TCP' || listening.has(key(address))) continue;
        listening.add(key(address));
        binds.push(listeners.listen(address, (socket) => servePod(socket, pod, port.containerPort)));
      }
    }
  }
  await Promise.all(binds);
}

async function bindServices(services: ServiceFact[], slices: EndpointSliceFact[], nodes: NodeFact[], listeners: Listeners, listening: Set<string>): Promise<void> {
  const binds: Promise<void>[] = [];
  for (const service of services) {
    if (service.type === 'ExternalName' || !service.clusterIP || service.clusterIP === 'None') continue;
    const own = slices.filter((s) => s.namespace === service.namespace && s.serviceName === service.name);
    for (const port of service.ports) {
      if (port.protocol !== 'TCP') continue;
      const targets = own.flatMap((slice) => {
        const slicePort = slice.ports.find((p) => (p.name ?? '') === (port.name ?? '') && p.protocol === 'TCP');
        if (!slicePort) return [];
        return slice.endpoints
          .filter((e) => e.ready !== false)
          .flatMap((e) => e.addresses.map((host) => ({ host, port: slicePort.port })))
          .filter((a) => listening.has(key(a)));
      });
      if (targets.length === 0) continue;
      let turn = 0;
      const next = () => turn++;
      const fronts = [{ host: service.clusterIP, port: port.port }];
      if (port.nodePort) for (const node of nodes) if (node.internalIP) fronts.push({ host: node.internalIP, port: port.nodePort });
      for (const front of fronts) {
        if (listening.has(key(front))) continue;
        listening.add(key(front));
        binds.push(listeners.listen(front, (client) => forward(client, targets, next, listeners)));
      }
    }
  }
  await Promise.all(binds);
}
