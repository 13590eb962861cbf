import { describe, expect, it } from '@jest/globals';
import type { Code, Finding, Report, SweepReport } from '../../lib/model/index.js';
import { grouped, testFinding } from './report-fixtures.js';
import { sweepToJson, toJson } from '../../lib/render/json.js';
import { renderMarkdown } from '../../lib/render/markdown.js';
import { truncate } from '../../lib/render/mrkdwn.js';
import { renderSlackThread } from '../../lib/render/slack.js';
import { renderSummaryText, renderText, renderThreadText } from '../../lib/render/terminal.js';
import { withContext } from '../support/with-context.js';

const f = (code: Code, status: Finding['status'], extra: Partial<Finding> = {}): Finding =>
  testFinding(code, status, extra, {
    remediation: status === 'pass' || status === 'skip' ? '' : `fix ${code}`,
    subjects: [{ kind: 'service', name: 'payments', namespace: 'shop' }],
  });

const failing: Report = {
  kind: 'diagnosis',
  target: { kind: 'svc', namespace: 'shop', name: 'payments', cluster: 'prod' },
  status: 'fail',
  rootCause: {
    id: 'ip-forward-disabled:IP forwarding is off on node-2',
    code: 'ip-forward-disabled',
    summary: 'IP forwarding is off on node-2, so 2 endpoints of shop/payments time out',
    remediation: "ssh node-2 'sysctl -w net.ipv4.ip_forward=1'",
    subjects: [{ kind: 'node', name: 'node-2' }],
    explains: ['endpoint-timeout'],
  },
  ...grouped([
    f('ip-forward-disabled', 'fail', { title: 'IP forwarding is off on node-2', evidence: ['ip_forward = 0'], remediation: "ssh node-2 'sysctl -w net.ipv4.ip_forward=1'" }),
    f('endpoint-timeout', 'fail', { title: '10.244.2.7:8080 times out', explainedBy: 'ip-forward-disabled' }),
    f('endpoint-timeout', 'fail', { title: '10.244.2.8:8080 times out', explainedBy: 'ip-forward-disabled' }),
    f('pods-not-ready', 'warn', { title: 'payments-7d9 restarted 4 times' }),
    f('selector-matches-no-pods', 'pass'),
    f('no-ready-endpoints', 'pass'),
    f('dns-service-name-failed', 'skip', { detail: 'no DNS probe for svc jobs' }),
  ]),

  counts: { fail: 3, warn: 1, pass: 2, skip: 1, error: 0 },
  startedAt: '2026-11-26T07:00:00Z',
  durationMs: 1500,
};

const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[`);

describe('renderText', () => {
  it('prints status and verdict, the fix, the root cause with its symptoms under it, then the rest', () => {
    const text = renderText(failing, { color: false });
    expect(text).not.toMatch(ANSI);
    const lines = text.split('\n');
    expect(lines[0]).toBe('✖ FAIL  IP forwarding is off on node-2, so 2 endpoints of shop/payments time out');
    expect(lines[1]).toBe('svc shop/payments · cluster prod · 1.5 s · 3 fail · 1 warn · 2 pass · 1 skip');
    const order = [
      'Fix:',
      "  ssh node-2 'sysctl -w net.ipv4.ip_forward=1'",
      'Root cause',
      '  ✖ IP forwarding is off on node-2 [ip-forward-disabled]',
      '    explains 2 symptoms:',
      '      ✖ 10.244.2.7:8080 times out [endpoint-timeout]',
      '      ✖ 10.244.2.8:8080 times out [endpoint-timeout]',
      'Other problems',
      '  ⚠ payments-7d9 restarted 4 times [pods-not-ready]',
      '✔ 2 checks passed: selector-matches-no-pods, no-ready-endpoints',
      '- 1 check skipped:',
      '    dns-service-name-failed: no DNS probe for svc jobs',
    ];
    let at = -1;
    for (const expected of order) {
      const index = lines.indexOf(expected, at + 1);
      withContext(`missing or out of order: ${JSON.stringify(expected)}\n${text}`, () => expect(index).toBeGreaterThan(at));
      at = index;
    }
  });

  it('colours only when asked', () => {
    const coloured = renderText(failing, { color: true });
    expect(coloured).toContain(`${ESC}[31m✖ FAIL${ESC}[0m`);
    expect(coloured.replace(new RegExp(`${ESC}\\[\\d+m`, 'g'), '')).toBe(renderText(failing, { color: false }));
  });

  it('strips escape sequences that cluster data tries to smuggle into the terminal', () => {
    const hostile: Report = { ...failing, rootCause: null, findings: [f('pods-not-ready', 'fail', { title: 'pod \u001b[2J\u001b[31mevil not ready', detail: 'x\u0007y' })] };
    const text = renderText(hostile, { color: false });
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain('\u0007');
    expect(text).toContain('pod [2J[31mevil not ready');
  });

  it('says a healthy service looks healthy, with no fix section', () => {
    const ok: Report = { ...failing, status: 'ok', rootCause: null, findings: [f('selector-matches-no-pods', 'pass')], counts: { fail: 0, warn: 0, pass: 1, skip: 0, error: 0 } };
    const text = renderText(ok, { color: false });
    expect(text.split('\n')[0]).toBe('✔ OK  svc shop/payments looks healthy');
    expect(text).not.toContain('Fix:');
  });
});

const sweep: SweepReport = {
  kind: 'sweep',
  cluster: 'prod',
  status: 'fail',
  startedAt: '2026-11-26T08:00:00Z',
  durationMs: 12_000,
  apiRequests: 21,
  counts: { namespaces: 4, services: 20, nodes: 3, pods: 60, ok: 18, unverified: 0, warn: 0, fail: 2, error: 0 },
  clusterFindings: [
    f('cluster-dns-down', 'fail', { title: 'CoreDNS has 0 of 2 pods ready', remediation: 'kubectl -n kube-system rollout restart deploy/coredns' }),
    f('kube-proxy-unhealthy', 'pass'),
  ],
  problems: [
    {
      namespace: 'shop',
      name: 'payments',
      status: 'fail',
      rootCause: {
        id: 'no-ready-endpoints:no ready endpoints',
        code: 'no-ready-endpoints',
        summary: 'no ready endpoints',
        remediation: 'kubectl -n shop get pods',
        subjects: [],
        explains: [],
      },
      findings: [f('pods-not-ready', 'fail'), f('no-ready-endpoints', 'fail', { title: 'no ready endpoints' })],
      verified: true,
    },
    { namespace: 'web', name: 'cart', status: 'fail', rootCause: null, findings: [f('selector-matches-no-pods', 'fail', { title: 'selector matches no pods' })], verified: true },
  ],
  verification: { probed: 20, limit: 20 },
  changes: { since: '2026-11-25T08:00:00Z', added: [{ code: 'no-ready-endpoints', subject: 'shop/payments', status: 'fail', title: 'no ready endpoints' }], resolved: [] },
};

describe('renderSummaryText', () => {
  it('prints counts, cluster-wide problems, services with fixes, and changes', () => {
    const text = renderSummaryText(sweep, { color: false });
    expect(text).toContain('✖ FAIL  cluster prod: 2 failing of 20 services');
    expect(text).toContain('  ✖ CoreDNS has 0 of 2 pods ready [cluster-dns-down]');
    expect(text).toContain('  ✖ shop/payments — no ready endpoints');
    expect(text).toContain('    fix: kubectl -n shop get pods');
    expect(text).toContain('  ✖ web/cart — selector matches no pods');
    expect(text).toContain('  + no-ready-endpoints on shop/payments — no ready endpoints');
    expect(renderSummaryText({ ...sweep, changes: undefined }, { color: false })).toContain('first summary');
  });

  it('never calls unprobed services healthy: it counts them unverified, says why once, and tags unverified problems', () => {
    const unprobed: SweepReport = {
      ...sweep,
      status: 'ok',
      clusterFindings: [],
      problems: [],
      counts: { ...sweep.counts, ok: 0, unverified: 20, fail: 0 },
      verification: { probed: 0, limit: 0, reason: 'probes disabled with --no-probes' },
    };
    const text = renderSummaryText(unprobed, { color: false });
    expect(text).not.toContain('look healthy');
    expect(text).toContain('✔ OK  cluster prod: no problem found in 20 services, 20 of them unverified');
    expect(text).toContain('? 20 services pass the API checks but are unverified — probes disabled with --no-probes');

    const mixed: SweepReport = {
      ...sweep,
      counts: { ...sweep.counts, ok: 10, unverified: 8 },
      problems: [sweep.problems[0]!, { ...sweep.problems[1]!, verified: false, unverifiedReason: 'its diagnosis failed: timeout' }],
      verification: { probed: 11, limit: 11, reason: 'not among the 11 services this sweep probes' },
    };
    const lines = renderSummaryText(mixed, { color: false });
    expect(lines).toContain('2 failing, 8 unverified of 20 services');
    // Every renderer counts alike: the PR comment too says how many went unverified.
    expect(renderMarkdown(mixed)).toMatch(/^## .* cluster prod: 2 failing, 8 unverified of 20 services\n/);
    expect(lines).toContain(
      '? 8 services pass the API checks but are unverified and 1 problem below is unverified; 11 probed in full — not among the 11 services this sweep probes',
    );
    expect(lines).toContain('  ✖ shop/payments — no ready endpoints');
    expect(lines).toContain('  ✖ web/cart (unverified: its diagnosis failed: timeout) — selector matches no pods');
  });
});

describe('renderThreadText', () => {
  it('prints parent then indented replies, with mrkdwn made plain', () => {
    const report: Report = { ...failing, ...grouped([...failing.findings, f('pods-not-ready', 'fail', { title: 'pod <b> & co not ready', explainedBy: undefined })]) };
    const text = renderThreadText(renderSlackThread(report, { cluster: 'prod', requester: 'U0ALICE', rerunValue: 'v' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('🔴 IP forwarding is off on node-2, so 2 endpoints of shop/payments time out');
    expect(text).toContain("Fix\n  ssh node-2 'sysctl -w net.ipv4.ip_forward=1'");
    expect(text).toContain('requested by @U0ALICE');
    expect(text).toContain('[Re-run]');
    // The root cause's reply does not open with the parent's verdict again.
    expect(text).toContain('  ↳ 🔴 Why netcheck says so ip-forward-disabled\n');
    expect(text).toContain('  ↳ 🔴 pod <b> & co not ready');
    expect(text).toContain('docs (https://netcheck.dev/docs/ip-forward-disabled)');
    expect(text).not.toMatch(/&(amp|lt|gt);|```|\*IP/);
  });
});

describe('toJson', () => {
  it('emits exactly the contract keys', () => {
    const json = JSON.parse(JSON.stringify(toJson(failing))) as Record<string, unknown> & { findings: Record<string, unknown>[]; rootCause: Record<string, unknown> };
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['target', 'status', 'rootCause', 'findings']));
    expect(json.target).toEqual({ kind: 'svc', namespace: 'shop', name: 'payments', cluster: 'prod' });
    expect(json.status).toBe('fail');
    expect(json.kind).toBe('diagnosis');
    expect(json.rootCause).toEqual({
      id: failing.rootCause!.id,
      code: 'ip-forward-disabled',
      summary: failing.rootCause!.summary,
      remediation: failing.rootCause!.remediation,
      subjects: [{ kind: 'node', name: 'node-2' }],
      explains: ['endpoint-timeout'],
    });
    expect(json.findings).toHaveLength(failing.findings.length);
    const contract = ['code', 'detail', 'docs', 'evidence', 'id', 'layer', 'remediation', 'status', 'subjects', 'title'];
    for (const finding of json.findings)
      expect(
        Object.keys(finding)
          .filter((k) => k !== 'explainedBy' && k !== 'causeId')
          .sort(),
      ).toEqual(contract);
    expect(json.findings[1]).toEqual({
      id: 'endpoint-timeout:10.244.2.7:8080 times out',
      code: 'endpoint-timeout',
      layer: 'dataplane',
      status: 'fail',
      title: '10.244.2.7:8080 times out',
      detail: 'endpoint-timeout detail',
      evidence: [],
      remediation: 'fix endpoint-timeout',
      docs: 'https://netcheck.dev/docs/endpoint-timeout',
      subjects: [{ kind: 'service', name: 'payments', namespace: 'shop' }],
      explainedBy: 'ip-forward-disabled',
      causeId: failing.rootCause!.id,
    });
    expect(json.groups).toEqual([
      { cause: failing.rootCause!.id, symptoms: ['endpoint-timeout:10.244.2.7:8080 times out', 'endpoint-timeout:10.244.2.8:8080 times out'] },
      { cause: 'pods-not-ready:payments-7d9 restarted 4 times', symptoms: [] },
    ]);
    expect(toJson({ ...failing, rootCause: null }).rootCause).toBeNull();
  });

  it('summarises a sweep in the same shape, plus counts and changes', () => {
    const json = sweepToJson(sweep);
    expect(json.target).toEqual({ kind: 'cluster', cluster: 'prod' });
    expect(json.status).toBe('fail');
    expect(json.rootCause).toEqual({ code: 'cluster-dns-down', summary: 'CoreDNS has 0 of 2 pods ready', remediation: 'kubectl -n kube-system rollout restart deploy/coredns' });
    expect(json.findings.map((x) => x.code)).toEqual(['cluster-dns-down', 'no-ready-endpoints', 'selector-matches-no-pods']);
    expect(json.counts).toEqual(sweep.counts);
    expect(json.changes).toEqual(sweep.changes);
    const noCluster = sweepToJson({ ...sweep, clusterFindings: [], changes: undefined });
    expect(noCluster.rootCause).toEqual({ code: 'no-ready-endpoints', summary: 'shop/payments: no ready endpoints', remediation: 'kubectl -n shop get pods' });
    expect(noCluster.changes).toBeNull();
    expect(sweepToJson({ ...sweep, status: 'ok', clusterFindings: [], problems: [] }).rootCause).toBeNull();
  });

  it('lists each problem service with whether a full diagnosis stands behind it (added keys)', () => {
    const partly: SweepReport = {
      ...sweep,
      counts: { ...sweep.counts, ok: 10, unverified: 8 },
      problems: [sweep.problems[0]!, { ...sweep.problems[1]!, verified: false, unverifiedReason: 'its diagnosis failed: timeout' }],
      verification: { probed: 11, limit: 20, reason: 'probes disabled' },
    };
    const json = sweepToJson(partly);
    expect(json.services).toEqual([
      { namespace: 'shop', name: 'payments', status: 'fail', rootCause: expect.objectContaining({ code: 'no-ready-endpoints' }), verified: true, unverifiedReason: null },
      { namespace: 'web', name: 'cart', status: 'fail', rootCause: null, verified: false, unverifiedReason: 'its diagnosis failed: timeout' },
    ]);
    expect(json.verification).toEqual({ probed: 11, limit: 20, reason: 'probes disabled' });
    expect(json.counts.unverified).toBe(8);
  });
});

describe('truncate', () => {
  it('cuts to the limit with an ellipsis and never splits an emoji', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('ab🔴cd', 4)).toBe('ab…');
    expect(truncate('ab🔴cd', 5)).toBe('ab🔴…');
  });
});
