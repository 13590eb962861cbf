// The demo cluster's data plane is real: its listeners accept or refuse, its DNS server answers
// over UDP, and its node agents serve facts. Each claim is checked over loopback sockets.

import { Resolver } from 'node:dns/promises';
import { request } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { serviceObject } from '../../lib/testkit/kube-objects.js';

type Outcome = { outcome: 'connected'; reply: string } | { outcome: string; reply?: undefined };

/** Connect, send one HTTP request, read the answer; or report the errno the connect failed with. */
function connectAndAsk(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ outcome: 'timeout' });
    }, 5000);
    socket.on('connect', () => socket.write(`GET / HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      clearTimeout(deadline);
      resolve({ outcome: 'connected', reply: Buffer.concat(chunks).toString() });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      resolve({ outcome: e.code ?? 'error' });
    });
  });
}

function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo cluster', () => {
  let demo: DemoCluster;
  let ip: (suffix: string) => string;
  let resolver: Resolver;

  beforeAll(async () => {
    demo = await startDemoCluster();
    ip = (suffix) => `127.${demo.block}.${suffix}`;
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`${demo.dnsServer.host}:${demo.dnsServer.port}`]);
  });
  afterAll(() => demo?.close());

  it('binds loopback addresses only', () => {
    expect(demo.listening.length).toBeGreaterThan(10);
    for (const address of demo.listening) expect(address).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
  });

  it('forwards a healthy ClusterIP to a ready pod that answers', async () => {
    const result = await connectAndAsk(ip('3.11'), 80);
    expect(result.outcome).toBe('connected');
    expect(result.reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(result.reply).toMatch(/shop\/checkout-\S+ answered on 127\.\d+\.2\.\d+:8080/);
  });

  it('refuses a ClusterIP whose selector matches no pods, while the mislabelled pods themselves accept', async () => {
    expect((await connectAndAsk(ip('3.12'), 80)).outcome).toBe('ECONNREFUSED');
    const pod = demo.api.list('Pod', 'shop').find((p) => p.metadata.labels?.app === 'payments')!;
    const podIP = (pod.status as { podIP: string }).podIP;
    const direct = await connectAndAsk(podIP, 8080);
    expect(direct.outcome).toBe('connected');
    expect(direct.reply).toContain(`shop/${pod.metadata.name}`);
  });

  it('refuses the crash-looping cart: no ready endpoint behind the ClusterIP, nothing listening in the pods', async () => {
    expect((await connectAndAsk(ip('3.13'), 80)).outcome).toBe('ECONNREFUSED');
    const pod = demo.api.list('Pod', 'shop').find((p) => p.metadata.labels?.app === 'cart')!;
    expect((await connectAndAsk((pod.status as { podIP: string }).podIP, 8080)).outcome).toBe('ECONNREFUSED');
  });

  it('refuses inventory on its wrong targetPort 8081 while the container answers on 8080', async () => {
    const pod = demo.api.list('Pod', 'shop').find((p) => p.metadata.labels?.app === 'inventory')!;
    const podIP = (pod.status as { podIP: string }).podIP;
    expect((await connectAndAsk(podIP, 8081)).outcome).toBe('ECONNREFUSED');
    expect((await connectAndAsk(podIP, 8080)).outcome).toBe('connected');
    expect((await connectAndAsk(ip('3.14'), 80)).outcome).toBe('ECONNREFUSED');
  });

  it('serves the pending LoadBalancer through its ClusterIP and its NodePort on every node', async () => {
    expect((await connectAndAsk(ip('3.15'), 80)).outcome).toBe('connected');
    for (const node of ['1.1', '1.2', '1.3']) {
      const result = await connectAndAsk(ip(node), 30080);
      expect(result.outcome).toBe('connected');
      expect(result.reply).toContain('shop/frontend-');
    }
  });

  it('reaches the API server through the kubernetes ClusterIP', async () => {
    const { status, body } = await httpGet(`http://${ip('3.1')}:443/api/v1/namespaces/shop/services/payments`);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ kind: 'Service', metadata: { name: 'payments' } });
  });

  it('answers A records for services, NXDOMAIN for unknown names, and follows the live store', async () => {
    expect(await resolver.resolve4('checkout.shop.svc.cluster.local')).toEqual([ip('3.11')]);
    expect(await resolver.resolve4('kubernetes.default.svc.cluster.local')).toEqual([ip('3.1')]);
    await expect(resolver.resolve4('nope.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('ledger.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });

    demo.api.upsert(serviceObject({ namespace: 'shop', name: 'reviews', clusterIP: ip('3.40'), selector: { app: 'reviews' }, ports: [{ port: 80 }] }));
    expect(await resolver.resolve4('reviews.shop.svc.cluster.local')).toEqual([ip('3.40')]);
    demo.api.remove('Service', 'shop', 'reviews');
    await expect(resolver.resolve4('reviews.shop.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers on the CoreDNS pod IPs too, as the kube-dns endpoints say', async () => {
    const slice = demo.api.list('EndpointSlice', 'kube-system').find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns')!;
    const endpoints = (slice as unknown as { endpoints: { addresses: string[] }[] }).endpoints;
    for (const endpoint of endpoints) {
      const direct = new Resolver({ timeout: 2000, tries: 1 });
      direct.setServers([`${endpoint.addresses[0]}:${demo.dnsServer.port}`]);
      expect(await direct.resolve4('payments.shop.svc.cluster.local')).toEqual([ip('3.12')]);
    }
  });

  it('runs a node agent on each node InternalIP that wants the token', async () => {
    for (const node of ['1.1', '1.2', '1.3']) {
      const url = `http://${ip(node)}:${demo.agents.port}/facts`;
      expect((await httpGet(url)).status).toBe(401);
      const { status, body } = await httpGet(url, { authorization: `Bearer ${demo.agents.token}` });
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ ipForward: true, bridgeNfCallIptables: true });
    }
  });

  it('runs side by side with a second demo in another address block, and close() frees everything', async () => {
    const second = await startDemoCluster();
    let closed = false;
    try {
      expect(second.block).not.toBe(demo.block);
      expect((await connectAndAsk(`127.${second.block}.3.11`, 80)).outcome).toBe('connected');
      await second.close();
      closed = true;
      for (const address of second.listening) {
        const [host, port] = address.split(':') as [string, string];
        expect((await connectAndAsk(host, Number(port))).outcome).toBe('ECONNREFUSED');
      }
    } finally {
      if (!closed) await second.close();
    }
  });
});
