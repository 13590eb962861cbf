import { describe, expect, it } from '@jest/globals';
import { runChecks } from '../../lib/checks/index.js';
import { diagnosePod } from '../../lib/checks/lib/pods.js';
import { closeMatches, editDistance, type Finding, type PodFact } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';

const target = { kind: 'svc' as const, name: 'payments', namespace: 'shop', cluster: 'test' };

function only(code: string, raw: Record<string, unknown>): Finding {
  const findings = runChecks(buildFacts(target, raw), { codes: [code] });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

const payments = { name: 'payments', namespace: 'shop', clusterIP: '10.96.41.7', selector: { app: 'payments' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] };

function readyPod(name: string, labels: Record<string, string>, ports: unknown[] = [{ name: 'http', containerPort: 8080 }]) {
  return { name, namespace: 'shop', labels, nodeName: 'node-1', phase: 'Running', ready: true, containers: [{ name: 'api', ready: true, state: 'running', ports }] };
}

function pod(overrides: Partial<PodFact>): PodFact {
  return { namespace: 'shop', name: 'p', labels: {}, phase: 'Running', ready: false, conditions: [], containers: [], ...overrides };
}

describe('text helpers', () => {
  it('measures edit distance and proposes close names, closest first', () => {
    expect(editDistance('payment', 'payments')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closeMatches('payment', ['orders', 'payments', 'payment-api', 'paymnt'])).toEqual(['payments', 'paymnt', 'payment-api']);
    expect(closeMatches('db', ['web', 'api'])).toEqual([]);
  });
});

describe('service-not-found', () => {
  it('says what a missing name means before it guesses at the name meant', () => {
    const [f] = runChecks(buildFacts({ ...target, name: 'paymnts' }, { services: [payments] }), { codes: ['service-not-found'] });
    expect(f?.detail).toBe('Service shop/paymnts does not exist, so its name cannot resolve or route anywhere — did you mean payments?');
  });

  it('does not claim the service is missing when listing services was forbidden', () => {
    const f = only('service-not-found', { accessErrors: [{ verb: 'list', resource: 'services', namespace: 'shop', status: 403, message: 'forbidden' }] });
    expect(f.status).toBe('skip');
    expect(f.detail).toContain('could not list services in namespace shop (HTTP 403)');
  });

  it('makes the service checks say the service could not be read rather than that it is missing', () => {
    const findings = runChecks(buildFacts(target, { accessErrors: [{ verb: 'list', resource: 'services', namespace: 'shop', status: 403, message: 'forbidden' }] }), {
      codes: ['selector-matches-no-pods', 'no-ready-endpoints', 'clusterip-refused'],
    });
    for (const f of findings) {
      withContext(f.code, () => expect(f.status).toBe('skip'));
      withContext(f.code, () => expect(f.detail).toContain('service shop/payments could not be read: could not list services in namespace shop (HTTP 403)'));
    }
  });
});

describe('selector-matches-no-pods', () => {
  it('removes a selector key the pods do not carry and keeps the matching ones', () => {
    const svc = { ...payments, selector: { app: 'payments', tier: 'backend' } };
    const f = only('selector-matches-no-pods', { services: [svc], pods: [readyPod('payments-a', { app: 'payments' })] });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('Selector app=payments,tier=backend matches no pods — pods with app=payments have no tier label, so shop/payments has no endpoints');
    expect(f.remediation).toContain(`kubectl -n shop patch svc payments -p '{"spec":{"selector":{"tier":null}}}'`);
  });

  it('does not pretend an unrelated label is a typo', () => {
    const f = only('selector-matches-no-pods', { services: [payments], pods: [readyPod('web-a', { app: 'storefront' })] });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('no pod in shop carries it (nearest: pod web-a with app=storefront)');
  });

  it('says so when the namespace has no pods at all', () => {
    const f = only('selector-matches-no-pods', { services: [payments] });
    expect(f.detail).toContain('namespace shop has no pods at all');
  });
});

describe('pods-not-ready diagnosis', () => {
  it('names each reason a pod does not serve', () => {
    expect(diagnosePod(pod({ deletionTimestamp: '2026-11-26T06:00:00Z', ready: true }))?.kind).toBe('terminating');
    expect(
      diagnosePod(
        pod({
          phase: 'Pending',
          containers: [{ name: 'api', ports: [], ready: false, restartCount: 0, state: 'waiting', reason: 'CreateContainerConfigError', message: 'secret "db-creds" not found' }],
        }),
      ),
    ).toMatchObject({ kind: 'config-error', reason: 'CreateContainerConfigError: secret "db-creds" not found' });
    expect(
      diagnosePod(
        pod({
          conditions: [
            { type: 'ContainersReady', status: 'True' },
            { type: 'example.com/lb-ready', status: 'False' },
          ],
          containers: [{ name: 'api', ports: [], ready: true, restartCount: 0, state: 'running' }],
        }),
      ),
    ).toMatchObject({ kind: 'readiness-gate', reason: 'readiness gate example.com/lb-ready is False' });
    expect(diagnosePod(pod({ ready: true, containers: [{ name: 'api', ports: [], ready: true, restartCount: 2, state: 'running' }] }))).toBeUndefined();
    expect(
      diagnosePod(pod({ containers: [{ name: 'api', ports: [], ready: false, restartCount: 1, state: 'waiting', reason: 'CrashLoopBackOff', lastTerminationReason: 'Error' }] })),
    ).toMatchObject({ kind: 'crash-loop', reason: 'CrashLoopBackOff (last exit: Error, 1 restart)' });
  });
});

describe('target-port-mismatch', () => {
  it('warns when a numeric targetPort is not declared and no probe contradicts it', () => {
    const svc = { ...payments, ports: [{ name: 'http', port: 80, targetPort: 9090 }] };
    const f = only('target-port-mismatch', { services: [svc], pods: [readyPod('payments-a', { app: 'payments' })] });
    expect(f.status).toBe('warn');
    expect(f.remediation).toBe(`kubectl -n shop patch svc payments --type=json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":"http"}]'`);
  });

  it('passes when the containers declare no ports at all (nothing to compare)', () => {
    const f = only('target-port-mismatch', { services: [payments], pods: [readyPod('payments-a', { app: 'payments' }, [])] });
    expect(f.status).toBe('pass');
  });
});

describe('no-ready-endpoints', () => {
  it('treats ready:null as ready and ready:false as not ready', () => {
    const slice = (ready: boolean | null) => ({ name: 'payments-x', namespace: 'shop', serviceName: 'payments', endpoints: [{ addresses: ['10.244.1.12'], ready }] });
    expect(only('no-ready-endpoints', { services: [payments], endpointSlices: [slice(null)] }).status).toBe('pass');
    const f = only('no-ready-endpoints', { services: [payments], endpointSlices: [slice(false)] });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('all 1 endpoint addresses are not ready');
  });

  it('falls back to converted v1 Endpoints the same way', () => {
    const converted = { name: 'payments', namespace: 'shop', serviceName: 'payments', source: 'endpoints', endpoints: [{ addresses: ['10.244.1.12'], ready: true }] };
    const f = only('no-ready-endpoints', { services: [payments], endpointSlices: [converted] });
    expect(f.status).toBe('pass');
    expect(f.evidence[0]).toMatch(/^endpoints shop\/payments/);
  });

  it('in a sweep, which keeps problems only, spares a pass its wording and still gives a failure its own', () => {
    const slice = (ready: boolean) => ({ name: 'payments-x', namespace: 'shop', serviceName: 'payments', endpoints: [{ addresses: ['10.244.1.12'], ready }] });
    const swept = (raw: Record<string, unknown>) => runChecks({ ...buildFacts(target, raw), keeps: 'problems' }, { codes: ['no-ready-endpoints'] })[0];
    expect(only('no-ready-endpoints', { services: [payments], endpointSlices: [slice(true)] }).evidence).toHaveLength(1);
    expect(swept({ services: [payments], endpointSlices: [slice(true)] })).toMatchObject({
      status: 'pass',
      detail: 'passed (a sweep reports problems only)',
      evidence: [],
      subjects: [],
    });
    const failed = only('no-ready-endpoints', { services: [payments], endpointSlices: [slice(false)] });
    expect(swept({ services: [payments], endpointSlices: [slice(false)] })).toEqual(failed);
  });
});

describe('probe checks', () => {
  it('skip with the reason when probes are disabled, never pass or fail', () => {
    for (const code of ['clusterip-timeout', 'clusterip-refused', 'endpoint-timeout', 'endpoint-refused', 'dns-service-name-failed']) {
      const f = only(code, { services: [payments], probes: { enabled: false, skipReason: 'running outside the cluster network' } });
      withContext(code, () => expect(f.status).toBe('skip'));
      withContext(code, () => expect(f.detail).toContain('running outside the cluster network'));
    }
  });

  it('tells a timeout apart from a refusal', () => {
    const probes = { enabled: true, tcp: [{ role: 'clusterIP', ip: '10.96.41.7', port: 80, servicePort: 80, outcome: 'timeout', ms: 3000 }] };
    const timeout = only('clusterip-timeout', { services: [payments], probes });
    const refused = only('clusterip-refused', { services: [payments], probes });
    expect(timeout.status).toBe('fail');
    expect(timeout.detail).toContain('times out (SYN unanswered)');
    expect(refused.status).toBe('pass');
  });

  it('says unknown, not pass, when every probe errored; a partial error is named in the pass', () => {
    const errored = { role: 'clusterIP', ip: '10.96.41.7', port: 80, servicePort: 80, outcome: 'error', detail: 'agent probe deadline passed', ms: 6000 };
    const none = only('clusterip-timeout', { services: [payments], probes: { enabled: true, tcp: [errored] } });
    expect(none.status).toBe('error');
    expect(none.detail).toContain('unknown, because none of the 1 clusterIP probes ran to an outcome: agent probe deadline passed');
    const partial = only('clusterip-timeout', { services: [payments], probes: { enabled: true, tcp: [errored, { ...errored, outcome: 'connected', detail: undefined, ms: 1 }] } });
    expect(partial.status).toBe('pass');
    expect(partial.detail).toContain('1 could not run (agent probe deadline passed), so those paths are unverified');
  });
});

describe('dns-service-name-failed', () => {
  it('points at cluster DNS when kubernetes.default fails too', () => {
    const probes = {
      enabled: true,
      dns: [
        { name: 'payments.shop.svc.cluster.local', purpose: 'service', outcome: 'timeout' },
        { name: 'kubernetes.default.svc.cluster.local', purpose: 'kubernetes-default', outcome: 'timeout' },
      ],
    };
    const f = only('dns-service-name-failed', { services: [payments], probes });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('kubernetes.default fails too');
  });
});

describe('api-access-denied', () => {
  it('emits one error per access error with the ClusterRole rule to add', () => {
    const findings = runChecks(
      buildFacts(target, {
        accessErrors: [
          { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'shop', status: 403, message: 'forbidden' },
          { verb: 'list', resource: 'nodes', status: 401, message: 'Unauthorized' },
        ],
      }),
      { codes: ['api-access-denied'] },
    );
    expect(findings.map((f) => f.status)).toEqual(['error', 'error']);
    expect(findings[0]?.title).toBe('Not allowed to list endpointslices.discovery.k8s.io in namespace shop');
    expect(findings[0]?.remediation).toContain('"apiGroups":["discovery.k8s.io"],"resources":["endpointslices"],"verbs":["get","list"]');
    expect(findings[1]?.detail).toContain('401 Unauthorized');
  });
});
