import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { AGENT_PORT, API_SERVER_PORT, CLIENT_POD, populateCluster } from './cluster.js';
import { buildLab, describeNetlab, type Lab, type LabOptions } from './lab.js';
import { withContext } from '../support/with-context.js';

// The data path end to end: the netcheck CLI runs in a client pod on node-1, the Service's pod
// lives on node-2, and each fault is made on a real data plane — on the client's node or on the
// endpoint's node, with a bridge CNI and with a routed CNI behind a router. The verdict must name
// the cause and the node; a healthy control runs before and after every fault class.

const TOKEN = '9'.repeat(64);

interface JsonSubject {
  kind: string;
  name: string;
  namespace?: string;
}

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; subjects: JsonSubject[] } | null;
  source: { description: string; node?: string } | null;
  findings: { code: string; status: string; detail: string; evidence: string[]; explainedBy?: string }[];
}

type Diagnose = (name: string, args: string[], from?: string) => Promise<JsonReport>;

function datapathLab(title: string, options: LabOptions, faults: (ctx: { lab: () => Lab; diagnose: Diagnose }) => void): void {
  describeNetlab(title, () => {
    let lab: Lab;
    let kubeconfigPath: string;
    const timings: Record<string, number> = {};

    beforeAll(async () => {
      lab = await buildLab(options);
      const cluster = await populateCluster(lab);
      ({ kubeconfigPath } = await lab.startKubeApi('node-1', cluster.objects, API_SERVER_PORT));
      for (const node of lab.nodes) await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT, podProbes: true });
    });

    afterAll(async () => {
      if (!lab) return;
      await lab.teardown();
      const runs = Object.entries(timings)
        .map(([name, ms]) => `${name} ${ms} ms`)
        .join(', ');
      console.info(`[netlab] ${title}: build ${lab.timings.buildMs} ms, teardown ${lab.timings.teardownMs} ms; ${runs}`);
    });

    const diagnose: Diagnose = async (name, args, from = CLIENT_POD) => {
      const started = performance.now();
      const { report } = await lab.runNetcheckJson<JsonReport>(from, [...args, '--probe-timeout', '1500'], {
        KUBECONFIG: kubeconfigPath,
        NETCHECK_AGENT_TOKEN: TOKEN,
        NETCHECK_AGENT_PORT: String(AGENT_PORT),
      });
      timings[name] = Math.round(performance.now() - started);
      return report;
    };

    it('healthy control: web (client on node-1, pod on node-2) is ok, and the report names the source node', async () => {
      const report = await diagnose('healthy', ['svc', 'web', '-n', 'shop']);
      expect(problems(report)).toEqual([]);
      expect(report.status).toBe('ok');
      expect(report.source?.node).toBe('node-1');
      expect(report.findings.find((f) => f.code === 'path-mtu-blackhole')?.status).toBe('pass');
      expect(report.findings.find((f) => f.code === 'kube-proxy-rules-stale')?.status).toBe('pass');
    });

    faults({ lab: () => lab, diagnose });

    it('healthy control after every fault: ok again', async () => {
      const report = await diagnose('healthy-after', ['svc', 'web', '-n', 'shop']);
      expect(problems(report)).toEqual([]);
      expect(report.status).toBe('ok');
    });
  });
}

const problems = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => f.code);

function expectRoot(report: JsonReport, code: string, node: string, notNode?: string): void {
  withContext(JSON.stringify(problems(report)), () => expect(report.rootCause?.code).toBe(code));
  expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'node', name: node }));
  if (notNode) expect(report.rootCause?.subjects).not.toContainEqual(expect.objectContaining({ kind: 'node', name: notNode }));
  expect(report.rootCause?.summary).toContain(node);
}

datapathLab('network lab: the data path, bridge CNI', {}, ({ lab, diagnose }) => {
  it("ip_forward=0 on the CLIENT's node: ip-forward-disabled naming node-1, not DNS, not node-2", async () => {
    const node = lab().node('node-1');
    await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 0);
    try {
      const report = await diagnose('client-ip-forward', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'ip-forward-disabled', 'node-1', 'node-2');
      expect(problems(report)).toEqual(expect.arrayContaining(['endpoint-timeout']));
    } finally {
      await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
  });

  it("the client's node lost its route to node-2's pod CIDR: pod-cidr-route-missing naming node-1", async () => {
    await lab().deleteRoute('node-1', lab().node('node-2').podCIDR);
    try {
      const report = await diagnose('client-route', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'pod-cidr-route-missing', 'node-1', 'node-2');
      const node = await diagnose('node-mode-route', ['node', 'node-1']);
      expectRoot(node, 'pod-cidr-route-missing', 'node-1');
    } finally {
      await lab().restoreRoutes('node-1');
    }
  });

  it("FORWARD policy DROP on the endpoint's node: forward-blocked-by-netfilter naming node-2 and its chain", async () => {
    await lab().setForwardPolicy('node-2', 'DROP');
    try {
      const report = await diagnose('forward-drop-endpoint', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'forward-blocked-by-netfilter', 'node-2', 'node-1');
      expect(report.rootCause?.summary).toMatch(/FORWARD/);
      expect(report.findings.find((f) => f.code === 'endpoint-timeout')?.explainedBy).toBe('forward-blocked-by-netfilter');
    } finally {
      await lab().setForwardPolicy('node-2', 'ACCEPT');
    }
  });

  it("a foreign DROP rule on the client's node: forward-blocked-by-netfilter naming node-1 and the rule", async () => {
    await lab().setForeignDrop('node-1', { destination: lab().node('node-2').podCIDR, comment: 'hardening' });
    try {
      const report = await diagnose('foreign-drop-client', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'forward-blocked-by-netfilter', 'node-1', 'node-2');
      const cause = report.findings.find((f) => f.code === 'forward-blocked-by-netfilter');
      expect(cause?.evidence.join('\n')).toContain('hardening');
    } finally {
      await lab().setForeignDrop('node-1', undefined);
    }
  });

  it("kube-proxy on the client's node still DNATs to a gone pod IP: kube-proxy-rules-stale naming node-1 and the IP, with conntrack evidence", async () => {
    // Earlier faults leave their own unreplied entries for minutes: start from a clean table.
    await lab().conntrackFlush('node-1');
    await lab().setServiceOverride('node-1', 'web', { endpoints: ['10.244.2.77'] });
    try {
      const report = await diagnose('stale-kube-proxy', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'kube-proxy-rules-stale', 'node-1');
      expect(report.rootCause?.summary).toContain('10.244.2.77');
      expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'ip', name: '10.244.2.77' }));
      // The pod itself answers: only the Service path through node-1's stale rules is broken.
      expect(report.findings.find((f) => f.code === 'endpoint-timeout')?.status).toBe('pass');
      const conntrack = report.findings.find((f) => f.code === 'conntrack-unreplied');
      withContext(JSON.stringify(conntrack), () => expect(conntrack?.status).toBe('fail'));
      expect(conntrack?.detail).toMatch(/node-1: \d+ of \d+ connections to 10\.96\.0\.20:80\/TCP unreplied in conntrack, DNATed \d+ to 10\.244\.2\.77:8080/);
      expect(conntrack?.explainedBy).toBe('kube-proxy-rules-stale');
    } finally {
      await lab().setServiceOverride('node-1', 'web', undefined);
      await lab().conntrackFlush('node-1');
    }
  });

  it("--from a client with --probe-in-pod: the probes run inside the client pod's namespace through its node's agent (netcheck itself on node-2)", async () => {
    const node = lab().node('node-1');
    const from = ['--from', `netcheck/pod/${CLIENT_POD}`];
    await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 0);
    try {
      // From node-2 itself the pod on node-2 is local: only a probe from the client sees node-1 drop it.
      const local = await diagnose('from-client-local-probes', ['svc', 'web', '-n', 'shop', ...from], 'node-2');
      expect(local.source?.node).toBe('node-1');
      expect(local.source?.description).toMatch(/the probes ran from/);
      expect(local.findings.find((f) => f.code === 'endpoint-timeout')?.status).toBe('pass');
      const inPod = await diagnose('from-client-in-pod', ['svc', 'web', '-n', 'shop', ...from, '--probe-in-pod'], 'node-2');
      expect(inPod.source?.description).toMatch(/inside its network namespace, through node-1's agent/);
      expectRoot(inPod, 'ip-forward-disabled', 'node-1', 'node-2');
      const timeout = inPod.findings.find((f) => f.code === 'endpoint-timeout');
      withContext(JSON.stringify(timeout), () => expect(timeout?.status).toBe('fail'));
      expect(inPod.findings.find((f) => f.code === 'endpoint-timeout')?.explainedBy).toBe('ip-forward-disabled');
    } finally {
      await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
  });

  it('strict rp_filter on the secondary NIC where traffic enters node-2: rp-filter-strict naming node-2', async () => {
    await lab().addSecondaryLink();
    const node = lab().node('node-2');
    await lab().sysctl(node.ns, 'net.ipv4.conf.eth1.rp_filter', 1);
    try {
      const report = await diagnose('rp-filter-secondary', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'rp-filter-strict', 'node-2', 'node-1');
      expect(report.findings.find((f) => f.code === 'rp-filter-strict')?.evidence.join('\n')).toContain('eth1');
    } finally {
      await lab().removeSecondaryLink();
    }
  });
});

datapathLab('network lab: the data path, routed CNI behind a router', { cni: 'routed', router: { mtu: 1500, dropFragNeeded: true } }, ({ lab, diagnose }) => {
  it('an MTU black hole between the nodes (router link at 1400, frag-needed dropped): path-mtu-blackhole naming both nodes, while every handshake passes', async () => {
    await lab().setRouterMtu(1400);
    try {
      const report = await diagnose('mtu-blackhole', ['svc', 'web', '-n', 'shop']);
      withContext(JSON.stringify(problems(report)), () => expect(report.rootCause?.code).toBe('path-mtu-blackhole'));
      for (const node of ['node-1', 'node-2']) expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'node', name: node }));
      expect(report.findings.find((f) => f.code === 'endpoint-timeout')?.status).toBe('pass');
      expect(report.findings.find((f) => f.code === 'clusterip-timeout')?.status).toBe('pass');
    } finally {
      await lab().setRouterMtu(1500);
    }
  });

  it("ip_forward=0 on the endpoint's node (routed): ip-forward-disabled naming node-2", async () => {
    const node = lab().node('node-2');
    await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 0);
    try {
      const report = await diagnose('routed-ip-forward', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'ip-forward-disabled', 'node-2', 'node-1');
    } finally {
      await lab().sysctl(node.ns, 'net.ipv4.ip_forward', 1);
    }
  });

  it("FORWARD policy DROP on the client's node (routed): forward-blocked-by-netfilter naming node-1", async () => {
    await lab().setForwardPolicy('node-1', 'DROP');
    try {
      const report = await diagnose('routed-forward-drop', ['svc', 'web', '-n', 'shop']);
      expectRoot(report, 'forward-blocked-by-netfilter', 'node-1', 'node-2');
    } finally {
      await lab().setForwardPolicy('node-1', 'ACCEPT');
    }
  });
});
