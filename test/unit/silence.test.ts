import { describe, expect, it } from '@jest/globals';
import { explains } from '../../lib/checks/index.js';
import { applySilences, findingId, labelsFromFacts, type SweepReport, type Code, type Finding, type FindingStatus, type Silence, type Subject } from '../../lib/model/index.js';
import { silenceSweep } from '../../lib/summary/silence.js';
import { buildReport } from '../../lib/verdict/verdict.js';
import { buildFacts } from '../scenarios/load.js';

const facts = buildFacts(
  { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' },
  {
    services: [
      {
        namespace: 'shop',
        name: 'payments',
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        selector: { app: 'payments' },
        ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
        labels: { team: 'payments' },
      },
    ],
  },
);
const now = new Date('2026-12-01T12:00:00Z');
const service: Subject = { kind: 'service', name: 'payments', namespace: 'shop' };
const node2: Subject = { kind: 'node', name: 'node-2' };

function make(code: Code, status: FindingStatus, subjects: Subject[]): Finding {
  return {
    id: findingId(code, subjects),
    code,
    layer: code === 'ip-forward-disabled' ? 'kernel' : 'dataplane',
    status,
    title: code,
    detail: code,
    evidence: [],
    remediation: '',
    docs: '',
    subjects,
  };
}

const silence = (extra: Partial<Silence>): Silence => ({ id: 's1', reason: 'known, ticket OPS-1', ...extra });

describe('silences', () => {
  it('marks a matching problem, keeps it, and takes it out of the status and the root cause', () => {
    const findings = [make('ip-forward-disabled', 'fail', [node2]), make('endpoint-timeout', 'fail', [service, node2])];
    const outcome = applySilences(findings, [silence({ codes: ['ip-forward-disabled'], name: 'node-2', expiresAt: '2026-12-02T00:00:00Z' })], { now });
    expect(outcome.silenced).toBe(1);
    expect(outcome.findings[0]?.silenced).toEqual({ silenceId: 's1', reason: 'known, ticket OPS-1', expiresAt: '2026-12-02T00:00:00Z' });
    const report = buildReport(facts, outcome.findings, { startedAt: now.toISOString(), durationMs: 1 }, explains);
    expect(report.findings).toHaveLength(2);
    expect(report.rootCause?.code).toBe('endpoint-timeout');
    expect(report.groups.map((g) => g.cause)).not.toContain(findings[0]?.id);
  });

  it('reports an expired silence instead of applying it', () => {
    const findings = [make('ip-forward-disabled', 'fail', [node2])];
    const outcome = applySilences(findings, [silence({ codes: ['ip-forward-disabled'], expiresAt: '2026-11-30T00:00:00Z' })], { now });
    expect(outcome.silenced).toBe(0);
    expect(outcome.findings[0]?.silenced).toBeUndefined();
    expect(outcome.expired).toEqual([{ silenceId: 's1', reason: 'known, ticket OPS-1', expiredAt: '2026-11-30T00:00:00Z' }]);
  });

  it('matches by namespace, name regex, labels and channel; never passes or skips', () => {
    const finding = make('endpoint-timeout', 'warn', [service]);
    const pass = make('clusterip-refused', 'pass', [service]);
    const labelsOf = () => ({ team: 'payments' });
    const holds = (s: Partial<Silence>, channel?: string) => applySilences([finding, pass], [silence(s)], { now, labelsOf, ...(channel ? { channel } : {}) }).silenced;
    expect(holds({ namespace: 'shop' })).toBe(1);
    expect(holds({ namespace: 'other' })).toBe(0);
    expect(holds({ name: '/^pay/' })).toBe(1);
    expect(holds({ name: '/^x/' })).toBe(0);
    expect(holds({ labels: { team: 'payments' } })).toBe(1);
    expect(holds({ labels: { team: 'web' } })).toBe(0);
    expect(holds({ channel: 'C1' }, 'C1')).toBe(1);
    expect(holds({ channel: 'C1' }, 'C2')).toBe(0);
    expect(holds({ codes: ['dns-service-name-failed'] })).toBe(0);
  });

  it('reads labels from the facts', () => {
    const labelsOf = labelsFromFacts(facts);
    expect(labelsOf({ kind: 'service', name: 'payments', namespace: 'shop' })).toEqual({ team: 'payments' });
    expect(labelsOf({ kind: 'service', name: 'no-such', namespace: 'shop' })).toBeUndefined();
  });

  it("takes a fully silenced service out of a sweep's problems, names it, and recounts", () => {
    const inventory: Subject = { kind: 'service', name: 'inventory', namespace: 'shop' };
    const timeout = make('endpoint-timeout', 'fail', [service]);
    const notReady = make('pods-not-ready', 'warn', [inventory]);
    const sweep: SweepReport = {
      kind: 'sweep',
      cluster: 'test',
      status: 'fail',
      startedAt: now.toISOString(),
      durationMs: 1,
      apiRequests: 1,
      counts: { namespaces: 1, services: 3, nodes: 1, pods: 3, ok: 1, unverified: 0, warn: 1, fail: 1, error: 0 },
      clusterFindings: [],
      verification: { probed: 2, limit: 20 },
      problems: [
        { namespace: 'shop', name: 'payments', status: 'fail', verified: true, rootCause: null, findings: [timeout] },
        { namespace: 'shop', name: 'inventory', status: 'warn', verified: true, rootCause: null, findings: [notReady] },
      ],
    };
    const out = silenceSweep(sweep, [silence({ codes: ['endpoint-timeout'], name: 'payments' })], { now });
    expect(out.status).toBe('warn');
    expect(out.problems.map((p) => p.name)).toEqual(['inventory']);
    expect(out.counts).toMatchObject({ ok: 2, warn: 1, fail: 0 });
    expect(out.silences).toEqual({ silenced: 1, expired: [], services: ['shop/payments'] });
  });
});
