// The API gatherer against our API server over real sockets, read through the kubeconfig the
// server writes and loaded by our own loadKubeConfig, exactly as the worker and the CLI do.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { demoObjects } from '../../lib/demo/objects.js';
import type { Target } from '../../lib/model/index.js';
import { gatherObjects } from '../../lib/gather/kube.js';
import { KubeConfigError, loadKubeConfig } from '../../lib/kube/config.js';
import { kubeconfigYaml, startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { podObject, serviceObject } from '../../lib/testkit/kube-objects.js';

const fixture = () => demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } });
const svc = (name: string, namespace = 'shop'): Target => ({ kind: 'svc', name, namespace, cluster: 'test' });

function extraPods(count: number) {
  return Array.from({ length: count }, (_, i) =>
    podObject({
      namespace: 'shop',
      name: `batch-${String(i).padStart(4, '0')}`,
      labels: { app: 'batch' },
      nodeName: 'node-2',
      podIP: `127.250.4.${i % 250}`,
      containers: [{ name: 'batch', image: 'registry.example.com/batch:1' }],
    }),
  );
}

describe('gatherObjects', () => {
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: fixture() });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.setDeny([]);
    server.requests.length = 0;
  });

  it('gathers a service job: its namespace, slices, nodes, system components and DNS', async () => {
    const facts = await gatherObjects(kc, svc('payments'));
    expect(facts.accessErrors).toEqual([]);
    expect(facts.services.map((s) => s.name)).toEqual(['cart', 'checkout', 'frontend', 'inventory', 'ledger', 'payments']);
    expect(facts.services.find((s) => s.name === 'payments')).toMatchObject({ type: 'ClusterIP', clusterIP: '127.250.3.12', selector: { app: 'payment' } });
    expect(facts.pods.every((p) => p.namespace === 'shop')).toBe(true);
    expect(facts.pods.filter((p) => p.labels.app === 'payments')).toHaveLength(2);
    expect(facts.endpointSlices).toEqual([
      { namespace: 'shop', name: expect.stringMatching(/^payments-/), serviceName: 'payments', addressType: 'IPv4', ports: [], endpoints: [], source: 'endpointslice' },
    ]);
    expect(facts.nodes.map((n) => [n.name, n.internalIP, n.ready])).toEqual([
      ['node-1', '127.250.1.1', true],
      ['node-2', '127.250.1.2', true],
      ['node-3', '127.250.1.3', true],
    ]);
    expect(facts.namespaces.map((n) => n.name)).toEqual(['default', 'kube-flannel', 'kube-system', 'netcheck', 'shop']);
    expect(facts.systemDaemonSets.map((d) => `${d.namespace}/${d.name}`).sort()).toEqual(['kube-flannel/kube-flannel-ds', 'kube-system/kube-proxy']);
    expect(facts.systemPods.map((p) => p.name.replace(/-[a-z0-9]+$/, '')).sort()).toEqual([
      'coredns-6f6b679f8f',
      'coredns-6f6b679f8f',
      'kube-flannel-ds',
      'kube-flannel-ds',
      'kube-flannel-ds',
      'kube-proxy',
      'kube-proxy',
      'kube-proxy',
    ]);
    expect(facts.dns?.service).toMatchObject({ name: 'kube-dns', clusterIP: '127.250.3.10' });
    expect(facts.dns?.endpointSlices[0]?.endpoints.map((e) => e.ready)).toEqual([true, true]);
    expect(facts.sameNameElsewhere).toEqual([]);
    expect(facts.apiRequests).toBe(server.requests.length);
  });

  it('converts pods to slim facts: readiness, container state, owner', async () => {
    const facts = await gatherObjects(kc, svc('cart'));
    const cart = facts.pods.find((p) => p.labels.app === 'cart')!;
    expect(cart).toMatchObject({ phase: 'Running', ready: false, ownerKind: 'ReplicaSet' });
    expect(cart.containers[0]).toMatchObject({
      state: 'waiting',
      reason: 'CrashLoopBackOff',
      restartCount: 14,
      ready: false,
      lastTerminationReason: 'Error',
      hasReadinessProbe: true,
    });
    expect(cart.containers[0]!.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(Object.keys(cart)).not.toContain('metadata');
  });

  it('makes a bounded number of list requests for a svc job, whatever the pod count, and no per-object GETs', async () => {
    await gatherObjects(kc, svc('checkout'), { pageSize: 5000 });
    const small = server.requests.map((r) => r.path);
    server.requests.length = 0;
    for (const pod of extraPods(1500)) server.upsert(pod);
    try {
      const facts = await gatherObjects(kc, svc('checkout'), { pageSize: 5000 });
      expect(facts.pods.length).toBeGreaterThan(1500);
      expect(server.requests.map((r) => r.path).sort()).toEqual(small.sort());
      const gets = server.requests.filter((r) => r.query.limit === undefined);
      // Discovery once per job (which policy systems the cluster serves), and two objects by name, whatever the cluster's size: the kube-dns Service and CoreDNS's Corefile.
      expect(gets.map((r) => r.path).sort()).toEqual(['/api/v1/namespaces/kube-system/configmaps/coredns', '/api/v1/namespaces/kube-system/services/kube-dns', '/apis']);
    } finally {
      for (let i = 0; i < 1500; i++) server.remove('Pod', 'shop', `batch-${String(i).padStart(4, '0')}`);
    }
  });

  it('follows continue tokens across pages and gathers every object exactly once', async () => {
    const whole = await gatherObjects(kc, { kind: 'cluster', cluster: 'test' });
    server.requests.length = 0;
    const paged = await gatherObjects(kc, { kind: 'cluster', cluster: 'test' }, { pageSize: 2 });
    expect(paged.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(whole.pods.map((p) => `${p.namespace}/${p.name}`));
    expect(paged.endpointSlices).toEqual(whole.endpointSlices);
    const podPages = server.requests.filter((r) => r.path === '/api/v1/pods');
    expect(podPages).toHaveLength(Math.ceil(whole.pods.length / 2));
    expect(podPages.slice(1).every((r) => r.query.continue && r.query.limit === '2')).toBe(true);
    expect(paged.apiRequests).toBeGreaterThan(whole.apiRequests!);
  });

  it('turns a 403 into an AccessErrorFact and still gathers everything else', async () => {
    server.setDeny([{ verb: 'list', resource: 'services', namespace: 'shop' }]);
    const facts = await gatherObjects(kc, svc('payments'));
    expect(facts.accessErrors).toEqual([
      {
        verb: 'list',
        resource: 'services',
        namespace: 'shop',
        status: 403,
        message: 'services is forbidden: User "system:serviceaccount:netcheck:netcheck" cannot list resource "services" in API group "" in the namespace "shop"',
      },
    ]);
    expect(facts.services).toEqual([]);
    expect(facts.pods.length).toBeGreaterThan(0);
    expect(facts.nodes).toHaveLength(3);
    expect(facts.dns?.service?.name).toBe('kube-dns');
  });

  it('falls back to the v1 Endpoints object when EndpointSlices are forbidden', async () => {
    server.setDeny([{ verb: 'list', resource: 'endpointslices' }]);
    const facts = await gatherObjects(kc, svc('cart'));
    expect(facts.accessErrors).toEqual([]);
    expect(facts.endpointSlices).toHaveLength(1);
    expect(facts.endpointSlices[0]).toMatchObject({ serviceName: 'cart', source: 'endpoints', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    expect(facts.endpointSlices[0]!.endpoints.map((e) => [e.ready, e.targetRef?.kind])).toEqual([
      [false, 'Pod'],
      [false, 'Pod'],
    ]);
    expect(facts.dns?.endpointSlices[0]?.source).toBe('endpoints');
  });

  it('reports both errors when neither EndpointSlices nor Endpoints can be read', async () => {
    server.setDeny([
      { verb: 'list', resource: 'endpointslices', namespace: 'shop' },
      { verb: 'get', resource: 'endpoints', namespace: 'shop' },
    ]);
    const facts = await gatherObjects(kc, svc('checkout'));
    expect(facts.accessErrors.map((e) => `${e.verb} ${e.resource} ${e.group ?? ''} ${e.status}`)).toEqual(['list endpointslices discovery.k8s.io 403', 'get endpoints  403']);
    expect(facts.endpointSlices).toEqual([]);
  });

  it('treats a missing service or namespace as data, and finds same-named services elsewhere', async () => {
    server.upsert(serviceObject({ namespace: 'default', name: 'nosuch', clusterIP: '127.250.3.99', selector: { app: 'x' }, ports: [{ port: 80 }] }));
    try {
      const facts = await gatherObjects(kc, svc('nosuch', 'ghost-town'));
      expect(facts.services).toEqual([]);
      expect(facts.pods).toEqual([]);
      expect(facts.accessErrors).toEqual([]);
      expect(facts.sameNameElsewhere.map((s) => `${s.namespace}/${s.name}`)).toEqual(['default/nosuch']);
    } finally {
      server.remove('Service', 'default', 'nosuch');
    }
  });

  it('gathers a node job: the pods scheduled on it, and every node (its routes are judged against their pod CIDRs)', async () => {
    const facts = await gatherObjects(kc, { kind: 'node', name: 'node-2', cluster: 'test' });
    expect(facts.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(facts.pods.length).toBeGreaterThan(0);
    expect(facts.pods.every((p) => p.nodeName === 'node-2')).toBe(true);
    expect(server.requests.some((r) => r.query.fieldSelector === 'spec.nodeName=node-2')).toBe(true);
    expect(facts.systemDaemonSets).toHaveLength(2);
  });

  it('gathers a dns job and a cluster job', async () => {
    const dns = await gatherObjects(kc, { kind: 'dns', namespace: 'shop', cluster: 'test' });
    expect(dns.namespaces.map((n) => n.name)).toEqual(['shop']);
    expect(dns.dns?.service?.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['dns 5353/UDP', 'dns-tcp 5353/TCP']);

    const cluster = await gatherObjects(kc, { kind: 'cluster', cluster: 'test' });
    expect(cluster.services).toHaveLength(server.list('Service').length);
    expect(cluster.pods).toHaveLength(server.list('Pod').length);
    expect(cluster.endpointSlices).toHaveLength(server.list('EndpointSlice').length);
    expect(cluster.dns?.service?.name).toBe('kube-dns');
    expect(cluster.dns?.endpointSlices).toHaveLength(1);
    expect(cluster.systemPods).toHaveLength(8);
  });

  it('rejects an invalid target name before making any request', async () => {
    await expect(gatherObjects(kc, svc('Payments; rm -rf /'))).rejects.toThrow(/invalid svc target: name must be a DNS label/);
    await expect(gatherObjects(kc, { kind: 'node', name: 'a/../b', cluster: 'test' })).rejects.toThrow(/invalid node target: name must be a DNS name/);
    expect(server.requests).toEqual([]);
  });
});

describe('gatherObjects with an API server that is gone', () => {
  it('reports every list as an access error (status 0) instead of throwing', async () => {
    const server = await startKubeApiServer({});
    const kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
    await server.close();
    const facts = await gatherObjects(kc, svc('payments'), { timeoutMs: 2000 });
    expect(facts.accessErrors.length).toBeGreaterThan(5);
    expect(facts.accessErrors.every((e) => e.status === 0 && /ECONNREFUSED/.test(e.message))).toBe(true);
    expect(facts.services).toEqual([]);
  });
});

describe('loadKubeConfig', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netcheck-kubeconfig-'));
  });
  afterEach(() => {
    for (const key of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'HOME']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads an explicit file and switches context on request, naming unknown contexts', async () => {
    const path = join(dir, 'explicit');
    await writeFile(path, kubeconfigYaml('http://127.0.0.1:1', 'tok'));
    expect(loadKubeConfig({ kubeconfigPath: path }).getCurrentCluster()?.server).toBe('http://127.0.0.1:1');
    expect(() => loadKubeConfig({ kubeconfigPath: path, context: 'prod' })).toThrow('context "prod" is not in the kubeconfig (known: netcheck-test)');
    expect(() => loadKubeConfig({ kubeconfigPath: join(dir, 'missing') })).toThrow(/kubeconfig not found: .*missing \(from --kubeconfig\)/);
  });

  it('uses $KUBECONFIG, else ~/.kube/config, and says what is missing when neither exists', async () => {
    const path = join(dir, 'from-env');
    await writeFile(path, kubeconfigYaml('http://127.0.0.1:2'));
    process.env.KUBECONFIG = path;
    delete process.env.KUBERNETES_SERVICE_HOST;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('http://127.0.0.1:2');

    delete process.env.KUBECONFIG;
    const home = join(dir, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    process.env.HOME = home;
    expect(() => loadKubeConfig()).toThrow(KubeConfigError);
    expect(() => loadKubeConfig()).toThrow(/KUBECONFIG is not set and .*\.kube\/config does not exist/);
    await writeFile(join(home, '.kube', 'config'), kubeconfigYaml('http://127.0.0.1:3'));
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('http://127.0.0.1:3');
  });

  it('uses the service-account credentials when running in a pod', async () => {
    const root = join(dir, 'pod');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'token'), 'pod-token');
    await writeFile(join(sa, 'ca.crt'), '');
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '8080';
    const kc = loadKubeConfig({ serviceAccountRoot: root });
    expect(kc.getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
    expect(kc.getCurrentUser()?.name).toBe('inClusterUser');
  });

  it('refuses a kubeconfig whose server is not an http(s) URL', async () => {
    const path = join(dir, 'bad-server');
    await writeFile(path, kubeconfigYaml('127.0.0.1:6443'));
    expect(() => loadKubeConfig({ kubeconfigPath: path })).toThrow(/server "127\.0\.0\.1:6443", which is not an http\(s\) URL/);
  });
});
