import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EndpointSliceFact, NodeFact, ServiceFact } from '../../lib/model/index.js';
import { emptyObjectFacts } from '../../lib/gather/types.js';
import { runProbes, type ProbeOptions } from '../../lib/gather/probes.js';

// Probes against real loopback listeners and a real UDP DNS server (dns-packet on a socket).
// Timeouts caused by a dropping data plane are proven in the netns lab (test/netlab); here a
// DNS server that never answers stands in for one.

const DOMAIN = 'cluster.local';
const SERVFAIL = 2;
const NXDOMAIN = 3;

let web: Server;
let webPort: number;
let closedPort: number;
let dns: UdpSocket;
let silentDns: UdpSocket;
let closedUdpPort: number;
const dnsQueries: string[] = [];

function startDnsServer(): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    dnsQueries.push(question.name);
    const answers: dnsPacket.Answer[] = [];
    let rcode = 0;
    if (question.name === `web.shop.svc.${DOMAIN}`) answers.push({ type: 'A', name: question.name, ttl: 5, data: '127.0.0.1' });
    else if (question.name === `kubernetes.default.svc.${DOMAIN}`) answers.push({ type: 'A', name: question.name, ttl: 5, data: '127.0.0.9' });
    else if (question.name === 'broken.example.test') rcode = SERVFAIL;
    else rcode = NXDOMAIN;
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | rcode,
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, remote.port, remote.address);
  });
  socket.bind(0, '127.0.0.1');
  return once(socket, 'listening').then(() => socket);
}

function service(overrides: Partial<ServiceFact>): ServiceFact {
  return { namespace: 'shop', name: 'web', type: 'ClusterIP', clusterIP: '127.0.0.1', selector: { app: 'web' }, ports: [], ...overrides };
}

function slice(endpoints: EndpointSliceFact['endpoints'], ports: EndpointSliceFact['ports']): EndpointSliceFact {
  return { namespace: 'shop', name: 'web-abc', serviceName: 'web', addressType: 'IPv4', ports, endpoints, source: 'endpointslice' };
}

function options(overrides: Partial<ProbeOptions> = {}): ProbeOptions {
  const { port } = dns.address();
  return { enabled: true, timeoutMs: 5000, concurrency: 4, clusterDomain: DOMAIN, dnsServer: { host: '127.0.0.1', port }, ...overrides };
}

const target = { kind: 'svc' as const, name: 'web', namespace: 'shop', cluster: 'lab' };

beforeAll(async () => {
  web = createServer((socket) => socket.end());
  web.listen(0, '127.0.0.1');
  await once(web, 'listening');
  webPort = (web.address() as AddressInfo).port;
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPort = (probe.address() as AddressInfo).port;
  probe.close();
  dns = await startDnsServer();
  silentDns = createSocket('udp4');
  silentDns.bind(0, '127.0.0.1');
  await once(silentDns, 'listening');
  const closedUdp = createSocket('udp4');
  closedUdp.bind(0, '127.0.0.1');
  await once(closedUdp, 'listening');
  closedUdpPort = closedUdp.address().port;
  closedUdp.close();
});

afterAll(() => {
  web?.close();
  dns?.close();
  silentDns?.close();
});

describe('runProbes', () => {
  it('does nothing when disabled and says why', async () => {
    const probes = await runProbes(emptyObjectFacts(), target, { ...options(), enabled: false, skipReason: 'the worker runs outside the cluster network' });
    expect(probes).toEqual({ enabled: false, skipReason: 'the worker runs outside the cluster network', tcp: [], dns: [] });
    expect(dnsQueries).toEqual([]);
  });

  it('connects to the ClusterIP and endpoints, classifies refusals, and skips UDP with a reason', async () => {
    const objects = emptyObjectFacts();
    objects.services.push(
      service({
        ports: [
          { name: 'http', port: webPort, targetPort: webPort, protocol: 'TCP' },
          { name: 'metrics', port: closedPort, targetPort: closedPort, protocol: 'TCP' },
          { name: 'syslog', port: 514, targetPort: 514, protocol: 'UDP' },
        ],
      }),
    );
    objects.endpointSlices.push(
      slice(
        [
          { addresses: ['127.0.0.1'], ready: true, nodeName: 'node-a', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } },
          { addresses: ['127.0.0.2'], ready: false, nodeName: 'node-b', targetRef: { kind: 'Pod', name: 'web-2', namespace: 'shop' } },
        ],
        [
          { name: 'http', port: webPort, protocol: 'TCP' },
          { name: 'metrics', port: closedPort, protocol: 'TCP' },
        ],
      ),
    );
    const source = { namespace: 'netcheck', podLabels: { app: 'netcheck' }, description: 'pod netcheck/worker' };
    const probes = await runProbes(objects, target, options({ source }));

    expect(probes.enabled).toBe(true);
    expect(probes.source).toEqual(source);
    const summary = probes.tcp.map(({ role, ip, port, servicePort, pod, node, outcome, detail }) => ({ role, ip, port, servicePort, pod, node, outcome, detail }));
    expect(summary).toEqual([
      { role: 'clusterIP', ip: '127.0.0.1', port: webPort, servicePort: webPort, pod: undefined, node: undefined, outcome: 'connected', detail: undefined },
      { role: 'clusterIP', ip: '127.0.0.1', port: closedPort, servicePort: closedPort, pod: undefined, node: undefined, outcome: 'refused', detail: 'ECONNREFUSED' },
      {
        role: 'clusterIP',
        ip: '127.0.0.1',
        port: 514,
        servicePort: 514,
        pod: undefined,
        node: undefined,
        outcome: 'skipped',
        detail: 'UDP not probed: only TCP connects prove reachability',
      },
      { role: 'endpoint', ip: '127.0.0.1', port: webPort, servicePort: webPort, pod: 'web-1', node: 'node-a', outcome: 'connected', detail: undefined },
      { role: 'endpoint', ip: '127.0.0.1', port: closedPort, servicePort: closedPort, pod: 'web-1', node: 'node-a', outcome: 'refused', detail: 'ECONNREFUSED' },
    ]);
    for (const probe of probes.tcp) expect(probe.ms).toBeGreaterThanOrEqual(0);
  });

  it('probes NodePorts on node addresses, hosting nodes first (only node-b listens)', async () => {
    const objects = emptyObjectFacts();
    objects.services.push(service({ type: 'NodePort', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP', nodePort: webPort }] }));
    const node = (name: string, internalIP: string): NodeFact => ({
      name,
      labels: {},
      ready: true,
      networkUnavailable: false,
      internalIP,
      podCIDRs: [],
      unschedulable: false,
      taints: [],
    });
    objects.nodes.push(node('node-a', '127.0.0.3'), node('node-b', '127.0.0.1'));
    objects.endpointSlices.push(slice([{ addresses: ['127.0.0.1'], ready: true, nodeName: 'node-b' }], [{ port: closedPort, protocol: 'TCP' }]));
    const probes = await runProbes(objects, { ...target }, options());
    const nodePorts = probes.tcp.filter((probe) => probe.role === 'nodePort');
    expect(nodePorts.map(({ node, ip, port, outcome }) => ({ node, ip, port, outcome }))).toEqual([
      { node: 'node-b', ip: '127.0.0.1', port: webPort, outcome: 'connected' },
      { node: 'node-a', ip: '127.0.0.3', port: webPort, outcome: 'refused' },
    ]);
  });

  it('resolves the service and kubernetes.default, and classifies NXDOMAIN and SERVFAIL', async () => {
    const objects = emptyObjectFacts();
    objects.services.push(service({ name: 'db', type: 'ExternalName', clusterIP: undefined, externalName: 'broken.example.test', ports: [] }));
    const resolved = await runProbes(objects, target, options());
    expect(resolved.dns.map(({ name, purpose, outcome, addresses }) => ({ name, purpose, outcome, addresses }))).toEqual([
      { name: `web.shop.svc.${DOMAIN}`, purpose: 'service', outcome: 'resolved', addresses: ['127.0.0.1'] },
      { name: `kubernetes.default.svc.${DOMAIN}`, purpose: 'kubernetes-default', outcome: 'resolved', addresses: ['127.0.0.9'] },
    ]);

    const external = await runProbes(objects, { ...target, name: 'db' }, options());
    expect(external.tcp).toEqual([]);
    expect(external.dns.map(({ name, purpose, outcome, detail }) => ({ name, purpose, outcome, detail }))).toEqual([
      { name: `db.shop.svc.${DOMAIN}`, purpose: 'service', outcome: 'nxdomain', detail: 'ENOTFOUND' },
      { name: `kubernetes.default.svc.${DOMAIN}`, purpose: 'kubernetes-default', outcome: 'resolved', detail: undefined },
      { name: 'broken.example.test', purpose: 'external-name', outcome: 'servfail', detail: 'ESERVFAIL' },
    ]);
    expect(external.dns[0]?.server).toBe(`127.0.0.1:${dns.address().port}`);
  });

  it('defaults the DNS server to the kube-dns Service ClusterIP and its DNS port', async () => {
    const objects = emptyObjectFacts();
    objects.dns = {
      service: service({
        namespace: 'kube-system',
        name: 'kube-dns',
        clusterIP: '127.0.0.1',
        ports: [
          { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' },
          { name: 'dns', port: dns.address().port, targetPort: 53, protocol: 'UDP' },
        ],
      }),
      endpointSlices: [],
    };
    const { dnsServer: _ignored, ...withoutServer } = options();
    const probes = await runProbes(objects, { kind: 'dns', namespace: 'shop', cluster: 'lab' }, withoutServer);
    expect(probes.dns).toMatchObject([
      { purpose: 'kubernetes-default', outcome: 'resolved', server: `127.0.0.1:${dns.address().port}` },
      // A dns job also asks one name outside the cluster, which CoreDNS must forward upstream.
      { purpose: 'external', name: 'kubernetes.io', outcome: 'nxdomain', server: `127.0.0.1:${dns.address().port}` },
    ]);
  });

  it('dns <name>: walks the search list of a default pod in the namespace, A and AAAA per candidate, until one answers', async () => {
    const dnsTarget = { kind: 'dns' as const, namespace: 'shop', cluster: 'lab' };
    const short = await runProbes(emptyObjectFacts(), { ...dnsTarget, name: 'web' }, options());
    expect(short.searchExpansion).toMatchObject({ client: 'a pod in shop with default DNS settings', ndots: 5, answeredBy: `web.shop.svc.${DOMAIN}` });
    expect(short.searchExpansion?.queries.map((q) => `${q.type} ${q.name} ${q.outcome}`)).toEqual([`A web.shop.svc.${DOMAIN} resolved`, `AAAA web.shop.svc.${DOMAIN} nodata`]);

    const external = await runProbes(emptyObjectFacts(), { ...dnsTarget, name: 'example.test' }, options());
    const asked = external.searchExpansion?.queries.map((q) => `${q.type} ${q.name}`);
    expect(asked).toEqual(
      [`example.test.shop.svc.${DOMAIN}`, `example.test.svc.${DOMAIN}`, `example.test.${DOMAIN}`, 'example.test'].flatMap((name) => [`A ${name}`, `AAAA ${name}`]),
    );
    expect(external.searchExpansion?.answeredBy).toBeUndefined();
    // The queries really reached the server.
    expect(dnsQueries.filter((q) => q.startsWith('example.test'))).toEqual(expect.arrayContaining([`example.test.shop.svc.${DOMAIN}`, 'example.test']));

    const absolute = await runProbes(emptyObjectFacts(), { ...dnsTarget, name: 'example.test.' }, options());
    expect(absolute.searchExpansion?.queries.map((q) => q.name)).toEqual(['example.test', 'example.test']);
  });

  it('asks the configured external name through cluster DNS, as sent (no search list)', async () => {
    const probes = await runProbes(emptyObjectFacts(), { kind: 'dns', namespace: 'shop', cluster: 'lab' }, options({ externalName: 'broken.example.test' }));
    expect(probes.dns.find((p) => p.purpose === 'external')).toMatchObject({ name: 'broken.example.test', outcome: 'servfail' });
    expect(dnsQueries).toContain('broken.example.test');
    expect(dnsQueries.filter((q) => q.startsWith('broken.example.test.'))).toEqual([]);
  });

  it('asks every ready CoreDNS endpoint directly, naming its pod and node', async () => {
    const port = dns.address().port;
    // A second "replica" on another loopback address and the same port that fails every lookup.
    const bad = createSocket('udp4');
    bad.on('message', (message, remote) => {
      const query = dnsPacket.decode(message);
      bad.send(
        dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: dnsPacket.RECURSION_DESIRED | SERVFAIL, questions: query.questions ?? [] }),
        remote.port,
        remote.address,
      );
    });
    bad.bind(port, '127.0.0.2');
    await once(bad, 'listening');
    try {
      const objects = emptyObjectFacts();
      const endpoint = (ip: string, pod: string, node: string, ready: boolean | null = true) => ({
        addresses: [ip],
        ready,
        nodeName: node,
        targetRef: { kind: 'Pod', name: pod, namespace: 'kube-system' },
      });
      objects.dns = {
        endpointSlices: [
          {
            ...slice(
              [endpoint('127.0.0.1', 'coredns-a', 'node-1'), endpoint('127.0.0.2', 'coredns-b', 'node-2'), endpoint('127.0.0.4', 'coredns-d', 'node-2', false)],
              [{ name: 'dns', port: 53, protocol: 'UDP' }],
            ),
            namespace: 'kube-system',
            serviceName: 'kube-dns',
          },
        ],
      };
      const probes = await runProbes(objects, { kind: 'dns', namespace: 'shop', cluster: 'lab' }, options());
      const direct = probes.dns.filter((p) => p.purpose === 'dns-endpoint');
      // The not-ready endpoint gets no traffic from kube-proxy, so it is not asked either.
      expect(direct.map((p) => [p.server, p.outcome, p.pod, p.node])).toEqual([
        [`127.0.0.1:${port}`, 'resolved', 'coredns-a', 'node-1'],
        [`127.0.0.2:${port}`, 'servfail', 'coredns-b', 'node-2'],
      ]);
      expect(direct[0]?.name).toBe(`kubernetes.default.svc.${DOMAIN}`);
    } finally {
      bad.close();
    }
  });

  it('skips DNS with a reason when there is no kube-dns Service and no server given', async () => {
    const { dnsServer: _ignored, ...withoutServer } = options();
    const probes = await runProbes(emptyObjectFacts(), target, withoutServer);
    expect(probes.dns.map((probe) => [probe.outcome, probe.detail])).toEqual([
      ['skipped', 'the kube-dns Service was not found, so there is no cluster DNS server to ask'],
      ['skipped', 'the kube-dns Service was not found, so there is no cluster DNS server to ask'],
    ]);
  });

  it('classifies a DNS server that is gone as refused and one that never answers as timeout', async () => {
    const gone = await runProbes(emptyObjectFacts(), target, options({ dnsServer: { host: '127.0.0.1', port: closedUdpPort } }));
    expect(gone.dns.map((probe) => probe.outcome)).toEqual(['refused', 'refused']);
    const silent = await runProbes(emptyObjectFacts(), target, options({ timeoutMs: 300, dnsServer: { host: '127.0.0.1', port: silentDns.address().port } }));
    expect(silent.dns.map((probe) => [probe.outcome, probe.detail])).toEqual([
      ['timeout', 'ETIMEOUT'],
      ['timeout', 'ETIMEOUT'],
    ]);
  });

  it('rejects a cluster domain that is not a DNS name', async () => {
    await expect(runProbes(emptyObjectFacts(), target, options({ clusterDomain: 'cluster local;' }))).rejects.toThrow(/cluster domain "cluster local;" is not a DNS name/);
  });
});
