import { describe, expect, it } from '@jest/globals';
import { compilePolicies, decideConnection } from '../../lib/checks/lib/policy/evaluate.js';
import type { Endpoint } from '../../lib/checks/lib/netpol.js';
import { toAdminPolicyFact, toCalicoPolicyFact, toCiliumPolicyFact, toClusterNetworkPolicyFact } from '../../lib/kube/policy-convert.js';
import { toPodFact } from '../../lib/kube/convert.js';
import { emptyPolicySystems, type PolicySystemsFact } from '../../lib/model/index.js';

// Policy objects as the API serves them, through the converters into the engine: the shapes
// older CRD versions still serve, and the service-account selectors, must never be read as
// "selects everything" or "selects nothing".

const namespaces = [
  { name: 'shop', labels: { team: 'payments' } },
  { name: 'web', labels: { team: 'web' } },
  { name: 'batch', labels: { team: 'batch' } },
];
const api: Endpoint = {
  namespace: 'shop',
  labels: { app: 'api' },
  serviceAccount: 'api',
  ip: '10.0.1.5',
  containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  description: 'pod shop/api',
};
const frontend: Endpoint = { namespace: 'web', labels: { app: 'frontend' }, serviceAccount: 'frontend', ip: '10.0.2.7', description: 'pod web/frontend' };

function decide(systems: Partial<PolicySystemsFact>, source: Endpoint = frontend, destination: Endpoint = api) {
  const set = compilePolicies({ networkPolicies: [], policySystems: { ...emptyPolicySystems(), ...systems }, namespaces, nodes: [], pods: [] });
  return decideConnection(set, { source, destination, port: 8080, protocol: 'TCP' });
}

describe('AdminNetworkPolicy objects of API v0.1.1 (peers wrap their namespace selector)', () => {
  const anp = (peer: unknown, ports?: unknown[]) =>
    toAdminPolicyFact(
      {
        metadata: { name: 'deny-batch' },
        spec: {
          priority: 5,
          subject: { namespaces: { matchLabels: { team: 'payments' } } },
          ingress: [{ name: 'no-batch', action: 'Deny', from: [peer], ...(ports ? { ports } : {}) }],
        },
      },
      'AdminNetworkPolicy',
    );

  it('namespaces.namespaceSelector selects only those namespaces, not every one', () => {
    const old = anp({ namespaces: { namespaceSelector: { matchLabels: { team: 'batch' } } } });
    expect(old.ingress[0]?.peers[0]?.namespaces).toEqual({ matchLabels: { team: 'batch' } });
    expect(decide({ admin: [old] }).ingress).toMatchObject({ allowed: true, stage: 'none' });
    expect(decide({ admin: [old] }, { ...frontend, namespace: 'batch' }).ingress).toMatchObject({ allowed: false, stage: 'admin' });
  });

  it('pods.namespaces.namespaceSelector likewise', () => {
    const old = anp({ pods: { namespaces: { namespaceSelector: { matchLabels: { team: 'batch' } } }, podSelector: { matchLabels: { app: 'frontend' } } } });
    expect(old.ingress[0]?.peers[0]?.pods).toEqual({ namespaceSelector: { matchLabels: { team: 'batch' } }, podSelector: { matchLabels: { app: 'frontend' } } });
    expect(decide({ admin: [old] }).ingress?.allowed).toBe(true);
    expect(decide({ admin: [old] }, { ...frontend, namespace: 'batch' }).ingress?.allowed).toBe(false);
  });

  it('the current shape reads the same', () => {
    const current = anp({ pods: { namespaceSelector: { matchLabels: { team: 'batch' } }, podSelector: { matchLabels: { app: 'frontend' } } } });
    expect(decide({ admin: [current] }).ingress?.allowed).toBe(true);
    expect(decide({ admin: [current] }, { ...frontend, namespace: 'batch' }).ingress?.allowed).toBe(false);
  });

  it('sameLabels, a peer type netcheck does not know, or a port it does not know: unknown, never allowed', () => {
    for (const policy of [
      anp({ namespaces: { sameLabels: ['team'] } }),
      anp({ namespaces: { notSameLabels: ['team'] } }),
      anp({ serviceAccounts: { names: ['frontend'] } }),
      anp({ namespaces: {} }, [{ portSet: [8080] }]),
    ]) {
      const v = decide({ admin: [policy] }).ingress;
      expect(v).toMatchObject({ allowed: null, stage: 'admin' });
      expect(v?.reason).toMatch(/^unknown, because AdminNetworkPolicy deny-batch/);
    }
  });

  it('a subject netcheck does not know makes whom the policy binds unknown', () => {
    const policy = toAdminPolicyFact(
      { metadata: { name: 'future' }, spec: { priority: 1, subject: { serviceAccounts: { names: ['api'] } }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] } },
      'AdminNetworkPolicy',
    );
    expect(decide({ admin: [policy] }).ingress).toMatchObject({ allowed: null });
  });
});

describe("ClusterNetworkPolicy (the admin policies' successor)", () => {
  const cnp = (name: string, spec: Record<string, unknown>) =>
    toClusterNetworkPolicyFact({ metadata: { name }, spec: { subject: { namespaces: { matchLabels: { team: 'payments' } } }, ...spec } });
  const fromWeb = { namespaces: { matchLabels: { team: 'web' } } };

  it('reads Accept as Allow and protocols as ports: a number, a range, every port of a protocol, a named port', () => {
    const policy = cnp('ports', {
      tier: 'Admin',
      priority: 3,
      ingress: [
        {
          action: 'Accept',
          from: [fromWeb],
          protocols: [
            { tcp: { destinationPort: { number: 80 } } },
            { udp: { destinationPort: { range: { start: 5000, end: 6000 } } } },
            { sctp: {} },
            { destinationNamedPort: 'http' },
          ],
        },
      ],
    });
    expect(policy).toMatchObject({ kind: 'ClusterNetworkPolicy', tier: 'Admin', priority: 3 });
    expect(policy.ingress[0]).toMatchObject({
      action: 'Allow',
      ports: [
        { portNumber: { protocol: 'TCP', port: 80 } },
        { portRange: { protocol: 'UDP', start: 5000, end: 6000 } },
        { portRange: { protocol: 'SCTP', start: 1, end: 65535 } },
        { namedPort: 'http' },
      ],
    });
    expect(decide({ admin: [policy] }).ingress).toMatchObject({ allowed: true, stage: 'admin', reason: expect.stringContaining('Accept from namespaces team=web') });
  });

  it('Admin tier before NetworkPolicy, lowest priority first among the ANPs too; Pass hands over to the namespace level', () => {
    const deny = cnp('deny-web', { tier: 'Admin', priority: 20, ingress: [{ action: 'Deny', from: [fromWeb] }] });
    const anpAllow = toAdminPolicyFact(
      { metadata: { name: 'anp-allow' }, spec: { priority: 10, subject: { namespaces: {} }, ingress: [{ action: 'Allow', from: [fromWeb] }] } },
      'AdminNetworkPolicy',
    );
    expect(decide({ admin: [deny, anpAllow] }).ingress).toMatchObject({ allowed: true, decidedBy: [{ policy: { name: 'anp-allow' } }] });
    const pass = cnp('pass-web', { tier: 'Admin', priority: 1, ingress: [{ action: 'Pass', from: [fromWeb] }] });
    expect(decide({ admin: [pass, deny] }).ingress).toMatchObject({ allowed: true, stage: 'none' });
  });

  it('a tier or protocol netcheck does not know is unknown, never allowed', () => {
    expect(decide({ admin: [cnp('future-tier', { tier: 'Platform', priority: 1, ingress: [{ action: 'Deny', from: [fromWeb] }] })] }).allowed).toBeNull();
    expect(decide({ admin: [cnp('icmp', { tier: 'Admin', priority: 1, ingress: [{ action: 'Deny', from: [fromWeb], protocols: [{ icmp: {} }] }] })] }).allowed).toBeNull();
  });
});

describe('Calico host-endpoint flags', () => {
  const firewall = (flags: Record<string, boolean>) =>
    toCalicoPolicyFact(
      {
        metadata: { name: 'host-firewall' },
        spec: { selector: 'all()', ...flags, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [22] } }] },
      },
      'GlobalNetworkPolicy',
      'projectcalico.org',
    );

  it('an applyOnForward policy is still a normal one: its selector binds pods too (Felix puts it in their tiers)', () => {
    const policy = firewall({ applyOnForward: true });
    expect(policy).toMatchObject({ applyOnForward: true });
    expect(policy.hostOnly).toBeUndefined();
    expect(decide({ calico: [policy] }).ingress).toMatchObject({ allowed: false, reason: expect.stringMatching(/end of the tier/) });
  });

  it('pre-DNAT and untracked policies bind host endpoints only', () => {
    const hostFlags: Record<string, boolean>[] = [
      { preDNAT: true, applyOnForward: true },
      { doNotTrack: true, applyOnForward: true },
    ];
    for (const flags of hostFlags) {
      const policy = firewall(flags);
      expect(policy.hostOnly).toBe(true);
      expect(decide({ calico: [policy] }).ingress).toMatchObject({ allowed: true, stage: 'none' });
    }
  });
});

describe('Calico rule ipVersion', () => {
  const policy = (ipVersion: unknown) =>
    toCalicoPolicyFact(
      { metadata: { name: 'api-v4', namespace: 'shop' }, spec: { selector: "app == 'api'", ingress: [{ action: 'Allow', ipVersion, source: { namespaceSelector: 'all()' } }] } },
      'NetworkPolicy',
      'projectcalico.org',
    );

  it("is judged by the connection's address family, not left unknown", () => {
    expect(decide({ calico: [policy(4)] }).ingress?.allowed).toBe(true);
    expect(decide({ calico: [policy(6)] }).ingress).toMatchObject({ allowed: false, reason: expect.stringMatching(/end of the tier/) });
    expect(decide({ calico: [policy(6)] }, { ...frontend, ip: 'fd00::7' }, { ...api, ip: 'fd00::5' }).ingress?.allowed).toBe(true);
  });

  it('unknown when the addresses are not known, or the version is not 4 or 6', () => {
    expect(decide({ calico: [policy(4)] }, { ...frontend, ip: undefined }, { ...api, ip: undefined }).ingress?.allowed).toBeNull();
    expect(decide({ calico: [policy('four')] }).ingress?.unknown).toMatch(/ipVersion "four"/);
  });
});

describe('service accounts', () => {
  it('a pod keeps its service account (spec.serviceAccountName, or the deprecated spec.serviceAccount)', () => {
    const pod = (spec: Record<string, unknown>) => toPodFact({ metadata: { name: 'p', namespace: 'shop' }, spec, status: { phase: 'Running' } });
    expect(pod({ serviceAccountName: 'api' }).serviceAccountName).toBe('api');
    expect(pod({ serviceAccount: 'legacy' }).serviceAccountName).toBe('legacy');
    expect(pod({}).serviceAccountName).toBeUndefined();
  });

  const calico = (spec: Record<string, unknown>) =>
    toCalicoPolicyFact({ metadata: { name: 'api-identity', namespace: 'shop' }, spec: { selector: "app == 'api'", ...spec } }, 'NetworkPolicy', 'projectcalico.org');

  it('Calico rule serviceAccounts.names admits the named account only', () => {
    const policy = calico({ ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', serviceAccounts: { names: ['frontend'] } } }] });
    expect(decide({ calico: [policy] }).ingress?.allowed).toBe(true);
    expect(decide({ calico: [policy] }, { ...frontend, serviceAccount: 'default' }).ingress).toMatchObject({ allowed: false, reason: expect.stringMatching(/end of the tier/) });
    // Without namespaceSelector a namespaced policy's service accounts are its namespace's.
    const local = calico({ ingress: [{ action: 'Allow', source: { serviceAccounts: { names: ['frontend'] } } }] });
    expect(decide({ calico: [local] }).ingress?.allowed).toBe(false);
    expect(decide({ calico: [policy] }, { ...frontend, serviceAccount: undefined }).ingress?.unknown).toMatch(/service account of pod web\/frontend is not known/);
  });

  it("Calico serviceAccountSelector: by the account's name it is judged; by its labels it is unknown", () => {
    const byName = calico({ serviceAccountSelector: "projectcalico.org/name == 'legacy'", ingress: [{ action: 'Deny' }] });
    expect(decide({ calico: [byName] }).ingress).toMatchObject({ allowed: true, stage: 'none' });
    expect(decide({ calico: [byName] }, frontend, { ...api, serviceAccount: 'legacy' }).ingress).toMatchObject({ allowed: false, stage: 'namespace' });
    const byLabel = calico({ serviceAccountSelector: "role == 'batch'", ingress: [{ action: 'Deny' }] });
    expect(decide({ calico: [byLabel] }).ingress?.unknown).toMatch(/reads the accounts' labels/);
    const selectorRule = calico({
      ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', serviceAccounts: { selector: "projectcalico.org/name in {'frontend', 'cron'}" } } }],
    });
    expect(decide({ calico: [selectorRule] }).ingress?.allowed).toBe(true);
  });

  it('Cilium selects by io.cilium.k8s.policy.serviceaccount; unknown when the pod’s account is not known', () => {
    const policy = toCiliumPolicyFact(
      {
        metadata: { name: 'api-from-frontend-sa', namespace: 'shop' },
        spec: {
          endpointSelector: { matchLabels: { app: 'api' } },
          ingress: [{ fromEndpoints: [{ matchLabels: { 'k8s:io.cilium.k8s.policy.serviceaccount': 'frontend', 'k8s:io.kubernetes.pod.namespace': 'web' } }] }],
        },
      },
      'CiliumNetworkPolicy',
    );
    expect(decide({ cilium: [policy] }).ingress?.allowed).toBe(true);
    expect(decide({ cilium: [policy] }, { ...frontend, serviceAccount: 'default' }).ingress?.allowed).toBe(false);
    expect(decide({ cilium: [policy] }, { ...frontend, serviceAccount: undefined }).ingress).toMatchObject({ allowed: null });
  });

  it('a Cilium selector naming the cluster (ClusterMesh policies) is unknown: the cluster name is in cilium-config, which netcheck does not read', () => {
    const policy = toCiliumPolicyFact(
      {
        metadata: { name: 'api-from-cluster1', namespace: 'shop' },
        spec: { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [{ fromEndpoints: [{ matchLabels: { 'k8s:io.cilium.k8s.policy.cluster': 'cluster1' } }] }] },
      },
      'CiliumNetworkPolicy',
    );
    expect(decide({ cilium: [policy] }, { ...frontend, namespace: 'shop' }).ingress?.unknown).toMatch(/Cilium cluster name/);
  });
});
