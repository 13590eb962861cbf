import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { EXTERNAL_RECORDS } from './cluster.js';
import { startDiagnosisLab } from './diagnosis-lab.js';
import { describeNetlab, type Lab } from './lab.js';

// ndots:5 on real packets (kubernetes#33554): web-0 in shop is a ClusterFirst pod, so an external
// name with two dots or fewer walks shop.svc.cluster.local, svc.cluster.local and cluster.local
// (each NXDOMAIN from CoreDNS's dnsmasq) before CoreDNS forwards the name itself upstream. netcheck
// walks the same search list against cluster DNS and counts the queries; the absolute name and a
// <service>.<namespace> short name are the look-alikes that must pass.

const TOKEN = '8'.repeat(64);
const EXTERNAL_NAME = Object.keys(EXTERNAL_RECORDS)[0] as string;

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string } | null;
  findings: { code: string; status: string; title: string; detail: string; evidence: string[]; remediation: string }[];
}

describeNetlab('network lab: ndots and the search list', () => {
  let lab: Lab;
  let diagnose: (args: string[]) => Promise<JsonReport>;

  beforeAll(async () => {
    ({ lab, diagnose } = await startDiagnosisLab<JsonReport>({ upstreams: true }, TOKEN));
  });

  afterAll(async () => {
    if (lab) await lab.teardown();
  });

  const ndots = (report: JsonReport) => report.findings.find((f) => f.code === 'dns-ndots-search-expansion');
  const queries = (evidence: string[] = []) => evidence.filter((line) => /^(A|AAAA) \S+ → /.test(line));

  it('an external name from a ClusterFirst pod, lookups slow: 8 queries measured, 6 for search candidates, and the fix', async () => {
    const report = await diagnose(['dns', EXTERNAL_NAME, '-n', 'shop', '--from', 'web-0', '--slow']);
    const found = ndots(report);
    withContext(JSON.stringify(found), () => expect(found?.status).toBe('warn'));
    expect(report.rootCause?.code).toBe('dns-ndots-search-expansion');
    const sent = queries(found?.evidence);
    expect(sent.map((line) => line.replace(/ → .*$/, ''))).toEqual([
      `A ${EXTERNAL_NAME}.shop.svc.cluster.local`,
      `AAAA ${EXTERNAL_NAME}.shop.svc.cluster.local`,
      `A ${EXTERNAL_NAME}.svc.cluster.local`,
      `AAAA ${EXTERNAL_NAME}.svc.cluster.local`,
      `A ${EXTERNAL_NAME}.cluster.local`,
      `AAAA ${EXTERNAL_NAME}.cluster.local`,
      `A ${EXTERNAL_NAME}`,
      `AAAA ${EXTERNAL_NAME}`,
    ]);
    expect(sent.slice(0, 6).every((line) => / → NXDOMAIN /.test(line))).toBe(true);
    expect(sent[6]).toMatch(/ → RESOLVED /);
    expect(found?.detail).toContain('8 queries, 6 of them for search candidates');
    expect(found?.detail).toContain('pod shop/web-0');
    expect(found?.remediation).toContain(`"${EXTERNAL_NAME}." (trailing dot)`);
    expect(found?.remediation).toContain('ndots');
  });

  it('the absolute name: one A and one AAAA, nothing flagged', async () => {
    const report = await diagnose(['dns', `${EXTERNAL_NAME}.`, '-n', 'shop', '--from', 'web-0', '--slow']);
    expect(ndots(report)?.status).toBe('pass');
    expect(report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => f.code)).toEqual([]);
  });

  it('<service>.<namespace> resolves through the search list as designed: not flagged', async () => {
    const report = await diagnose(['dns', 'web.shop', '-n', 'shop', '--from', 'web-0', '--slow']);
    const found = ndots(report);
    expect(found?.status).toBe('pass');
    expect(found?.detail).toContain('is a cluster name');
    expect(queries(found?.evidence).at(-2)).toMatch(/^A web\.shop\.svc\.cluster\.local → RESOLVED/);
    // Nor is web.shop taken for an external name to ask CoreDNS's upstreams about.
    expect(report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`)).toEqual([]);
  });
});
