import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { startDiagnosisLab } from './diagnosis-lab.js';
import { describeNetlab, type Lab } from './lab.js';

// One node alone cannot resolve (goldpinger#46): node-2 drops DNS towards the CoreDNS pod (on
// node-1) in its own OUTPUT and FORWARD paths, the way a host firewall or a half-applied rule set
// does. The CLI runs from a node-1 pod, so its own lookups and CoreDNS are healthy; only node-2's
// agent, resolving from node-2's network, meets the drop. The verdict must name node-2, and the
// same cluster without the rule must flag nothing.

const TOKEN = '6'.repeat(64);
/** Our own nft table, so iptables-nft-restore (which rewrites ip filter/nat) never touches it. */
const FAULT_TABLE = 'netcheck-lab-dns-fault';

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; subjects: { kind: string; name: string }[] } | null;
  findings: { code: string; status: string; detail: string; evidence: string[]; subjects: { kind: string; name: string }[] }[];
}

describeNetlab('network lab: one node cannot resolve', () => {
  let lab: Lab;
  let diagnose: (args: string[]) => Promise<JsonReport>;

  beforeAll(async () => {
    ({ lab, diagnose } = await startDiagnosisLab<JsonReport>({}, TOKEN));
  });

  afterAll(async () => {
    if (lab) await lab.teardown();
  });

  const failing = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`);

  /** Drop UDP and TCP 53 towards `ip` from `node` itself (OUTPUT) and from its pods (FORWARD). */
  const dropDnsOn = (node: string, ip: string) =>
    lab.exec(lab.node(node).ns, 'nft', ['-f', '-'], {
      input: [
        `table inet ${FAULT_TABLE} {`,
        ...['output', 'forward'].map(
          (hook) => `  chain ${hook} { type filter hook ${hook} priority -10; policy accept; ip daddr ${ip} udp dport 53 drop; ip daddr ${ip} tcp dport 53 drop; }`,
        ),
        '}',
        '',
      ].join('\n'),
    });
  const undoDrop = (node: string) => lab.exec(lab.node(node).ns, 'nft', ['delete', 'table', 'inet', FAULT_TABLE], { acceptExitCodes: [1] });

  it('every node resolves: no DNS finding fails, and both nodes were asked', async () => {
    const report = await diagnose(['dns', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    const nodes = report.findings.find((f) => f.code === 'node-dns-resolution-failed');
    expect(nodes?.status).toBe('pass');
    expect(nodes?.detail).toContain('node-1');
    expect(nodes?.detail).toContain('node-2');
  });

  it('node-2 drops DNS towards CoreDNS: node-dns-resolution-failed names node-2, not node-1', async () => {
    const coredns = lab.pod('coredns-6f6b679f8f-x7k2p');
    await dropDnsOn('node-2', coredns.ip);
    try {
      const report = await diagnose(['dns', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('node-dns-resolution-failed'));
      expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'node', name: 'node-2' }));
      expect(report.rootCause?.subjects).not.toContainEqual(expect.objectContaining({ kind: 'node', name: 'node-1' }));
      // A drop in OUTPUT fails the agent's own send (EPERM: REFUSED); node-2's pods, dropped in FORWARD, would time out.
      expect(report.rootCause?.summary).toMatch(/node-2 cannot resolve .*\((REFUSED|TIMEOUT)\)/);
      // The source's lookups and CoreDNS itself stay healthy: nothing blames cluster DNS.
      expect(report.findings.find((f) => f.code === 'cluster-dns-down')?.status).not.toBe('fail');
      expect(report.findings.find((f) => f.code === 'coredns-endpoint-failing')?.status).toBe('pass');
    } finally {
      await undoDrop('node-2');
    }
    // Healthy again once the rule is gone: the fault, not the lab, made the finding.
    expect(failing(await diagnose(['dns', '-n', 'shop']))).toEqual([]);
  });
});
