import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { emptyPolicySystems, type Facts, type NetworkPolicyFact, type PodFact, type ProbeFacts } from '../../lib/model/index.js';
import check from '../../lib/checks/network-policy-denies.js';

function pod(name: string, node: string, ip: string, extra: Partial<PodFact> = {}): PodFact {
  return {
    namespace: 'shop',
    name,
    labels: { app: 'payments', 'pod-template-hash': '7d9f8b6c5' },
    nodeName: node,
    podIP: ip,
    phase: 'Running',
    ready: true,
    conditions: [],
    containers: [{ name: 'api', ready: true, restartCount: 0, state: 'running', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
    ...extra,
  };
}

const netcheckSource: ProbeFacts['source'] = { namespace: 'netcheck', podLabels: { app: 'netcheck' }, ip: '10.244.2.30', description: 'netcheck worker pod' };

function facts(policies: NetworkPolicyFact[], source: ProbeFacts['source'] | null = netcheckSource, pods = [pod('payments-a', 'node-1', '10.244.1.12')]): Facts {
  return {
    target: { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' },
    collectedAt: '2026-11-26T07:00:00.000Z',
    services: [
      {
        namespace: 'shop',
        name: 'payments',
        type: 'ClusterIP',
        clusterIP: '10.96.41.7',
        selector: { app: 'payments' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    ],
    sameNameElsewhere: [],
    pods,
    endpointSlices: [],
    nodes: [],
    networkPolicies: policies,
    namespaces: [
      { name: 'shop', labels: {} },
      { name: 'netcheck', labels: {} },
    ],
    systemDaemonSets: [],
    systemPods: [],
    probes: { enabled: true, ...(source ? { source } : {}), tcp: [], dns: [] },
    nodeAgents: [],
    accessErrors: [],
  };
}

const defaultDeny: NetworkPolicyFact = { namespace: 'shop', name: 'default-deny', podSelector: {}, policyTypes: ['Ingress'], ingress: [], egress: [] };

/** Turn the remediation's manifest into a policy fact, the way the gatherer would. */
function policyFromRemediation(remediation: string): NetworkPolicyFact {
  const manifest = parse(remediation.split('\n').slice(1, -1).join('\n'));
  expect(manifest.kind).toBe('NetworkPolicy');
  return {
    namespace: manifest.metadata.namespace,
    name: manifest.metadata.name,
    podSelector: manifest.spec.podSelector,
    policyTypes: manifest.spec.policyTypes,
    ingress: manifest.spec.ingress.map((rule: { from?: NetworkPolicyFact['ingress'][number]['peers']; ports?: NetworkPolicyFact['ingress'][number]['ports'] }) => ({
      peers: rule.from,
      ports: rule.ports,
    })),
    egress: [],
  };
}

describe('network-policy-denies', () => {
  it('fails naming the policy and the denied pod, and its fix admits the probing source', () => {
    const before = facts([defaultDeny]);
    const [result] = check.run(before);
    expect(result?.status).toBe('fail');
    expect(result?.subjects).toContainEqual({ kind: 'networkpolicy', name: 'default-deny', namespace: 'shop', policyKind: 'NetworkPolicy' });
    expect(result?.subjects).toContainEqual(expect.objectContaining({ kind: 'pod', name: 'payments-a', namespace: 'shop' }));
    const fix = policyFromRemediation(result?.remediation ?? '');
    expect(fix.ingress[0]?.ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
    const [after] = check.run(facts([defaultDeny, fix]));
    expect(after?.status).toBe('pass');
  });

  it('an IP-only source gets an ipBlock /32 in the fix', () => {
    const source = { ip: '10.244.0.1', description: 'netcheck CLI on the node network' };
    const [result] = check.run(facts([defaultDeny], source));
    expect(result?.remediation).toContain('cidr: 10.244.0.1/32');
    const [after] = check.run(facts([defaultDeny, policyFromRemediation(result?.remediation ?? '')], source));
    expect(after?.status).toBe('pass');
  });

  it('names only the denied pods when a policy selects some of them', () => {
    const canaryOnly: NetworkPolicyFact = { ...defaultDeny, name: 'canary-lockdown', podSelector: { matchLabels: { track: 'canary' } } };
    const pods = [pod('payments-a', 'node-1', '10.244.1.12'), pod('payments-canary', 'node-2', '10.244.2.9', { labels: { app: 'payments', track: 'canary' } })];
    const [result] = check.run(facts([canaryOnly], netcheckSource, pods));
    expect(result?.status).toBe('fail');
    expect(result?.detail).toContain('payments-canary (1 of 2 backend pods of shop/payments)');
    expect(result?.subjects.filter((s) => s.kind === 'pod')).toEqual([{ kind: 'pod', name: 'payments-canary', namespace: 'shop', ip: '10.244.2.9', node: 'node-2' }]);
  });

  it('without a known source: default deny still fails, an allow for real clients is unknown, an allow matching nobody warns', () => {
    expect(check.run(facts([defaultDeny], null))[0]?.status).toBe('fail');
    const allowWeb: NetworkPolicyFact = { ...defaultDeny, name: 'allow-web', ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'web' } } }] }] };
    const web = pod('web-1', 'node-1', '10.244.1.40', { labels: { app: 'web' } });
    const [unknown] = check.run(facts([allowWeb], null, [pod('payments-a', 'node-1', '10.244.1.12'), web]));
    expect(unknown?.status).toBe('skip');
    expect(unknown?.detail).toMatch(/^unknown for a given client, because/);
    expect(unknown?.detail).toContain('shop/allow-web: pods app=web');
    const [dead] = check.run(facts([allowWeb], null));
    expect(dead?.status).toBe('warn');
    expect(dead?.detail).toContain('matches no pod in shop');
    expect(dead?.subjects).toContainEqual({ kind: 'networkpolicy', name: 'allow-web', namespace: 'shop', policyKind: 'NetworkPolicy' });
  });

  describe('in a sweep, which keeps problems only', () => {
    // An AdminNetworkPolicy over every pod of the namespace: weighing it makes a single diagnosis
    // without a client "unknown", and is what a sweep spares where NetworkPolicies raise no problem.
    const withAdminPolicy = (f: Facts, keeps?: 'problems'): Facts => ({
      ...f,
      policySystems: {
        ...emptyPolicySystems(),
        apis: [{ system: 'admin', group: 'policy.networking.k8s.io', version: 'v1alpha1', state: 'served' }],
        admin: [
          {
            kind: 'AdminNetworkPolicy',
            name: 'tenants',
            priority: 5,
            subject: { namespaces: {} },
            ingress: [{ name: 'same-tenant', action: 'Allow', peers: [{ namespaces: { matchLabels: { team: 'shop' } } }] }],
            egress: [],
          },
        ],
      },
      ...(keeps ? { keeps } : {}),
    });

    it('answers a skip, never a pass, where the NetworkPolicies raise nothing and other policies were not weighed', () => {
      const single = check.run(withAdminPolicy(facts([], null)))[0];
      expect(single).toMatchObject({ status: 'skip', detail: expect.stringContaining('AdminNetworkPolicy tenants (priority 5)') });
      const swept = check.run(withAdminPolicy(facts([], null), 'problems'))[0];
      expect(swept?.status).toBe('skip');
      expect(swept?.detail).toBe('not judged (a sweep reports problems only)');
      // Without any other policy, a single diagnosis passes; the sweep, which weighed nothing beyond, still skips.
      expect(check.run(facts([], null))[0]?.status).toBe('pass');
      expect(check.run({ ...facts([], null), keeps: 'problems' })[0]?.status).toBe('skip');
    });

    it('gives the problems exactly as a single diagnosis does', () => {
      // Default deny alone fails both ways; under an admin policy that applies, both say unknown.
      for (const f of [facts([defaultDeny], null), withAdminPolicy(facts([defaultDeny], null))]) {
        expect(check.run({ ...f, keeps: 'problems' })).toEqual(check.run(f));
      }
      expect(check.run(facts([defaultDeny], null))[0]?.status).toBe('fail');
      expect(check.run(withAdminPolicy(facts([defaultDeny], null)))[0]?.detail).toMatch(/^unknown for a given client/);
    });
  });

  it('a target port that resolves on no pod is unknown, not a pass', () => {
    const f = facts([defaultDeny]);
    f.services[0]!.ports[0]!.targetPort = 'grpc';
    expect(check.run(f)[0]?.status).toBe('skip');
  });

  it('hostNetwork backends are outside NetworkPolicy', () => {
    const [result] = check.run(facts([defaultDeny], netcheckSource, [pod('payments-a', 'node-1', '172.18.0.2', { hostNetwork: true })]));
    expect(result?.status).toBe('skip');
  });

  it('a refused networkpolicies list is unknown, not a pass', () => {
    const f = facts([]);
    f.accessErrors.push({ verb: 'list', resource: 'networkpolicies', namespace: 'shop', status: 403, message: 'forbidden' });
    expect(check.run(f)[0]).toMatchObject({ status: 'skip', detail: 'unknown, because listing networkpolicies in shop failed (403: forbidden)' });
  });
});
