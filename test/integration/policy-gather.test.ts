// Calico, Cilium and admin network policies read from our API server through the kubeconfig it
// writes, as the worker and the CLI read them: discovery first, then only the groups served; a
// group the cluster lacks is "not installed" without a list request, a 403 is "not allowed" and
// an access error; the engine then decides with what was read.

import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { runChecks } from '../../lib/checks/index.js';
import { demoObjects } from '../../lib/demo/objects.js';
import { gatherObjects } from '../../lib/gather/kube.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import type { Facts, Target } from '../../lib/model/index.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { policyObject } from '../../lib/testkit/kube-objects.js';

const ALL_GROUPS = ['projectcalico.org', 'cilium.io', 'policy.networking.k8s.io'];
const target: Target = { kind: 'svc', name: 'checkout', namespace: 'shop', cluster: 'test' };

function policies() {
  return [
    policyObject('projectcalico.org/v3', 'Tier', 'security', undefined, { order: 100 }),
    policyObject('projectcalico.org/v3', 'GlobalNetworkPolicy', 'security.quarantine', undefined, {
      tier: 'security',
      order: 10,
      selector: "app == 'checkout'",
      types: ['Ingress'],
      ingress: [{ action: 'Deny', source: { namespaceSelector: "projectcalico.org/name == 'netcheck'" } }, { action: 'Pass' }],
    }),
    policyObject('projectcalico.org/v3', 'NetworkPolicy', 'shop-allow-web', 'shop', {
      selector: "app == 'cart'",
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['8000:8100'] } }],
    }),
    policyObject('projectcalico.org/v3', 'NetworkPolicy', 'other-namespace', 'web', { selector: 'all()', ingress: [{ action: 'Deny' }] }),
    policyObject('cilium.io/v2', 'CiliumNetworkPolicy', 'cart-from-cluster', 'shop', {
      endpointSelector: { matchLabels: { app: 'cart' } },
      ingress: [{ fromEntities: ['cluster'], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] }],
    }),
    policyObject('cilium.io/v2', 'CiliumClusterwideNetworkPolicy', 'deny-world-egress', undefined, {
      endpointSelector: {},
      egressDeny: [{ toCIDRSet: [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }] }],
    }),
    policyObject('policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', 'allow-monitoring', undefined, {
      priority: 20,
      subject: { namespaces: {} },
      ingress: [
        {
          name: 'monitoring',
          action: 'Allow',
          from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ portRange: { protocol: 'TCP', start: 9000, end: 9100 } }],
        },
      ],
    }),
    policyObject('policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy', 'default', undefined, {
      subject: { namespaces: {} },
      ingress: [{ name: 'default-deny', action: 'Deny', from: [{ namespaces: {} }] }],
    }),
    // Stored through the older version; listed through v1beta1, as one API server serves both.
    policyObject('policy.networking.k8s.io/v1alpha2', 'ClusterNetworkPolicy', 'baseline-isolation', undefined, {
      tier: 'Baseline',
      priority: 10,
      subject: { namespaces: {} },
      ingress: [{ name: 'isolate', action: 'Deny', from: [{ namespaces: {} }], protocols: [{ tcp: { destinationPort: { range: { start: 1, end: 1024 } } } }] }],
    }),
  ];
}

const fixture = () => [...demoObjects({ block: 251, apiServer: { host: '127.0.0.1', port: 6443 } }), ...policies()];

/** Facts for the checks: what the gather read, probed (for the policies) from a netcheck pod. */
function asFacts(objects: Awaited<ReturnType<typeof gatherObjects>>): Facts {
  return {
    ...objects,
    target,
    collectedAt: '2026-12-01T00:00:00.000Z',
    probes: { enabled: true, source: { description: 'netcheck worker pod', namespace: 'netcheck', podLabels: { app: 'netcheck' }, ip: '127.251.9.9' }, tcp: [], dns: [] },
    nodeAgents: [],
  };
}

describe('policy systems through the API', () => {
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: fixture(), serveGroups: ALL_GROUPS });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.setDeny([]);
    server.requests.length = 0;
  });

  it('reads every served system: the namespaces in scope and the cluster-wide policies, converted', async () => {
    const facts = await gatherObjects(kc, target);
    const systems = facts.policySystems!;
    expect(systems.apis.map((a) => `${a.group}/${a.version}:${a.state}`)).toEqual([
      'projectcalico.org/v3:served',
      'cilium.io/v2:served',
      'policy.networking.k8s.io/v1alpha1:served',
      'policy.networking.k8s.io/v1beta1:served',
    ]);
    expect(systems.calicoTiers).toEqual([{ name: 'security', order: 100 }]);
    // The web namespace is neither the target's nor the client's: its policy is not read.
    expect(systems.calico.map((p) => `${p.kind}/${p.namespace ?? ''}/${p.name}`).sort()).toEqual(['GlobalNetworkPolicy//security.quarantine', 'NetworkPolicy/shop/shop-allow-web']);
    expect(systems.calico.find((p) => p.kind === 'GlobalNetworkPolicy')).toMatchObject({
      tier: 'security',
      order: 10,
      types: ['Ingress'],
      ingress: [{ action: 'Deny' }, { action: 'Pass' }],
    });
    expect(systems.cilium.find((p) => p.kind === 'CiliumClusterwideNetworkPolicy')?.specs[0]?.egressDeny?.[0]?.cidrSet).toEqual([{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }]);
    expect(systems.cilium.find((p) => p.kind === 'CiliumNetworkPolicy')?.specs[0]?.ingress?.[0]).toMatchObject({
      entities: ['cluster'],
      toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }],
    });
    expect(systems.admin.map((p) => `${p.kind}/${p.name}/${p.priority ?? '-'}`).sort()).toEqual([
      'AdminNetworkPolicy/allow-monitoring/20',
      'BaselineAdminNetworkPolicy/default/-',
      'ClusterNetworkPolicy/baseline-isolation/10',
    ]);
    expect(systems.admin.find((p) => p.kind === 'ClusterNetworkPolicy')).toMatchObject({
      tier: 'Baseline',
      ingress: [{ name: 'isolate', action: 'Deny', ports: [{ portRange: { protocol: 'TCP', start: 1, end: 1024 } }] }],
    });
    expect(facts.accessErrors).toEqual([]);
    const paths = server.requests.map((r) => r.path);
    expect(paths).toContain('/apis');
    expect(paths).toContain('/apis/projectcalico.org/v3/namespaces/shop/networkpolicies');
    expect(paths).not.toContain('/apis/projectcalico.org/v3/networkpolicies');
  });

  it('decides with them: the GlobalNetworkPolicy deny in the security tier beats the default tier, named with its kind and rule', async () => {
    const facts = asFacts(await gatherObjects(kc, target));
    const result = runChecks(facts).find((f) => f.code === 'network-policy-denies');
    withContext(String(result?.detail), () => expect(result?.status).toBe('fail'));
    expect(result?.subjects).toContainEqual({ kind: 'networkpolicy', name: 'security.quarantine', policyKind: 'GlobalNetworkPolicy.projectcalico.org', rule: 'ingress[0]' });
    expect(result?.remediation).toContain('kubectl edit globalnetworkpolicies.projectcalico.org security.quarantine');
  });

  it('a 403 on one Calico list is "not allowed", an access error, and makes the policy check unknown (never a pass)', async () => {
    server.setDeny([{ verb: 'list', resource: 'globalnetworkpolicies' }]);
    const objects = await gatherObjects(kc, target);
    expect(objects.policySystems?.apis.find((a) => a.system === 'calico')).toMatchObject({ state: 'forbidden' });
    expect(objects.accessErrors).toEqual([expect.objectContaining({ resource: 'globalnetworkpolicies', group: 'projectcalico.org', status: 403 })]);
    const findings = runChecks(asFacts(objects));
    expect(findings.find((f) => f.code === 'network-policy-denies')).toMatchObject({ status: 'skip', detail: expect.stringContaining('projectcalico.org/v3 (not allowed') });
    expect(findings.find((f) => f.code === 'api-access-denied')?.status).toBe('error');
  });
});

describe('policy systems in namespaced mode', () => {
  it('lists only the namespaced policies; the cluster-wide ones make the verdict unknown, said once, never the deny they hold', async () => {
    const server = await startKubeApiServer({ objects: fixture(), serveGroups: ALL_GROUPS });
    try {
      const kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
      const readScope = { namespaces: ['shop'], systemNamespaces: ['kube-system'] };
      const objects = await gatherObjects(kc, target, { readScope, probeNamespace: 'netcheck' });
      expect(objects.policySystems?.apis.map((a) => `${a.system}:${a.state}:${a.detail ?? ''}`)).toEqual([
        'calico:out-of-scope:GlobalNetworkPolicy, Tier',
        'cilium:out-of-scope:CiliumClusterwideNetworkPolicy',
        'admin:out-of-scope:AdminNetworkPolicy, BaselineAdminNetworkPolicy',
        'cluster:out-of-scope:ClusterNetworkPolicy',
      ]);
      expect(objects.policySystems?.calico.map((p) => `${p.kind}/${p.namespace}/${p.name}`)).toEqual(['NetworkPolicy/shop/shop-allow-web']);
      expect(objects.accessErrors).toEqual([]);
      const clusterScoped = server.requests.map((r) => r.path).filter((path) => path.startsWith('/apis/') && !path.includes('/namespaces/'));
      withContext('cluster-scoped policy lists', () => expect(clusterScoped).toEqual([]));
      // Cluster-wide, the GlobalNetworkPolicy's deny fails this check; here it was never read.
      const findings = runChecks(asFacts(objects));
      const policy = findings.find((f) => f.code === 'network-policy-denies');
      expect(policy?.status).toBe('skip');
      expect(policy?.detail).toMatch(
        /^unknown, because netcheck runs namespaced \(namespaces shop\) and may not read cluster-wide policies \(GlobalNetworkPolicy, Tier of projectcalico\.org\/v3; /,
      );
      expect(findings.find((f) => f.code === 'api-access-denied')?.status).toBe('pass');
    } finally {
      await server.close();
    }
  });
});

describe('policy systems the cluster does not serve', () => {
  it('are "not installed", listed never, and NetworkPolicy alone decides', async () => {
    const server = await startKubeApiServer({ objects: demoObjects({ block: 252, apiServer: { host: '127.0.0.1', port: 6443 } }) });
    try {
      const kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
      const facts = await gatherObjects(kc, target);
      expect(facts.policySystems?.apis.map((a) => a.state)).toEqual(['not-installed', 'not-installed', 'not-installed', 'not-installed']);
      expect(facts.accessErrors).toEqual([]);
      expect(server.requests.filter((r) => /projectcalico|cilium\.io|policy\.networking/.test(r.path))).toEqual([]);
      const result = runChecks(asFacts(facts)).find((f) => f.code === 'network-policy-denies');
      expect(result?.status).toBe('pass');
      expect(result?.evidence.join('\n')).toContain('not installed: Calico, Cilium, AdminNetworkPolicy, ClusterNetworkPolicy');
    } finally {
      await server.close();
    }
  });

  it('reads Calico from its CRDs (crd.projectcalico.org/v1) when its API server is absent', async () => {
    const crd = policies()
      .filter((o) => o.apiVersion === 'projectcalico.org/v3')
      .map((o) => ({ ...o, apiVersion: 'crd.projectcalico.org/v1' }));
    const server = await startKubeApiServer({
      objects: [...demoObjects({ block: 253, apiServer: { host: '127.0.0.1', port: 6443 } }), ...crd],
      serveGroups: ['crd.projectcalico.org'],
    });
    try {
      const facts = await gatherObjects(loadKubeConfig({ kubeconfigPath: server.kubeconfigPath }), target);
      expect(facts.policySystems?.apis[0]).toMatchObject({ group: 'crd.projectcalico.org', state: 'served' });
      expect(facts.policySystems?.calico.map((p) => `${p.group}:${p.name}`).sort()).toEqual(['crd.projectcalico.org:security.quarantine', 'crd.projectcalico.org:shop-allow-web']);
      const result = runChecks(asFacts(facts)).find((f) => f.code === 'network-policy-denies');
      expect(result?.subjects).toContainEqual(expect.objectContaining({ name: 'security.quarantine', policyKind: 'GlobalNetworkPolicy.crd.projectcalico.org' }));
    } finally {
      await server.close();
    }
  });
});

describe('AdminNetworkPolicies stored in API v0.1.1 shape', () => {
  it('a Deny from namespaces {namespaceSelector: team=batch} binds those namespaces only, not the netcheck client', async () => {
    const anp = policyObject('policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy', 'deny-batch', undefined, {
      priority: 5,
      subject: { namespaces: {} },
      ingress: [{ name: 'no-batch', action: 'Deny', from: [{ namespaces: { namespaceSelector: { matchLabels: { team: 'batch' } } } }] }],
    });
    const server = await startKubeApiServer({
      objects: [...demoObjects({ block: 246, apiServer: { host: '127.0.0.1', port: 6443 } }), anp],
      serveGroups: ['policy.networking.k8s.io'],
    });
    try {
      const facts = await gatherObjects(loadKubeConfig({ kubeconfigPath: server.kubeconfigPath }), target);
      expect(facts.policySystems?.admin[0]?.ingress[0]?.peers).toEqual([{ namespaces: { matchLabels: { team: 'batch' } } }]);
      const result = runChecks(asFacts(facts)).find((f) => f.code === 'network-policy-denies');
      withContext(String(result?.detail), () => expect(result?.status).toBe('pass'));
      expect(result?.subjects).not.toContainEqual(expect.objectContaining({ name: 'deny-batch' }));
    } finally {
      await server.close();
    }
  });
});

describe('ClusterNetworkPolicy (policy.networking.k8s.io v1beta1 / v1alpha2)', () => {
  it('an Admin-tier Deny decides before the NetworkPolicies, named with its kind and rule; the fix is an Accept in its own syntax', async () => {
    const cnp = policyObject('policy.networking.k8s.io/v1beta1', 'ClusterNetworkPolicy', 'quarantine-platform', undefined, {
      tier: 'Admin',
      priority: 5,
      subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } },
      ingress: [{ name: 'no-netcheck', action: 'Deny', from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'netcheck' } } }] }],
    });
    const server = await startKubeApiServer({
      objects: [...demoObjects({ block: 245, apiServer: { host: '127.0.0.1', port: 6443 } }), cnp],
      serveGroups: ['policy.networking.k8s.io'],
    });
    try {
      const facts = await gatherObjects(loadKubeConfig({ kubeconfigPath: server.kubeconfigPath }), target);
      expect(facts.policySystems?.apis.find((a) => a.system === 'cluster')).toMatchObject({ version: 'v1beta1', state: 'served' });
      expect(server.requests.map((r) => r.path)).toContain('/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies');
      const result = runChecks(asFacts(facts)).find((f) => f.code === 'network-policy-denies');
      withContext(String(result?.detail), () => expect(result?.status).toBe('fail'));
      expect(result?.subjects).toContainEqual({ kind: 'networkpolicy', name: 'quarantine-platform', policyKind: 'ClusterNetworkPolicy', rule: 'ingress[0] "no-netcheck"' });
      expect(result?.remediation).toContain('kubectl edit clusternetworkpolicy quarantine-platform');
      expect(result?.remediation).toContain('action: Accept');
      expect(result?.remediation).toContain('protocols:');
    } finally {
      await server.close();
    }
  });
});
