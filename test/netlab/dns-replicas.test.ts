import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { type LabCluster } from './cluster.js';
import { startDiagnosisLab } from './diagnosis-lab.js';
import { describeNetlab, type Lab } from './lab.js';

// Two CoreDNS replicas (dnsmasq in a pod on each node) behind kube-dns, kube-proxy splitting
// lookups between them at random. One replica going bad fails about one lookup in two through
// the Service; netcheck asks each replica directly and must name the bad one and its node,
// whichever replica its own lookup through the Service happened to hit.

const TOKEN = '5'.repeat(64);

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; subjects: { kind: string; name: string }[] } | null;
  findings: { code: string; status: string; detail: string; evidence: string[] }[];
}

describeNetlab('network lab: one bad CoreDNS replica among two', () => {
  let lab: Lab;
  let cluster: LabCluster;
  let diagnose: (args: string[]) => Promise<JsonReport>;

  beforeAll(async () => {
    ({ lab, cluster, diagnose } = await startDiagnosisLab<JsonReport>({ secondDnsReplica: true }, TOKEN));
  });

  afterAll(async () => {
    if (lab) await lab.teardown();
  });

  const failing = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`);

  it('both replicas answer: ok, and each was asked directly', async () => {
    const report = await diagnose(['dns', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    const direct = report.findings.find((f) => f.code === 'coredns-endpoint-failing');
    expect(direct?.status).toBe('pass');
    expect(direct?.evidence.join('\n')).toContain(cluster.dnsReplica!.pod);
  });

  it('the node-2 replica answers NXDOMAIN for every cluster name: coredns-endpoint-failing names it and its node', async () => {
    const replica = cluster.dnsReplica!;
    await replica.child.stop();
    // Same server, no records: dnsmasq still owns cluster.local, so every name is NXDOMAIN there.
    let broken = await lab.startDns(replica.pod, {});
    try {
      const report = await diagnose(['dns', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('coredns-endpoint-failing'));
      expect(report.rootCause?.summary).toContain(`${replica.pod} on node-2`);
      expect(report.rootCause?.summary).toContain('NXDOMAIN');
      expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'node', name: 'node-2' }));
      expect(report.rootCause?.summary).not.toContain('coredns-6f6b679f8f-x7k2p');
    } finally {
      await broken.stop();
      broken = await lab.startDns(replica.pod, replica.records);
      replica.child = broken;
    }
  });
});
