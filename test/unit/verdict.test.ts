import { describe, expect, it } from '@jest/globals';
import { checkByCode, explains } from '../../lib/checks/index.js';
import { findingId, reportStatus, type Code, type Finding, type FindingStatus, type Subject } from '../../lib/model/index.js';
import { buildReport, symptomLine } from '../../lib/verdict/verdict.js';
import { buildFacts } from '../scenarios/load.js';

const facts = buildFacts({ kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' }, { apiRequests: 7 });
const timing = { startedAt: '2026-11-26T07:00:00.000Z', durationMs: 1234 };

const service: Subject = { kind: 'service', name: 'payments', namespace: 'shop' };
const pod = (name: string): Subject => ({ kind: 'pod', name, namespace: 'shop' });
const node = (name: string): Subject => ({ kind: 'node', name });
const port: Subject = { kind: 'port', name: 'payments:80', namespace: 'shop', service: 'payments', port: 80 };

function make(code: Code, status: FindingStatus, subjects: Subject[], detail = `${code} detail`): Finding {
  return {
    id: findingId(code, subjects),
    code,
    layer: checkByCode(code)?.layer ?? 'dataplane',
    status,
    title: `${code} title`,
    detail,
    evidence: [],
    remediation: status === 'fail' || status === 'warn' ? `fix ${code}` : '',
    docs: '',
    subjects,
  };
}

function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
}

describe('buildReport', () => {
  it('reports a healthy service as ok with no root cause', () => {
    const report = buildReport(
      facts,
      [make('clusterip-refused', 'pass', [service]), make('pods-not-ready', 'skip', []), make('service-not-found', 'pass', [service])],
      timing,
      explains,
    );
    expect(report.status).toBe('ok');
    expect(report.rootCause).toBeNull();
    expect(report.counts).toEqual({ pass: 2, warn: 0, fail: 0, skip: 1, error: 0 });
    expect(codes(report.findings)).toEqual(['pods-not-ready', 'service-not-found', 'clusterip-refused']);
    expect(report.apiRequests).toBe(7);
    expect(report.durationMs).toBe(1234);
    expect(report.target).toEqual(facts.target);
  });

  it('derives the status: fail, then warn, then error, else ok', () => {
    expect(reportStatus([make('pods-not-ready', 'error', []), make('no-ready-endpoints', 'warn', []), make('clusterip-refused', 'fail', [])])).toBe('fail');
    expect(reportStatus([make('pods-not-ready', 'error', []), make('no-ready-endpoints', 'warn', [])])).toBe('warn');
    expect(reportStatus([make('pods-not-ready', 'error', []), make('no-ready-endpoints', 'pass', [])])).toBe('error');
    expect(reportStatus([make('pods-not-ready', 'skip', []), make('no-ready-endpoints', 'pass', [])])).toBe('ok');
  });

  it('names the cause that explains the symptoms, not an unrelated node fault', () => {
    const findings = [
      make('clusterip-refused', 'fail', [service, port]),
      make('ip-forward-disabled', 'fail', [node('node-3')], 'IP forwarding is off on node-3'),
      make('no-ready-endpoints', 'fail', [service]),
      make('selector-matches-no-pods', 'fail', [service, pod('payments-abc')], 'Selector app=payment matches no pods — pods are labelled app=payments\nmore'),
      make('api-access-denied', 'error', []),
      make('service-not-found', 'pass', [service]),
    ];
    const report = buildReport(facts, findings, timing, explains);
    expect(report.rootCause?.code).toBe('selector-matches-no-pods');
    expect(report.rootCause?.summary).toBe('Selector app=payment matches no pods — pods are labelled app=payments');
    expect(report.rootCause?.remediation).toBe('fix selector-matches-no-pods');
    expect(report.rootCause?.explains.sort()).toEqual(['clusterip-refused', 'no-ready-endpoints']);
    expect(codes(report.findings)).toEqual([
      'selector-matches-no-pods',
      'no-ready-endpoints',
      'clusterip-refused',
      'ip-forward-disabled',
      'api-access-denied',
      'service-not-found',
    ]);
    const byCode = new Map(report.findings.map((f) => [f.code, f]));
    expect(byCode.get('clusterip-refused')?.explainedBy).toBe('selector-matches-no-pods');
    expect(byCode.get('no-ready-endpoints')?.explainedBy).toBe('selector-matches-no-pods');
    expect(byCode.get('ip-forward-disabled')?.explainedBy).toBeUndefined();
    expect(report.rootCause?.symptoms).toContain('no-ready-endpoints title — explained by selector-matches-no-pods on shop/payments');
  });

  it('prefers the layer closer to the root when neither cause explains anything', () => {
    const kernel = make('ip-forward-disabled', 'fail', [node('node-3')]);
    const workload = make('selector-matches-no-pods', 'fail', [service]);
    expect(buildReport(facts, [kernel, workload], timing, explains).rootCause?.code).toBe('selector-matches-no-pods');
    expect(buildReport(facts, [workload, kernel], timing, explains).rootCause?.code).toBe('selector-matches-no-pods');
  });

  it('keeps an unexplained symptom of this service ahead of an unrelated fault elsewhere', () => {
    const elsewhere = make('ip-forward-disabled', 'fail', [node('node-3')]);
    const symptom = make('endpoint-timeout', 'fail', [service, pod('payments-b'), node('node-2')]);
    expect(buildReport(facts, [elsewhere, symptom], timing, explains).rootCause?.code).toBe('endpoint-timeout');
  });

  it('lets a deeper cause win when it explains observed symptoms and the shallower one explains none', () => {
    const findings = [
      make('service-not-found', 'fail', [{ kind: 'service', name: 'other', namespace: 'shop' }]),
      make('protocol-mismatch', 'fail', [service, port]),
      make('endpoint-refused', 'fail', [service, port, pod('payments-abc')]),
    ];
    const report = buildReport(facts, findings, timing, explains);
    expect(report.rootCause?.code).toBe('protocol-mismatch');
    expect(report.findings.find((f) => f.code === 'endpoint-refused')?.explainedBy).toBe('protocol-mismatch');
    expect(codes(report.findings)).toEqual(['protocol-mismatch', 'endpoint-refused', 'service-not-found']);
  });

  it('files a transitive symptom under the root cause', () => {
    const findings = [
      make('clusterip-refused', 'fail', [service]),
      make('endpoint-refused', 'fail', [service, pod('payments-abc')]),
      make('target-port-mismatch', 'fail', [service, port]),
    ];
    const report = buildReport(facts, findings, timing, explains);
    expect(report.rootCause?.code).toBe('target-port-mismatch');
    expect(report.findings.map((f) => f.explainedBy)).toEqual([undefined, 'target-port-mismatch', 'target-port-mismatch']);
  });

  it('makes a warning the root cause when it explains a failing symptom', () => {
    const findings = [
      make('endpoint-refused', 'fail', [service, pod('cart-c'), node('node-3')]),
      make('pods-not-ready', 'warn', [service, pod('cart-c'), node('node-3')], '1 of 3 selected pods are not ready'),
    ];
    const report = buildReport(facts, findings, timing, explains);
    expect(report.status).toBe('fail');
    expect(report.rootCause?.code).toBe('pods-not-ready');
    expect(report.rootCause?.symptoms).toEqual(['endpoint-refused title — explained by pods-not-ready on shop/payments']);
  });

  it('does not link a warning about other pods to a pod-level symptom', () => {
    const findings = [make('endpoint-refused', 'fail', [service, pod('cart-a')]), make('pods-not-ready', 'warn', [service, pod('cart-c')])];
    const report = buildReport(facts, findings, timing, explains);
    expect(report.rootCause?.code).toBe('endpoint-refused');
    expect(report.findings.every((f) => f.explainedBy === undefined)).toBe(true);
    expect(codes(report.findings)).toEqual(['endpoint-refused', 'pods-not-ready']);
  });

  it('uses a warning as root cause when nothing fails', () => {
    const report = buildReport(facts, [make('pods-not-ready', 'warn', [service]), make('clusterip-refused', 'pass', [service])], timing, explains);
    expect(report.status).toBe('warn');
    expect(report.rootCause?.code).toBe('pods-not-ready');
  });

  it('never makes an error the root cause and reports error status when only errors remain', () => {
    const report = buildReport(facts, [make('api-access-denied', 'error', []), make('no-ready-endpoints', 'skip', [])], timing, explains);
    expect(report.status).toBe('error');
    expect(report.rootCause).toBeNull();
  });

  it('copes with findings whose code is not registered and does not mutate its input', () => {
    // The compiler forbids an unknown code; findings read back from JSON were never compiled.
    const input = [make('made-up-code' as Code, 'fail', [service]), make('clusterip-refused', 'fail', [service])];
    const snapshot = structuredClone(input);
    const report = buildReport(facts, input, timing, explains);
    expect(report.status).toBe('fail');
    expect(report.rootCause).not.toBeNull();
    expect(input).toEqual(snapshot);
  });
});

describe('DNS symptoms of endpoint loss', () => {
  const dnsFailure = (svc: Subject) => make('dns-service-name-failed', 'fail', [svc, { kind: 'dns', name: `${svc.name}.${svc.namespace}.svc.cluster.local` }]);

  it('links missing endpoints to a failing name only for a headless service', () => {
    const withService = (clusterIP: string) =>
      buildFacts(facts.target, { services: [{ name: 'payments', namespace: 'shop', clusterIP, selector: { app: 'payments' }, ports: [{ port: 80 }] }] });
    const findings = () => [make('no-ready-endpoints', 'fail', [service]), dnsFailure(service)];

    const headless = buildReport(withService('None'), findings(), timing, explains);
    expect(headless.findings.find((f) => f.code === 'dns-service-name-failed')?.explainedBy).toBe('no-ready-endpoints');

    const clusterIP = buildReport(withService('10.96.41.7'), findings(), timing, explains);
    expect(clusterIP.findings.find((f) => f.code === 'dns-service-name-failed')?.explainedBy).toBeUndefined();
  });
});

describe('symptom lines', () => {
  it('place a node or kernel cause on its node and other causes on the service', () => {
    const symptom = make('endpoint-timeout', 'fail', [service, pod('payments-b'), node('node-2')]);
    expect(symptomLine(symptom, make('ip-forward-disabled', 'fail', [node('node-2')]))).toBe('endpoint-timeout title — explained by ip-forward-disabled on node-2');
    expect(symptomLine(symptom, make('pods-not-ready', 'fail', [service, pod('payments-b'), node('node-2')]))).toBe(
      'endpoint-timeout title — explained by pods-not-ready on shop/payments',
    );
  });
});
