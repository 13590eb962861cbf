import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { EXTERNAL_RECORDS, type LabCluster, type LabUpstream } from './cluster.js';
import { startDiagnosisLab } from './diagnosis-lab.js';
import { describeNetlab, type Lab } from './lab.js';

// CoreDNS (dnsmasq in a node-1 pod) forwards names outside the cluster to two resolvers outside
// it (dnsmasq on node-2, named by the Corefile's `forward .`). One going away is a partial
// failure: external names still resolve through the other. Both going away is a full one:
// kubernetes.default still resolves, every external name fails. netcheck asks each upstream from
// CoreDNS's node through its agent, and must say which, and which kind of failure.

const TOKEN = '7'.repeat(64);
const EXTERNAL_NAME = Object.keys(EXTERNAL_RECORDS)[0] as string;

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; subjects: { kind: string; name: string }[] } | null;
  findings: { code: string; status: string; detail: string; evidence: string[]; subjects: { kind: string; name: string }[] }[];
}

describeNetlab('network lab: CoreDNS upstreams', () => {
  let lab: Lab;
  let cluster: LabCluster;
  let diagnoseDns: (args: string[]) => Promise<JsonReport>;
  let upstreams: LabUpstream[];

  beforeAll(async () => {
    ({ lab, cluster, diagnose: diagnoseDns } = await startDiagnosisLab<JsonReport>({ upstreams: true }, TOKEN));
    upstreams = cluster.upstreams ?? [];
  });

  afterAll(async () => {
    if (lab) await lab.teardown();
  });

  const failing = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`);
  const upstreamFinding = (report: JsonReport) => report.findings.find((f) => f.code === 'coredns-upstream-failing');

  /** Stop an upstream's dnsmasq (its address stays: lookups to it are refused, as to a resolver whose daemon died). */
  const stop = async (upstream: LabUpstream) => upstream.child.stop();
  const restart = async (upstream: LabUpstream) => {
    upstream.child = await lab.startDns(upstream.pod, { ...EXTERNAL_RECORDS });
  };

  it('both upstreams answer: nothing is flagged, and both were asked from CoreDNS node-1', async () => {
    const report = await diagnoseDns(['dns', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    const found = upstreamFinding(report);
    expect(found?.status).toBe('pass');
    for (const upstream of upstreams) expect(found?.detail).toContain(upstream.ip);
    expect(found?.evidence.join('\n')).toContain(`agent on node-1: nslookup ${EXTERNAL_NAME}`);
  });

  it('one upstream dead: a partial failure (warn) naming it, the other still answering', async () => {
    const [dead, alive] = upstreams as [LabUpstream, LabUpstream];
    await stop(dead);
    try {
      const report = await diagnoseDns(['dns', '-n', 'shop']);
      const found = upstreamFinding(report);
      withContext(JSON.stringify(failing(report)), () => expect(found?.status).toBe('warn'));
      expect(found?.subjects).toContainEqual({ kind: 'ip', name: dead.ip });
      expect(found?.subjects).not.toContainEqual({ kind: 'ip', name: alive.ip });
      expect(found?.detail).toContain('partial failure');
      expect(found?.detail).toContain(`${alive.ip} answers`);
      expect(found?.detail).toContain(`${EXTERNAL_NAME} still resolves`);
      expect(report.rootCause?.code).toBe('coredns-upstream-failing');
    } finally {
      await restart(dead);
    }
  });

  it('both upstreams dead: external names fail while kubernetes.default resolves, and both are named', async () => {
    for (const upstream of upstreams) await stop(upstream);
    try {
      const report = await diagnoseDns(['dns', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('coredns-upstream-failing'));
      expect(report.status).toBe('fail');
      for (const upstream of upstreams) expect(report.rootCause?.subjects).toContainEqual({ kind: 'ip', name: upstream.ip });
      expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'pod', name: 'coredns-6f6b679f8f-x7k2p' }));
      expect(report.rootCause?.summary).toContain('while kubernetes.default resolves');
      // CoreDNS itself is healthy: neither the DNS Service nor the replica is blamed.
      expect(report.findings.find((f) => f.code === 'cluster-dns-down')?.status).toBe('pass');
      expect(report.findings.find((f) => f.code === 'coredns-endpoint-failing')?.status).toBe('pass');
    } finally {
      for (const upstream of upstreams) await restart(upstream);
    }
    expect(failing(await diagnoseDns(['dns', '-n', 'shop']))).toEqual([]);
  });
});
