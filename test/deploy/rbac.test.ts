import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { run, type EngineDeps } from '../../lib/engine.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { createConfigMapStateStore } from '../../lib/state/store.js';
import { kubeNamespaceLabels } from '../../lib/worker/access.js';
import type { ReadScope } from '../../lib/model/index.js';
import type { RbacGrant } from '../../lib/testkit/kube-api-server.js';
import { extractHelm, grantsOfChart, type Helm } from '../support/chart.js';
import { workerEngineDeps } from '../support/demo-engine.js';

// Least privilege, measured: the worker's real code (every engine target, the state store, the
// access policy's namespace lookup) runs against our Kubernetes API server, which logs every
// request; the chart's rules, rendered by the real helm, must grant exactly those (verb, group,
// resource) triples — nothing unused, nothing missing — apart from the policy APIs the demo does not serve.

const VALUES = ['clusterName=demo', 'aws.region=eu-west-1', 'aws.queueUrl=https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo', 'image.repository=example/netcheck'];
const STATE = { namespace: 'netcheck', name: 'netcheck-state' };

/**
 * Granted but not observed here: the policy APIs beyond NetworkPolicy. The demo cluster serves
 * none of them, and the gatherers list a group only where discovery finds it; the lists they
 * make against servers that do serve them are checked in test/integration/policy-gather.test.ts
 * and calico-host-endpoints.test.ts.
 */
const UNSERVED_READS = new Set(['crd.projectcalico.org', 'projectcalico.org', 'cilium.io', 'policy.networking.k8s.io'].map((group) => `list ${group}/*`));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let helm: Helm;
let demo: DemoCluster;
let engine: EngineDeps;
const observed = new Set<string>();

/** "verb group/resource" of one API request path, as RBAC sees it. */
function rbacOf(method: string, path: string, query: Record<string, string>): { triple: string; namespaced: boolean; namespace?: string; name?: string } {
  const parts = path.split('/').filter(Boolean);
  const [group, rest] = parts[0] === 'api' ? ['core', parts.slice(2)] : [parts[1]!, parts.slice(3)];
  const namespaced = rest[0] === 'namespaces' && rest.length > 2;
  const [resource, name] = namespaced ? [rest[2]!, rest[3]] : [rest[0]!, rest[1]];
  const namespace = namespaced ? rest[1] : undefined;
  const verb =
    method === 'GET'
      ? query.watch === 'true'
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : ({ PUT: 'update', PATCH: 'patch', POST: 'create', DELETE: 'delete' } as Record<string, string>)[method]!;
  return { triple: `${verb} ${group}/${resource}`, namespaced, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

const render = (extra: string[] = []): Promise<Json[]> => helm.render([...VALUES, ...extra]);

const grantsOf = (rules: Json[]) =>
  new Set(
    rules.flatMap((rule) =>
      (rule.apiGroups as string[]).flatMap((g) => (rule.resources as string[]).flatMap((r) => (rule.verbs as string[]).map((v) => `${v} ${g || 'core'}/${r}`))),
    ),
  );

beforeAll(async () => {
  helm = await extractHelm();

  demo = await startDemoCluster();
  demo.api.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: STATE.namespace, name: STATE.name }, data: {} });
  engine = workerEngineDeps(demo);
  const kc = engine.kc;

  demo.api.requests.length = 0;
  for (const target of TARGETS) {
    await run(target as Parameters<typeof run>[0], engine);
  }
  // Without EndpointSlice access the gatherer falls back to Endpoints: that read is real too.
  demo.api.setDeny([{ verb: 'list', resource: 'endpointslices' }]);
  await run({ kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'demo' }, engine);
  await run({ kind: 'cluster', cluster: 'demo' }, engine);
  demo.api.setDeny([]);
  const store = createConfigMapStateStore(kc, STATE);
  await store.update((state) => state);
  await store.read();
  await kubeNamespaceLabels(kc)('shop');
  for (const r of demo.api.requests) {
    // Discovery (`/apis`) is a non-resource URL every authenticated client may read (system:discovery).
    if (r.path === '/apis' || r.path === '/api') continue;
    const { triple, namespaced, name } = rbacOf(r.method, r.path, r.query);
    // The state ConfigMap is the one object the worker writes: it is granted by name, in its namespace.
    observed.add(triple.endsWith('core/configmaps') ? `${triple} ${namespaced ? 'ns' : 'cluster'}/${name ?? '*'}` : triple);
  }
}, 120_000);

/** Every kind of job the worker runs, one of each (a svc with and without --from). */
const TARGETS = [
  { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'demo' },
  { kind: 'svc', name: 'payroll', namespace: 'shop', cluster: 'demo', from: { kind: 'deploy', name: 'checkout', namespace: 'shop' } },
  { kind: 'svc', name: 'ledger', namespace: 'shop', cluster: 'demo' },
  { kind: 'node', name: 'node-1', cluster: 'demo' },
  { kind: 'dns', namespace: 'shop', cluster: 'demo' },
  { kind: 'cluster', cluster: 'demo' },
] as const;

afterAll(async () => {
  await demo?.close();
  if (helm) await helm.close();
});

describe('the chart grants exactly what the code calls', () => {
  it('the ClusterRole holds every cluster-wide read the gatherers make, and nothing else', async () => {
    const clusterRole = (await render()).find((o) => o.kind === 'ClusterRole')!;
    const granted = grantsOf(clusterRole.rules);
    const reads = [...observed].filter((t) => !t.includes('core/configmaps')).sort();
    expect(reads.length).toBeGreaterThan(5);
    withContext('called but not granted', () => expect(reads.filter((t) => !granted.has(t))).toEqual([]));
    const unused = [...granted].filter((t) => !observed.has(t) && !UNSERVED_READS.has(t.replace(/\/.*$/, '/*')));
    withContext('granted but never called', () => expect(unused).toEqual([]));
  });

  it('the state Role grants get and update on the state ConfigMap only, as the store uses', async () => {
    const role = (await render()).find((o) => o.kind === 'Role' && String(o.metadata.name).endsWith('-state'))!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: [STATE.name], verbs: ['get', 'update'] }]);
    // CoreDNS's Corefile is the other ConfigMap read, granted by name in its own Role (test/deploy/helm.test.ts).
    const stateCalls = [...observed].filter((t) => t.includes('core/configmaps') && !t.endsWith('ns/coredns'));
    expect(stateCalls.sort()).toEqual([`get core/configmaps ns/${STATE.name}`, `update core/configmaps ns/${STATE.name}`]);
  });
});

describe('namespaced mode: the Roles grant exactly what a namespaced worker calls', () => {
  const SCOPE: ReadScope = { namespaces: ['shop', 'web'], systemNamespaces: ['kube-system', 'kube-flannel'] };
  const NAMESPACED = ['rbac.scope=namespaced', `rbac.namespaces={${SCOPE.namespaces.join(',')}}`, `rbac.systemNamespaces={${SCOPE.systemNamespaces.join(',')}}`];
  let grants: RbacGrant[] = [];
  /** "<where> verb group/resource name": where is "tenant" for any tenant namespace, the namespace otherwise, or "cluster". */
  const calls = new Set<string>();
  const refused: string[] = [];
  const where = (namespace: string | undefined) => (namespace === undefined ? 'cluster' : SCOPE.namespaces.includes(namespace) ? 'tenant' : namespace);

  beforeAll(async () => {
    demo.api.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: { 'kubernetes.io/metadata.name': 'web' } } });
    grants = grantsOfChart(await render(NAMESPACED), { name: 'netcheck-worker', namespace: 'netcheck' });
    const namespacedEngine: EngineDeps = { ...engine, readScope: SCOPE };
    demo.api.requests.length = 0;
    // The API server enforces exactly the rendered Roles: a call they do not grant is a 403.
    demo.api.setRbac(grants);
    try {
      for (const target of TARGETS) await run(target as Parameters<typeof run>[0], namespacedEngine);
      demo.api.setDeny([{ verb: 'list', resource: 'endpointslices' }]);
      await run({ kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'demo' }, namespacedEngine);
      await run({ kind: 'cluster', cluster: 'demo' }, namespacedEngine);
      demo.api.setDeny([]);
      const kc = loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath });
      const store = createConfigMapStateStore(kc, STATE);
      await store.update((state) => state);
      await store.read();
      await kubeNamespaceLabels(kc)('shop');
    } finally {
      demo.api.setDeny([]);
      demo.api.setRbac(undefined);
    }
    for (const r of demo.api.requests) {
      if (r.path === '/apis' || r.path === '/api') continue;
      const { triple, namespace, name } = rbacOf(r.method, r.path, r.query);
      const call = `${where(namespace)} ${triple}`;
      // Refusals the test provoked (no EndpointSlices) are not the chart's.
      if (r.status === 403 && triple !== 'list discovery.k8s.io/endpointslices') refused.push(`${call} ${name ?? ''}`.trim());
      calls.add(call);
      if (name) calls.add(`${call} ${name}`);
    }
  }, 120_000);

  it('every call a namespaced worker makes is granted: the API server enforcing the rendered Roles refused none', () => {
    expect(calls.size).toBeGreaterThan(10);
    withContext('called but not granted (403 from the enforcing server)', () => expect([...new Set(refused)]).toEqual([]));
  });

  it('every rule the namespaced chart renders is used, in the namespace it is bound to', () => {
    const atoms = grants.flatMap((g) =>
      g.apiGroups.flatMap((group) =>
        g.resources.flatMap((resource) =>
          g.verbs.flatMap((verb) => (g.resourceNames ?? ['']).map((name) => `${where(g.namespace)} ${verb} ${group || 'core'}/${resource}${name ? ` ${name}` : ''}`)),
        ),
      ),
    );
    const unused = [...new Set(atoms)].filter((atom) => !calls.has(atom) && !UNSERVED_READS.has(atom.split(' ').slice(1, 3).join(' ').replace(/\/.*$/, '/*')));
    withContext('granted but never called', () => expect(unused).toEqual([]));
  });

  it('lists nothing cluster-wide but nodes, and gets namespaces only by name', () => {
    const clusterCalls = [...calls].filter((c) => c.startsWith('cluster ') && c.split(' ').length === 3);
    expect(clusterCalls.sort()).toEqual(['cluster get core/namespaces', 'cluster list core/nodes']);
    const clusterRules = grants.filter((g) => g.namespace === undefined);
    expect(clusterRules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['shop', 'web', 'kube-system', 'kube-flannel', 'netcheck'] },
    ]);
  });
});
