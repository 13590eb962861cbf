// Our test API server against the unmodified @kubernetes/client-node and a real kubectl v1.34,
// over real loopback sockets: if either client misreads it, a real cluster would be read
// differently from what our tests assume.

import { ApiException, AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { demoObjects } from '../../lib/demo/objects.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { extractKubectl, type Kubectl } from '../../lib/testkit/kube-kubectl.js';
import { networkPolicyObject } from '../../lib/testkit/kube-objects.js';

// The demo's objects as plain data; nothing binds these addresses in this file.
const fixture = () => demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } });

function kubeConfigFor(server: KubeApiServerHandle): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return kc;
}

async function apiError(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiException);
    const ex = e as ApiException<unknown>;
    const body = typeof ex.body === 'string' ? (JSON.parse(ex.body) as Record<string, unknown>) : (ex.body as Record<string, unknown>);
    return { code: ex.code, body };
  }
  throw new Error('expected the call to fail');
}

describe('test API server with @kubernetes/client-node', () => {
  let server: KubeApiServerHandle;
  let core: CoreV1Api;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: fixture() });
    core = kubeConfigFor(server).makeApiClient(CoreV1Api);
  });
  afterAll(() => server.close());
  afterEach(() => server.setDeny([]));

  it('lists namespaced services as a ServiceList in name order', async () => {
    const list = await core.listNamespacedService({ namespace: 'shop' });
    expect(list.kind).toBe('ServiceList');
    expect(list.apiVersion).toBe('v1');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['cart', 'checkout', 'frontend', 'inventory', 'ledger', 'payments']);
    const payments = list.items.find((s) => s.metadata?.name === 'payments')!;
    expect(payments.spec?.selector).toEqual({ app: 'payment' });
    expect(payments.metadata?.uid).toMatch(/[0-9a-f-]{36}/);
    expect(payments.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });

  it('reads one service and answers a missing one with a NotFound Status (ApiException 404)', async () => {
    const svc = await core.readNamespacedService({ namespace: 'shop', name: 'frontend' });
    expect(svc.spec?.type).toBe('LoadBalancer');
    const { code, body } = await apiError(core.readNamespacedService({ namespace: 'shop', name: 'nope' }));
    expect(code).toBe(404);
    expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, details: { name: 'nope', kind: 'services' } });
    expect(body.message).toBe('services "nope" not found');
  });

  it('serves EndpointSlices, DaemonSets and NetworkPolicies through their typed APIs', async () => {
    const kc = kubeConfigFor(server);
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'shop', labelSelector: 'kubernetes.io/service-name=checkout' });
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]!.endpoints.map((e) => e.conditions?.ready)).toEqual([true, true]);

    const daemonSets = await kc.makeApiClient(AppsV1Api).listNamespacedDaemonSet({ namespace: 'kube-system' });
    expect(daemonSets.items.map((d) => d.metadata?.name)).toEqual(['kube-proxy']);
    expect(daemonSets.items[0]!.status?.numberReady).toBe(3);

    const networking = kc.makeApiClient(NetworkingV1Api);
    expect((await networking.listNamespacedNetworkPolicy({ namespace: 'shop' })).items).toEqual([]);
    server.upsert(networkPolicyObject('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }));
    try {
      const policies = await networking.listNamespacedNetworkPolicy({ namespace: 'shop' });
      expect(policies.items.map((p) => p.metadata?.name)).toEqual(['default-deny']);
    } finally {
      server.remove('NetworkPolicy', 'shop', 'default-deny');
    }
  });

  it('filters by equality and set-based label selectors', async () => {
    const names = async (labelSelector: string) => (await core.listPodForAllNamespaces({ labelSelector })).items.map((p) => p.metadata?.name as string);
    expect(await names('app in (cart,checkout)')).toHaveLength(4);
    expect((await names('app=payments')).every((n) => n.startsWith('payments-'))).toBe(true);
    expect(await names('app=payment')).toEqual([]);
    const withoutApp = await names('!app');
    expect(withoutApp.some((n) => n.startsWith('coredns-'))).toBe(true);
    expect(withoutApp.some((n) => n.startsWith('checkout-'))).toBe(false);
    expect(await names('app,app notin (cart,checkout,payments,inventory)')).toEqual(await names('app in (frontend,flannel)'));
    const { code, body } = await apiError(core.listPodForAllNamespaces({ labelSelector: 'app in (a' }));
    expect(code).toBe(400);
    expect(body.reason).toBe('BadRequest');
  });

  it('filters by field selectors and rejects unknown fields', async () => {
    const onNode1 = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' });
    expect(onNode1.items.length).toBeGreaterThan(0);
    expect(onNode1.items.every((p) => p.spec?.nodeName === 'node-1')).toBe(true);
    const byName = await core.listServiceForAllNamespaces({ fieldSelector: 'metadata.name=kube-dns' });
    expect(byName.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual(['kube-system/kube-dns']);
    expect((await core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Running' })).items).toEqual([]);
    const { code, body } = await apiError(core.listServiceForAllNamespaces({ fieldSelector: 'spec.clusterIP=1.2.3.4' }));
    expect(code).toBe(400);
    expect(String(body.message)).toContain('field label not supported: spec.clusterIP');
  });

  it('pages with limit and an opaque continue token, without gaps or duplicates', async () => {
    const all = (await core.listPodForAllNamespaces({})).items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 4, ...(token ? { _continue: token } : {}) });
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(4);
      paged.push(...page.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      if (page.metadata?._continue) expect(page.metadata.remainingItemCount).toBe(all.length - paged.length);
      token = page.metadata?._continue || undefined;
    } while (token);
    expect(pages).toBe(Math.ceil(all.length / 4));
    expect(paged).toEqual(all);
    const { code } = await apiError(core.listPodForAllNamespaces({ limit: 4, _continue: 'not-a-token' }));
    expect(code).toBe(400);
  });

  it('answers a denied request with the real Forbidden Status, only where the rule applies', async () => {
    server.setDeny([{ verb: 'list', resource: 'services', namespace: 'shop' }]);
    const { code, body } = await apiError(core.listNamespacedService({ namespace: 'shop' }));
    expect(code).toBe(403);
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, details: { kind: 'services' } });
    expect(body.message).toBe('services is forbidden: User "system:serviceaccount:netcheck:netcheck" cannot list resource "services" in API group "" in the namespace "shop"');
    expect((await core.listNamespacedService({ namespace: 'kube-system' })).items).toHaveLength(1);
    expect((await core.readNamespacedService({ namespace: 'shop', name: 'cart' })).metadata?.name).toBe('cart');

    server.setDeny([{ verb: 'list', resource: 'endpointslices' }]);
    const cluster = await apiError(kubeConfigFor(server).makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces({}));
    expect(cluster.body.message).toBe(
      'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:netcheck:netcheck" cannot list resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope',
    );
  });

  it('creates and replaces ConfigMaps with AlreadyExists and Conflict like the real server', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'netcheck',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'netcheck-state' }, data: { summary: '{}' } },
    });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    const again = await apiError(core.createNamespacedConfigMap({ namespace: 'netcheck', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'netcheck-state' } } }));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ reason: 'AlreadyExists', details: { name: 'netcheck-state', kind: 'configmaps' } });

    const replaced = await core.replaceNamespacedConfigMap({
      namespace: 'netcheck',
      name: 'netcheck-state',
      body: { ...created, data: { summary: '{"v":2}' } },
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);

    const stale = await apiError(core.replaceNamespacedConfigMap({ namespace: 'netcheck', name: 'netcheck-state', body: { ...created, data: { summary: 'lost update' } } }));
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on configmaps "netcheck-state": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await core.readNamespacedConfigMap({ namespace: 'netcheck', name: 'netcheck-state' })).data).toEqual({ summary: '{"v":2}' });
  });

  it('logs every request with method, path and query', async () => {
    server.requests.length = 0;
    await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=cart', limit: 10 });
    expect(server.requests).toEqual([{ method: 'GET', path: '/api/v1/namespaces/shop/pods', query: { labelSelector: 'app=cart', limit: '10' }, status: 200 }]);
  });
});

describe('test API server with a bearer token', () => {
  it('rejects requests without the token with a 401 Status and accepts the kubeconfig it wrote', async () => {
    const server = await startKubeApiServer({ objects: fixture(), token: 's3cret-token-for-tests' });
    try {
      const anonymous = await fetch(`${server.url}/api/v1/namespaces`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      const wrong = await fetch(`${server.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer s3cret-token-for-testX' } });
      expect(wrong.status).toBe(401);
      const core = kubeConfigFor(server).makeApiClient(CoreV1Api);
      expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toContain('shop');
    } finally {
      await server.close();
    }
  });
});

describe('test API server with the real kubectl v1.34', () => {
  let server: KubeApiServerHandle;
  let kubectl: Kubectl;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: fixture() });
    kubectl = await extractKubectl(server.kubeconfigPath);
  });
  afterAll(async () => {
    await server.close();
    await kubectl?.cleanup();
  });

  it('prints services as a table with the real columns', async () => {
    const { code, stdout, stderr } = await kubectl.run(['get', 'svc', '-n', 'shop']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(lines.find((l) => l.startsWith('frontend'))).toMatch(/^frontend\s+LoadBalancer\s+127\.250\.3\.15\s+<pending>\s+80:30080\/TCP\s+\d+[smhd]$/);
    expect(lines.find((l) => l.startsWith('ledger'))).toMatch(/^ledger\s+ExternalName\s+<none>\s+ledger\.payments-partner\.invalid\s+<none>/);
    expect(lines).toHaveLength(7);
  });

  it('prints pods across namespaces with NAMESPACE, READY, STATUS and RESTARTS', async () => {
    const { code, stdout } = await kubectl.run(['get', 'po', '-A']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.filter((l) => /^shop\s+cart-\S+\s+0\/1\s+CrashLoopBackOff\s+14\s/.test(l))).toHaveLength(2);
  });

  it('returns objects and lists as JSON with -o json, across kinds and short names', async () => {
    const one = await kubectl.run(['get', 'svc', 'payments', '-n', 'shop', '-o', 'json']);
    expect(one.code).toBe(0);
    const svc = JSON.parse(one.stdout) as { kind: string; spec: { selector: Record<string, string> } };
    expect(svc.kind).toBe('Service');
    expect(svc.spec.selector).toEqual({ app: 'payment' });

    const many = await kubectl.run(['get', 'services,endpointslices,pods,nodes,networkpolicies,ds,cm', '-A', '-o', 'json']);
    expect(many.code).toBe(0);
    const list = JSON.parse(many.stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    const kinds = new Set(list.items.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['DaemonSet', 'EndpointSlice', 'Node', 'Pod', 'Service']);
    expect(list.items.filter((i) => i.kind === 'Node')).toHaveLength(3);
  });

  it('pages large lists with --chunk-size and reports NotFound and Forbidden like a real cluster', async () => {
    server.requests.length = 0;
    const paged = await kubectl.run(['get', 'pods', '-A', '-o', 'name', '--chunk-size', '5']);
    expect(paged.code).toBe(0);
    expect(paged.stdout.trim().split('\n')).toHaveLength(server.list('Pod').length);
    expect(server.requests.filter((r) => r.path === '/api/v1/pods' && r.query.continue).length).toBeGreaterThan(1);

    const missing = await kubectl.run(['get', 'svc', 'nope', '-n', 'shop']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): services "nope" not found');

    server.setDeny([{ verb: 'list', resource: 'services', namespace: 'shop' }]);
    try {
      const denied = await kubectl.run(['get', 'svc', '-n', 'shop']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain(
        'Error from server (Forbidden): services is forbidden: User "system:serviceaccount:netcheck:netcheck" cannot list resource "services" in API group "" in the namespace "shop"',
      );
    } finally {
      server.setDeny([]);
    }
  });
});
