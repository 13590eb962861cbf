import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NodeAgentFact, NodeKernelFacts, ProbeFacts, ServiceFact, TcpProbeFact } from '../../lib/model/index.js';
import { emptyObjectFacts, type ObjectFacts } from '../../lib/gather/types.js';
import type { ProbeOptions } from '../../lib/gather/probes.js';
import { buildLab, CLUSTER_DOMAIN, describeNetlab, type Lab, type LabChild } from './lab.js';

// Node facts, probes and the agent on a real two-node data plane. Each fault is made the way it
// happens on a node (a sysctl, a kube-proxy rule, a dropped port, a stopped DNS server) and the
// classification is read back from real sockets.

const TOKEN = 'f'.repeat(64);
const AGENT_PORT = 9807;
const WEB_IP = '10.96.0.20';
const WRONG_PORT_IP = '10.96.0.21';
const EMPTY_IP = '10.96.0.22';
const DNS_IP = '10.96.0.10';

describeNetlab('network lab: node facts, probes and agent', () => {
  let lab: Lab;
  let dnsmasq: LabChild;

  beforeAll(async () => {
    lab = await buildLab();
    await lab.addPod('client', { node: 'node-1' });
    await lab.addPod('web-near', { node: 'node-1' });
    await lab.addPod('web-far', { node: 'node-2' });
    await lab.addPod('dns', { node: 'node-1', host: 53 });
    await lab.startTcpServer('web-near', [8080]);
    await lab.startTcpServer('web-far', [8080]);
    await lab.setService('web', { clusterIP: WEB_IP, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], endpoints: [lab.pod('web-far').ip] });
    await lab.setService('web-wrong-port', { clusterIP: WRONG_PORT_IP, ports: [{ port: 80, protocol: 'TCP', targetPort: 9090 }], endpoints: [lab.pod('web-far').ip] });
    await lab.setService('web-empty', { clusterIP: EMPTY_IP, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], endpoints: [] });
    await lab.setService('kube-dns', { clusterIP: DNS_IP, ports: [{ port: 53, protocol: 'UDP', targetPort: 53 }], endpoints: [lab.pod('dns').ip] });
    dnsmasq = await lab.startDns('dns', { [`web.shop.svc.${CLUSTER_DOMAIN}`]: WEB_IP, [`kubernetes.default.svc.${CLUSTER_DOMAIN}`]: '10.96.0.1' });
    for (const node of lab.nodes) await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT });
  });

  afterAll(async () => {
    if (!lab) return;
    await lab.teardown();
    console.info(`[netlab] pieces lab: build ${lab.timings.buildMs} ms (+ bundling ${lab.timings.bundleMs} ms), teardown ${lab.timings.teardownMs} ms`);
  });

  const service = (name: string, clusterIP: string): ServiceFact => ({
    namespace: 'shop',
    name,
    type: 'ClusterIP',
    clusterIP,
    selector: { app: name },
    ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
  });

  function objects(services: ServiceFact[], endpoints: { ip: string; pod: string; node: string }[] = []): ObjectFacts {
    return {
      ...emptyObjectFacts(),
      services,
      endpointSlices: services.map((svc) => ({
        namespace: 'shop',
        name: `${svc.name}-x`,
        serviceName: svc.name,
        addressType: 'IPv4',
        ports: [{ port: 8080, protocol: 'TCP' }],
        endpoints: endpoints.map(({ ip, pod, node }) => ({ addresses: [ip], ready: true, nodeName: node, targetRef: { kind: 'Pod', name: pod, namespace: 'shop' } })),
        source: 'endpointslice',
      })),
    };
  }

  const probeOptions: ProbeOptions = { enabled: true, timeoutMs: 1500, concurrency: 8, clusterDomain: CLUSTER_DOMAIN, dnsServer: { host: DNS_IP, port: 53 } };
  const probeFromClient = (facts: ObjectFacts, name: string, options: ProbeOptions = probeOptions) =>
    lab.callIn<ProbeFacts>(lab.pod('client').ns, 'runProbes', [facts, { kind: 'svc', name, namespace: 'shop', cluster: 'lab' }, options]);
  const outcomes = (tcp: TcpProbeFact[]) => tcp.map(({ role, ip, outcome }) => `${role} ${ip} ${outcome}`);

  it('reads ip_forward and bridge-nf-call-iptables inside a node namespace, and a missing /proc/sys/net/bridge as br_netfilter not loaded', async () => {
    const node = lab.node('node-2');
    const healthy = await lab.callIn<NodeKernelFacts>(node.ns, 'readNodeFacts', []);
    expect(healthy).toMatchObject({ ipForward: true, bridgeNetfilterLoaded: true, bridgeNfCallIptables: true });
    expect(healthy.interfaces.find((iface) => iface.name === 'cbr0')).toMatchObject({ kind: 'cni', up: true });
    expect(healthy.routes).toContainEqual({ destination: '10.244.1.0/24', gateway: '10.250.0.1', device: 'eth0' });
    try {
      await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 0);
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 0);
      const broken = await lab.callIn<NodeKernelFacts>(node.ns, 'readNodeFacts', []);
      expect(broken).toMatchObject({ ipForward: false, bridgeNetfilterLoaded: true, bridgeNfCallIptables: false });
    } finally {
      await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 1);
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 1);
    }
    const masked = await lab.callIn<NodeKernelFacts>(node.ns, 'readNodeFacts', [], { maskBridgeSysctls: true });
    expect(masked).toMatchObject({ ipForward: true, bridgeNetfilterLoaded: false, bridgeNfCallIptables: null });
    expect(masked.unknown.bridgeNfCallIptables).toBe('unknown, because /proc/sys/net/bridge has no bridge-nf-call-iptables (br_netfilter not loaded)');
  });

  it('connects through a ClusterIP to a pod on the other node, and resolves cluster DNS', async () => {
    const web = lab.pod('web-far');
    const probes = await probeFromClient(objects([service('web', WEB_IP)], [{ ip: web.ip, pod: 'web-far', node: 'node-2' }]), 'web');
    expect(outcomes(probes.tcp)).toEqual([`clusterIP ${WEB_IP} connected`, `endpoint ${web.ip} connected`]);
    expect(probes.tcp[1]).toMatchObject({ pod: 'web-far', node: 'node-2', servicePort: 80 });
    expect(probes.dns.map(({ purpose, outcome, addresses }) => ({ purpose, outcome, addresses }))).toEqual([
      { purpose: 'service', outcome: 'resolved', addresses: [WEB_IP] },
      { purpose: 'kubernetes-default', outcome: 'resolved', addresses: ['10.96.0.1'] },
    ]);
  });

  it("classifies a wrong targetPort and kube-proxy's REJECT for a Service without endpoints as refused", async () => {
    const wrong = await probeFromClient(objects([service('web-wrong-port', WRONG_PORT_IP)]), 'web-wrong-port');
    expect(wrong.tcp).toMatchObject([{ role: 'clusterIP', outcome: 'refused', detail: 'ECONNREFUSED' }]);
    const empty = await probeFromClient(objects([service('web-empty', EMPTY_IP)]), 'web-empty');
    expect(empty.tcp).toMatchObject([{ role: 'clusterIP', outcome: 'refused', detail: 'ECONNREFUSED' }]);
    // The DNS answer is NXDOMAIN for names dnsmasq does not know.
    expect(empty.dns[0]).toMatchObject({ name: `web-empty.shop.svc.${CLUSTER_DOMAIN}`, outcome: 'nxdomain' });
  });

  it('times out to an endpoint on a node with ip_forward=0 (SYN, no SYN-ACK)', async () => {
    const web = lab.pod('web-far');
    const node = lab.node('node-2');
    await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 0);
    try {
      const probes = await probeFromClient(objects([service('web', WEB_IP)], [{ ip: web.ip, pod: 'web-far', node: 'node-2' }]), 'web');
      expect(outcomes(probes.tcp)).toEqual([`clusterIP ${WEB_IP} timeout`, `endpoint ${web.ip} timeout`]);
      expect(probes.tcp[1]?.ms).toBeGreaterThanOrEqual(probeOptions.timeoutMs - 50);
    } finally {
      await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
  });

  it('times out to a ClusterIP whose endpoint shares the node when bridge-nf-call-iptables=0', async () => {
    const near = lab.pod('web-near');
    const node = lab.node('node-1');
    await lab.setService('web', { clusterIP: WEB_IP, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], endpoints: [near.ip] });
    const facts = objects([service('web', WEB_IP)], [{ ip: near.ip, pod: 'web-near', node: 'node-1' }]);
    try {
      const healthy = await probeFromClient(facts, 'web');
      expect(outcomes(healthy.tcp)).toEqual([`clusterIP ${WEB_IP} connected`, `endpoint ${near.ip} connected`]);
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 0);
      const broken = await probeFromClient(facts, 'web');
      // The pod's SYN-ACK is bridged straight back, bypassing conntrack's un-DNAT: the client
      // resets it and keeps retrying. Direct pod-to-pod traffic is unaffected.
      expect(outcomes(broken.tcp)).toEqual([`clusterIP ${WEB_IP} timeout`, `endpoint ${near.ip} connected`]);
    } finally {
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 1);
      await lab.setService('web', { clusterIP: WEB_IP, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], endpoints: [lab.pod('web-far').ip] });
    }
  });

  it('classifies an address nobody on the bridge answers ARP for as unreachable (EHOSTUNREACH)', async () => {
    const ghost = '10.244.2.200';
    // The kernel gives up on ARP after about 3 s, so the probe deadline must outlast it.
    const probes = await probeFromClient(objects([service('web', WEB_IP)], [{ ip: ghost, pod: 'web-gone', node: 'node-2' }]), 'web', {
      ...probeOptions,
      timeoutMs: 8000,
    });
    expect(probes.tcp.find((probe) => probe.role === 'endpoint')).toMatchObject({ ip: ghost, outcome: 'unreachable', detail: 'EHOSTUNREACH', pod: 'web-gone' });
  });

  it('classifies DNS with UDP 53 dropped as timeout and with the server stopped as refused', async () => {
    await lab.setDrops('node-1', [{ protocol: 'udp', port: 53 }]);
    try {
      const dropped = await probeFromClient(objects([]), 'web', { ...probeOptions, timeoutMs: 800 });
      expect(dropped.dns.map((probe) => [probe.purpose, probe.outcome])).toEqual([
        ['service', 'timeout'],
        ['kubernetes-default', 'timeout'],
      ]);
    } finally {
      await lab.setDrops('node-1', []);
    }
    await dnsmasq.stop();
    const stopped = await probeFromClient(objects([]), 'web');
    expect(stopped.dns.map((probe) => [probe.purpose, probe.outcome, probe.detail])).toEqual([
      ['service', 'refused', 'ECONNREFUSED'],
      ['kubernetes-default', 'refused', 'ECONNREFUSED'],
    ]);
  });

  it('serves node facts over HTTP from the node agents to a pod, only with the token', async () => {
    await lab.sysctl(lab.node('node-2').ns, 'net.ipv4.ip_forward', 0);
    try {
      const nodes = lab.nodes.map((node) => ({
        name: node.name,
        labels: {},
        ready: true,
        networkUnavailable: false,
        internalIP: node.internalIP,
        podCIDRs: [node.podCIDR],
        unschedulable: false,
        taints: [],
      }));
      const names = lab.nodes.map((node) => node.name);
      const answered = await lab.callIn<NodeAgentFact[]>(lab.pod('client').ns, 'fetchNodeAgents', [nodes, names, { port: AGENT_PORT, token: TOKEN, timeoutMs: 3000 }]);
      expect(answered.map(({ node, status, facts }) => [node, status, facts?.ipForward])).toEqual([
        ['node-1', 'ok', true],
        ['node-2', 'ok', false],
      ]);
      const refused = await lab.callIn<NodeAgentFact[]>(lab.pod('client').ns, 'fetchNodeAgents', [nodes, names, { port: AGENT_PORT, token: 'e'.repeat(64), timeoutMs: 3000 }]);
      expect(refused.map(({ node, status, facts }) => [node, status, facts])).toEqual([
        ['node-1', 'unauthorized', undefined],
        ['node-2', 'unauthorized', undefined],
      ]);
    } finally {
      await lab.sysctl(lab.node('node-2').ns, 'net.ipv4.ip_forward', 1);
    }
  });
});
