import { describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { calicoSelector, CalicoSelectorError } from '../../lib/checks/lib/policy/calico-selector.js';
import { compilePolicies, decideConnection, withNamespacedPolicies } from '../../lib/checks/lib/policy/evaluate.js';
import type { Endpoint } from '../../lib/checks/lib/netpol.js';
import { emptyPolicySystems, type NetworkPolicyFact, type PolicySystemsFact } from '../../lib/model/index.js';

// The engine on hand-made facts: each system's precedence, ports and CIDRs, and "unknown" where
// netcheck cannot judge a rule that could decide.

const namespaces = [
  { name: 'shop', labels: { team: 'payments' } },
  { name: 'web', labels: { team: 'web' } },
];
const nodes = [{ name: 'node-1', labels: { zone: 'a' }, ready: true, networkUnavailable: null, internalIP: '192.168.1.1', podCIDRs: [], unschedulable: false, taints: [] }];
const api: Endpoint = {
  namespace: 'shop',
  labels: { app: 'api' },
  ip: '10.0.1.5',
  containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  description: 'pod shop/api',
};
const client: Endpoint = { namespace: 'web', labels: { app: 'frontend' }, ip: '10.0.2.7', description: 'pod web/frontend' };
const outside: Endpoint = { ip: '203.0.113.9', description: '203.0.113.9' };

function decide(systems: Partial<PolicySystemsFact>, opts: { networkPolicies?: NetworkPolicyFact[]; source?: Endpoint; destination?: Endpoint; port?: number } = {}) {
  const set = compilePolicies({ networkPolicies: opts.networkPolicies ?? [], policySystems: { ...emptyPolicySystems(), ...systems }, namespaces, nodes, pods: [] });
  return decideConnection(set, { source: opts.source ?? client, destination: opts.destination ?? api, port: opts.port ?? 8080, protocol: 'TCP' });
}

const allowWeb: NetworkPolicyFact = {
  namespace: 'shop',
  name: 'allow-web',
  podSelector: { matchLabels: { app: 'api' } },
  policyTypes: ['Ingress'],
  ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'web' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
  egress: [],
};

describe('Calico selectors', () => {
  const labels = { app: 'web', tier: 'front', 'k8s.io/role': 'x' };
  for (const [text, want] of [
    ['', true],
    ['all()', true],
    ["app == 'web'", true],
    ["app != 'web'", false],
    ['has(tier) && !has(missing)', true],
    ["app in {'api', 'web'} && tier not in {'back'}", true],
    ["(app == 'api' || tier == 'front') && k8s.io/role == \"x\"", true],
    ["app contains 'e' && app starts with 'w' && app ends with 'b'", true],
    ['global()', false],
  ] as const) {
    it(`${text || '<empty>'} → ${want}`, () => expect(calicoSelector(text)(labels)).toBe(want));
  }
  it('refuses what does not parse', () => {
    expect(() => calicoSelector("app = 'web'")).toThrow(CalicoSelectorError);
    expect(() => calicoSelector("app == 'web")).toThrow(/unterminated/);
  });
});

describe('Calico order, tiers, Pass and Log', () => {
  const gnp = (name: string, order: number | undefined, tier: string, ingress: PolicySystemsFact['calico'][number]['ingress']) => ({
    kind: 'GlobalNetworkPolicy' as const,
    group: 'projectcalico.org',
    name,
    tier,
    ...(order !== undefined ? { order } : {}),
    selector: "app == 'api'",
    types: ['Ingress' as const],
    ingress,
    egress: [],
  });

  it('lower order first within a tier; Log goes on to the next rule', () => {
    const v = decide({
      calico: [
        gnp('b-deny', 20, 'default', [{ action: 'Deny' }]),
        gnp('a-allow', 10, 'default', [{ action: 'Log' }, { action: 'Allow', protocol: 'TCP', destination: { ports: ['8000:8100'] } }]),
      ],
    });
    expect(v.allowed).toBe(true);
    expect(v.ingress?.decidedBy[0]).toMatchObject({ policy: { name: 'a-allow' }, rule: { index: 1 } });
  });

  it('Pass skips to the next tier, where the NetworkPolicy (default tier) admits on the named port', () => {
    const v = decide(
      {
        calicoTiers: [{ name: 'security', order: 100 }],
        calico: [gnp('pass-web', 1, 'security', [{ action: 'Pass', source: { namespaceSelector: "team == 'web'" } }, { action: 'Deny' }])],
      },
      { networkPolicies: [allowWeb] },
    );
    expect(v.allowed).toBe(true);
    expect(v.ingress?.decidedBy[0]?.policy).toMatchObject({ kind: 'NetworkPolicy', name: 'allow-web' });
  });

  it('a tier whose policies decide nothing denies, unless its defaultAction is Pass', () => {
    const policies = [gnp('only-monitoring', 1, 'security', [{ action: 'Allow', source: { namespaceSelector: "team == 'monitoring'" } }])];
    expect(decide({ calicoTiers: [{ name: 'security', order: 100 }], calico: policies }).ingress).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('end of the tier'),
    });
    expect(decide({ calicoTiers: [{ name: 'security', order: 100, defaultAction: 'Pass' }], calico: policies }).allowed).toBe(true);
  });

  it('nets and notNets match the other end by address; a selector that does not parse is unknown, never allowed', () => {
    const outsider = decide({ calico: [gnp('nets', 1, 'default', [{ action: 'Allow', source: { nets: ['203.0.113.0/24'], notNets: ['203.0.113.9/32'] } }])] }, { source: outside });
    expect(outsider.allowed).toBe(false);
    const broken = decide({ calico: [gnp('typo', 1, 'default', [{ action: 'Deny', source: { selector: "app = 'x'" } }])] });
    expect(broken.allowed).toBeNull();
    expect(broken.ingress?.unknown).toMatch(/does not parse/);
  });
});

describe('Cilium', () => {
  const cnp = (specs: PolicySystemsFact['cilium'][number]['specs'], kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy' = 'CiliumNetworkPolicy') => ({
    kind,
    name: 'p',
    ...(kind === 'CiliumNetworkPolicy' ? { namespace: 'shop' } : {}),
    specs,
  });

  it('egress to a CIDR set honours except; a pod address is never matched by CIDR', () => {
    const egress = [cnp([{ endpointSelector: { matchLabels: { app: 'api' } }, egress: [{ cidrSet: [{ cidr: '203.0.113.0/24', except: ['203.0.113.9/32'] }] }] }])];
    expect(decide({ cilium: egress }, { source: api, destination: { ip: '203.0.113.10', description: 'x' } }).egress?.allowed).toBe(true);
    expect(decide({ cilium: egress }, { source: api, destination: outside }).egress?.allowed).toBe(false);
    expect(decide({ cilium: egress }, { source: api, destination: { ...client, ip: '203.0.113.10' } }).egress?.allowed).toBe(false);
  });

  it('port ranges (endPort) and fromEndpoints in the policy namespace only', () => {
    const sameNamespace = [cnp([{ endpointSelector: {}, ingress: [{ endpoints: [{}], toPorts: [{ ports: [{ port: '8000', endPort: 8090, protocol: 'TCP' }] }] }] }])];
    expect(decide({ cilium: sameNamespace }).allowed).toBe(false);
    expect(decide({ cilium: sameNamespace }, { source: { ...client, namespace: 'shop' } }).allowed).toBe(true);
    expect(decide({ cilium: sameNamespace }, { source: { ...client, namespace: 'shop' }, port: 9000 }).allowed).toBe(false);
  });

  it('enableDefaultDeny false: a deny-only policy does not isolate', () => {
    const denyOnly = [cnp([{ endpointSelector: {}, ingressDeny: [{ entities: ['world'] }], enableDefaultDeny: { ingress: false } }], 'CiliumClusterwideNetworkPolicy')];
    expect(decide({ cilium: denyOnly }).allowed).toBe(true);
    expect(decide({ cilium: denyOnly }, { source: outside }).ingress).toMatchObject({ allowed: false, decidedBy: [{ rule: { section: 'ingressDeny' } }] });
  });

  it('a rule netcheck does not evaluate (toFQDNs) that could admit makes egress unknown', () => {
    const fqdn = [cnp([{ endpointSelector: { matchLabels: { app: 'api' } }, egress: [{ unsupported: ['toFQDNs'] }] }])];
    expect(decide({ cilium: fqdn }, { source: api, destination: outside }).allowed).toBeNull();
  });
});

describe('AdminNetworkPolicy and the baseline', () => {
  const anp = (name: string, priority: number, action: 'Allow' | 'Deny' | 'Pass') => ({
    kind: 'AdminNetworkPolicy' as const,
    name,
    priority,
    subject: { namespaces: { matchLabels: { team: 'payments' } } },
    ingress: [{ name: `${action.toLowerCase()}-web`, action, peers: [{ namespaces: { matchLabels: { team: 'web' } } }], ports: [{ namedPort: 'http' }] }],
    egress: [],
  });

  it('the lowest priority number decides first', () => {
    const v = decide({ admin: [anp('late-allow', 50, 'Allow'), anp('early-deny', 5, 'Deny')] });
    expect(v.ingress).toMatchObject({ allowed: false, stage: 'admin', decidedBy: [{ policy: { name: 'early-deny' } }] });
  });

  it('Pass hands the decision to NetworkPolicy, skipping the remaining admin policies', () => {
    const v = decide({ admin: [anp('pass', 1, 'Pass'), anp('deny', 2, 'Deny')] }, { networkPolicies: [allowWeb] });
    expect(v.ingress).toMatchObject({ allowed: true, stage: 'namespace' });
  });

  it('egress: a BANP deny of the world loses to a NetworkPolicy egress allow, and decides where nothing else does', () => {
    const banp = {
      kind: 'BaselineAdminNetworkPolicy' as const,
      name: 'default',
      subject: { namespaces: {} },
      ingress: [],
      egress: [{ name: 'no-internet', action: 'Deny' as const, peers: [{ networks: ['0.0.0.0/0'] }] }],
    };
    const egressAllow: NetworkPolicyFact = {
      namespace: 'shop',
      name: 'egress-out',
      podSelector: {},
      policyTypes: ['Egress'],
      ingress: [],
      egress: [{ peers: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }],
    };
    expect(decide({ admin: [banp] }, { source: api, destination: outside }).egress).toMatchObject({
      allowed: false,
      stage: 'baseline',
      decidedBy: [{ rule: { name: 'no-internet' } }],
    });
    expect(decide({ admin: [banp] }, { source: api, destination: outside, networkPolicies: [egressAllow] }).egress).toMatchObject({ allowed: true, stage: 'namespace' });
  });
});

describe('admin policies in Calico tiers (Calico enforcing AdminNetworkPolicy itself)', () => {
  const denyWeb = {
    kind: 'AdminNetworkPolicy' as const,
    name: 'deny-web',
    priority: 5,
    subject: { namespaces: { matchLabels: { team: 'payments' } } },
    ingress: [{ name: 'no-web', action: 'Deny' as const, peers: [{ namespaces: { matchLabels: { team: 'web' } } }] }],
    egress: [],
  };
  const calicoPolicy = (name: string, tier: string, order: number, action: 'Allow' | 'Deny' | 'Pass') => ({
    kind: 'GlobalNetworkPolicy' as const,
    group: 'projectcalico.org',
    name,
    tier,
    order,
    selector: "app == 'api'",
    types: ['Ingress' as const],
    ingress: [{ action, source: { namespaceSelector: "team == 'web'" } }],
    egress: [],
  });
  const calicoAdminTiers = [
    { name: 'adminnetworkpolicy', order: 1000, defaultAction: 'Pass' as const },
    { name: 'baselineadminnetworkpolicy', order: 10_000_000, defaultAction: 'Pass' as const },
  ];

  it('a Calico tier ordered before 1,000 decides before any AdminNetworkPolicy', () => {
    const systems = {
      calicoTiers: [{ name: 'security', order: 100 }, ...calicoAdminTiers],
      calico: [calicoPolicy('security.allow-web', 'security', 1, 'Allow')],
      admin: [denyWeb],
    };
    expect(decide(systems).ingress).toMatchObject({ allowed: true, stage: 'namespace', decidedBy: [{ policy: { name: 'security.allow-web' } }] });
    // Without Calico's admin tier in the list, the admin stage comes first, as the API specifies.
    expect(decide({ ...systems, calicoTiers: [{ name: 'security', order: 100 }] }).ingress).toMatchObject({ allowed: false, stage: 'admin' });
  });

  it('in the admin tier, Calico policies and AdminNetworkPolicies are ordered together (priority as order)', () => {
    const early = decide({ calicoTiers: calicoAdminTiers, calico: [calicoPolicy('adminnetworkpolicy.allow-web', 'adminnetworkpolicy', 3, 'Allow')], admin: [denyWeb] });
    expect(early.ingress).toMatchObject({ allowed: true, decidedBy: [{ policy: { name: 'adminnetworkpolicy.allow-web' } }] });
    const late = decide({ calicoTiers: calicoAdminTiers, calico: [calicoPolicy('adminnetworkpolicy.allow-web', 'adminnetworkpolicy', 7, 'Allow')], admin: [denyWeb] });
    expect(late.ingress).toMatchObject({ allowed: false, stage: 'admin', decidedBy: [{ policy: { name: 'deny-web' }, placement: 'tier adminnetworkpolicy, priority 5' }] });
  });

  it('the admin tier ends in Pass; the baseline tier comes after the default tier, and a tier after it after that', () => {
    const banp = {
      kind: 'BaselineAdminNetworkPolicy' as const,
      name: 'default',
      subject: { namespaces: {} },
      ingress: [{ name: 'allow-web', action: 'Allow' as const, peers: [{ namespaces: { matchLabels: { team: 'web' } } }] }],
      egress: [],
    };
    const v = decide({
      calicoTiers: [...calicoAdminTiers, { name: 'late', order: 20_000_000 }],
      calico: [calicoPolicy('late.deny-web', 'late', 1, 'Deny')],
      admin: [{ ...denyWeb, ingress: [{ ...denyWeb.ingress[0]!, peers: [{ namespaces: { matchLabels: { team: 'nobody' } } }] }] }, banp],
    });
    expect(v.ingress).toMatchObject({ allowed: true, stage: 'baseline', decidedBy: [{ policy: { kind: 'BaselineAdminNetworkPolicy' } }] });
  });
});

describe("ClusterNetworkPolicies in Calico's kube-admin and kube-baseline tiers", () => {
  const cnp = (name: string, tier: 'Admin' | 'Baseline', priority: number, action: 'Allow' | 'Deny') => ({
    kind: 'ClusterNetworkPolicy' as const,
    name,
    tier,
    priority,
    subject: { namespaces: { matchLabels: { team: 'payments' } } },
    ingress: [{ action, peers: [{ namespaces: { matchLabels: { team: 'web' } } }] }],
    egress: [],
  });
  const tiers = [
    { name: 'kube-admin', order: 1000 },
    { name: 'kube-baseline', order: 10_000_000 },
  ];
  // A Calico policy elsewhere makes Calico's single tier walk apply.
  const unrelated = {
    kind: 'GlobalNetworkPolicy' as const,
    group: 'projectcalico.org',
    name: 'unrelated',
    tier: 'default',
    selector: "app == 'nothing'",
    types: ['Ingress' as const],
    ingress: [{ action: 'Allow' as const }],
    egress: [],
  };

  it('Baseline ClusterNetworkPolicies keep their priority as their order in kube-baseline', () => {
    const accept = cnp('accept-web', 'Baseline', 5, 'Allow');
    const deny = cnp('deny-web', 'Baseline', 10, 'Deny');
    expect(decide({ calicoTiers: tiers, calico: [unrelated], admin: [deny, accept] }).ingress).toMatchObject({
      allowed: true,
      stage: 'baseline',
      decidedBy: [{ policy: { name: 'accept-web' } }],
    });
    expect(decide({ calicoTiers: tiers, calico: [unrelated], admin: [{ ...deny, priority: 1 }, accept] }).ingress).toMatchObject({ allowed: false, stage: 'baseline' });
  });

  it('an Admin-tier one in kube-admin decides before the default tier', () => {
    expect(decide({ calicoTiers: tiers, calico: [unrelated], admin: [cnp('deny-web', 'Admin', 50, 'Deny')] }, { networkPolicies: [allowWeb] }).ingress).toMatchObject({
      allowed: false,
      stage: 'admin',
      decidedBy: [{ placement: 'tier kube-admin, priority 50' }],
    });
  });
});

describe('the sweep index', () => {
  it('offers every policy that applies to a pod (hints only narrow, never decide)', async () => {
    const { loadScenario } = await import('../scenarios/load.js');
    const { readdirSync } = await import('node:fs');
    const dir = new URL('../scenarios/', import.meta.url).pathname;
    let applied = 0;
    for (const file of readdirSync(dir).filter((f) => f.startsWith('network-policy-denies--'))) {
      const { facts } = loadScenario(`${dir}${file}`);
      const set = compilePolicies(facts);
      for (const pod of [api, client, { ...api, labels: { app: 'payments' } }]) {
        const offered = new Set(set.beyond.candidates(pod as never));
        for (const policy of [...set.admin, ...set.calico, ...set.cilium, ...set.baseline]) {
          if (policy.appliesTo(pod as never, 'Ingress', set.ctx) === false) continue;
          applied++;
          withContext(`${file}: ${policy.ref.name}`, () => expect(offered.has(policy)).toBe(true));
        }
      }
    }
    expect(applied).toBeGreaterThan(5);
  });

  it("a namespace's set made from the cluster-wide one offers what a plain set of the same policies offers, in order, and shares its compile", () => {
    const calico = (name: string, selector: string, namespace?: string): PolicySystemsFact['calico'][number] => ({
      kind: namespace ? 'NetworkPolicy' : 'GlobalNetworkPolicy',
      group: 'projectcalico.org',
      name,
      ...(namespace ? { namespace } : {}),
      tier: 'default',
      selector,
      types: ['Ingress'],
      ingress: [{ action: 'Allow' }],
      egress: [],
    });
    const cilium = (name: string, matchLabels: Record<string, string>, namespace?: string): PolicySystemsFact['cilium'][number] => ({
      kind: namespace ? 'CiliumNetworkPolicy' : 'CiliumClusterwideNetworkPolicy',
      name,
      ...(namespace ? { namespace } : {}),
      specs: [{ endpointSelector: { matchLabels }, ingress: [{ endpoints: [{}] }] }],
    });
    const admin = (name: string, namespace: string): PolicySystemsFact['admin'][number] => ({
      kind: 'AdminNetworkPolicy',
      name,
      priority: 10,
      subject: { pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: { app: 'api' } } } },
      ingress: [{ name: 'all', action: 'Allow', peers: [{ namespaces: {} }] }],
      egress: [],
    });
    const clusterWide: PolicySystemsFact = {
      ...emptyPolicySystems(),
      calico: [
        calico('gnp-shop-api', "app == 'api' && projectcalico.org/namespace == 'shop'"),
        calico('gnp-web-api', "app == 'api' && projectcalico.org/namespace == 'web'"),
        calico('gnp-all', 'all()'),
      ],
      cilium: [cilium('ccnp-shop-api', { app: 'api', 'k8s:io.kubernetes.pod.namespace': 'shop' }), cilium('ccnp-api', { app: 'api' })],
      admin: [admin('anp-shop', 'shop'), admin('anp-web', 'web')],
    };
    const own = { calico: [calico('np-api', "app == 'api'", 'shop')], cilium: [cilium('cnp-api', { app: 'api' }, 'shop')] };
    const plain = compilePolicies({
      networkPolicies: [],
      policySystems: { ...clusterWide, calico: [...own.calico, ...clusterWide.calico], cilium: [...own.cilium, ...clusterWide.cilium] },
      namespaces,
      nodes,
      pods: [],
    });
    const derived = compilePolicies({ networkPolicies: [], policySystems: withNamespacedPolicies(clusterWide, own), namespaces, nodes, pods: [] });
    const shared = compilePolicies({ networkPolicies: [], policySystems: clusterWide, namespaces, nodes, pods: [] });
    const names = (set: typeof plain, pod: Endpoint) => set.beyond.candidates(pod as never).map((p) => p.ref.name);
    const applying = (set: typeof plain, pod: Endpoint) =>
      set.beyond
        .candidates(pod as never)
        .filter((p) => p.appliesTo(pod as never, 'Ingress', set.ctx) !== false)
        .map((p) => p.ref.name);
    for (const pod of [api, client, { ...api, namespace: 'web', description: 'pod web/api' }]) {
      withContext(pod.description, () => expect(applying(derived, pod)).toEqual(applying(plain, pod)));
      // The namespace+label index offers no policy of another namespace, and everything that applies.
      withContext(pod.description, () => expect(names(derived, pod)).toEqual(names(plain, pod)));
    }
    expect(names(derived, api)).toEqual(['anp-shop', 'np-api', 'gnp-shop-api', 'gnp-all', 'cnp-api', 'ccnp-shop-api', 'ccnp-api']);
    expect(names(derived, { ...api, namespace: 'web', description: 'pod web/api' })).toEqual(['anp-web', 'gnp-web-api', 'gnp-all', 'ccnp-api']);
    // The cluster-wide policies are translated once, whichever namespace's set holds them.
    expect(derived.admin).toBe(shared.admin);
    expect(derived.calico.slice(own.calico.length)).toEqual(shared.calico);
    expect(derived.calico[1]).toBe(shared.calico[0]);
  });
});
