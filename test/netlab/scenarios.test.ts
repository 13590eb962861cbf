import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { AGENT_PORT, API_SERVER_PORT, CLIENT_POD, populateCluster } from './cluster.js';
import { buildLab, describeNetlab, type Lab, type LabChild } from './lab.js';
import { withContext } from '../support/with-context.js';

// The real goal: a fault made on a real data plane, diagnosed end to end. The netcheck CLI
// runs inside a pod namespace (its probes leave from that pod), reads the cluster from our API
// server running on node-1, asks the node agents on both nodes, and its JSON verdict must name
// the cause.

const TOKEN = '7'.repeat(64);

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; remediation: string } | null;
  findings: { code: string; status: string; detail: string; evidence: string[] }[];
}

describeNetlab('network lab: scenarios through the engine (CLI in a pod, API server on a node, agents on nodes)', () => {
  let lab: Lab;
  let dns: LabChild;
  let kubeconfigPath: string;
  const agents = new Map<string, LabChild>();
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const started = performance.now();
    lab = await buildLab();
    const cluster = await populateCluster(lab);
    dns = cluster.dns;
    ({ kubeconfigPath } = await lab.startKubeApi('node-1', cluster.objects, API_SERVER_PORT));
    for (const node of lab.nodes) agents.set(node.name, await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT }));
    timings.setup = Math.round(performance.now() - started);
  });

  afterAll(async () => {
    if (!lab) return;
    await lab.teardown();
    const runs = Object.entries(timings)
      .map(([name, ms]) => `${name} ${ms} ms`)
      .join(', ');
    console.info(`[netlab] scenarios: lab build ${lab.timings.buildMs} ms (+ bundling ${lab.timings.bundleMs} ms), teardown ${lab.timings.teardownMs} ms; ${runs}`);
  });

  async function netcheck(name: string, args: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
    const started = performance.now();
    const result = await lab.runNetcheckJson<JsonReport>(CLIENT_POD, args, {
      KUBECONFIG: kubeconfigPath,
      NETCHECK_AGENT_TOKEN: TOKEN,
      NETCHECK_AGENT_PORT: String(AGENT_PORT),
    });
    timings[name] = Math.round(performance.now() - started);
    return result;
  }

  const failing = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => f.code);

  it('healthy: ok', async () => {
    const { code, report } = await netcheck('healthy', ['svc', 'web', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    expect(report.status).toBe('ok');
    expect(report.rootCause).toBeNull();
    expect(code).toBe(0);
  });

  it('ip_forward=0 on the node hosting the endpoint: ip-forward-disabled naming that node', async () => {
    const node = lab.node('node-2');
    await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 0);
    try {
      const { code, report } = await netcheck('ip-forward', ['svc', 'web', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('ip-forward-disabled'));
      expect(report.rootCause?.summary).toContain('node-2');
      expect(report.rootCause?.summary).not.toContain('node-1');
      expect(failing(report)).toEqual(expect.arrayContaining(['endpoint-timeout']));
      expect(code).toBe(1);
    } finally {
      await lab.sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
  });

  it('bridge-nf-call-iptables=0 on the node hosting client and endpoint: bridge-nf-call-iptables-disabled', async () => {
    const node = lab.node('node-1');
    await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 0);
    try {
      const { report } = await netcheck('bridge-nf', ['svc', 'api', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('bridge-nf-call-iptables-disabled'));
      expect(report.rootCause?.summary).toContain('node-1');
      expect(failing(report)).toEqual(expect.arrayContaining(['clusterip-timeout']));
      // Pod-to-pod traffic is bridged without DNAT, so it still works: only the Service path breaks.
      expect(report.findings.find((f) => f.code === 'endpoint-timeout')?.status).toBe('pass');
    } finally {
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 1);
    }
  });

  it('br_netfilter not loaded (no /proc/sys/net/bridge on the node): bridge-nf-call-iptables-disabled saying so', async () => {
    const node = lab.node('node-1');
    // A node without the module: bridged traffic skips iptables, and the agent finds no
    // /proc/sys/net/bridge (a tmpfs hides it in the agent's mount namespace).
    await agents.get(node.name)?.stop();
    agents.set(node.name, await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT, maskBridgeSysctls: true }));
    await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 0);
    try {
      const { report } = await netcheck('br-netfilter-missing', ['svc', 'api', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('bridge-nf-call-iptables-disabled'));
      const cause = report.findings.find((f) => f.code === 'bridge-nf-call-iptables-disabled');
      expect(cause?.detail).toContain('node-1 (br_netfilter not loaded)');
    } finally {
      await lab.sysctl(node.ns, 'net.bridge.bridge-nf-call-iptables', 1);
      await agents.get(node.name)?.stop();
      agents.set(node.name, await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT }));
    }
  });

  it('wrong targetPort: target-port-mismatch', async () => {
    const { report } = await netcheck('target-port', ['svc', 'orders', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('target-port-mismatch'));
    expect(failing(report)).toEqual(expect.arrayContaining(['clusterip-refused']));
  });

  it('no endpoints (kube-proxy REJECT): the API-side cause, selector-matches-no-pods', async () => {
    const { report } = await netcheck('no-endpoints', ['svc', 'cart', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('selector-matches-no-pods'));
    expect(failing(report)).toEqual(expect.arrayContaining(['clusterip-refused']));
  });

  it('a NetworkPolicy enforced by a drop rule: network-policy-denies', async () => {
    const { report } = await netcheck('network-policy', ['svc', 'pay', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('network-policy-denies'));
    expect(failing(report)).toEqual(expect.arrayContaining(['endpoint-timeout']));
  });

  it("internalTrafficPolicy Local and no endpoint on the client's node: kube-proxy drops, internal-traffic-local-no-endpoint", async () => {
    const { report } = await netcheck('itp-local', ['svc', 'cache', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('internal-traffic-local-no-endpoint'));
    expect(report.rootCause?.summary).toContain('node-1');
    // The endpoint itself answers; only the Service path from node-1 is dropped (a timeout, not a reject).
    expect(report.findings.find((f) => f.code === 'clusterip-timeout')?.status).toBe('fail');
    expect(report.findings.find((f) => f.code === 'endpoint-timeout')?.status).toBe('pass');
    expect(report.findings.find((f) => f.code === 'kube-proxy-rules-stale')?.status).toBe('pass');
  });

  it("internalTrafficPolicy Local with an endpoint on the client's node: ok", async () => {
    const { report } = await netcheck('itp-local-healthy', ['svc', 'near', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    expect(report.status).toBe('ok');
  });

  // Last: it stops the DNS server for good.
  it('DNS server stopped: cluster-dns-down', async () => {
    await dns.stop();
    const { report } = await netcheck('dns-down', ['dns', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('cluster-dns-down'));
  });
});
