import { describe, expect, it } from '@jest/globals';
import { loadWorkerConfig } from '../../lib/config.js';
import { grantsOfChart, helmForFile } from '../support/chart.js';
import { validateManifest } from './k8s-schema.js';
import { withContext } from '../support/with-context.js';

// rbac.scope=namespaced rendered by the real helm: which objects it adds, that each is a valid
// Kubernetes object, that the worker's environment carries the scope its config loader reads,
// and that the values schema refuses what would install a worker that can read nothing.
// Whether the rules match the calls is measured in test/deploy/rbac.test.ts.

const REQUIRED = ['clusterName=prod', 'aws.region=eu-west-1', 'aws.queueUrl=https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo', 'image.repository=example/netcheck'];
const NAMESPACED = [...REQUIRED, 'rbac.scope=namespaced', 'rbac.namespaces={shop,web}'];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const helm = helmForFile();

async function renderError(values: string[]): Promise<string> {
  return helm.render(values).then(
    () => '',
    (e: { stderr?: string }) => e.stderr ?? String(e),
  );
}

const rbacObjects = (objects: Json[]) =>
  objects
    .filter((o) => /Role/.test(o.kind))
    .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
    .sort();

describe('chart rbac.scope=namespaced', () => {
  it('renders Roles per tenant and system namespace, and a ClusterRole limited to nodes and namespaces by name', async () => {
    const objects = await helm.render(NAMESPACED);
    expect(rbacObjects(objects)).toEqual([
      'ClusterRole//nc-netcheck-reader',
      'ClusterRoleBinding//nc-netcheck-reader',
      'Role/default/nc-netcheck-node-events',
      'Role/kube-system/nc-netcheck-cluster-dns',
      'Role/kube-system/nc-netcheck-coredns-config',
      'Role/kube-system/nc-netcheck-system',
      'Role/netcheck/nc-netcheck-probe-source',
      'Role/netcheck/nc-netcheck-state',
      'Role/shop/nc-netcheck-reader',
      'Role/web/nc-netcheck-reader',
      'RoleBinding/default/nc-netcheck-node-events',
      'RoleBinding/kube-system/nc-netcheck-cluster-dns',
      'RoleBinding/kube-system/nc-netcheck-coredns-config',
      'RoleBinding/kube-system/nc-netcheck-system',
      'RoleBinding/netcheck/nc-netcheck-probe-source',
      'RoleBinding/netcheck/nc-netcheck-state',
      'RoleBinding/shop/nc-netcheck-reader',
      'RoleBinding/web/nc-netcheck-reader',
    ]);
    for (const object of objects) withContext(`${object.kind}/${object.metadata.name}`, () => expect(validateManifest(object)).toEqual([]));
    const grants = grantsOfChart(objects, { name: 'netcheck-worker', namespace: 'netcheck' });
    withContext('cluster-wide rules', () =>
      expect(grants.filter((g) => g.namespace === undefined)).toEqual([
        { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['shop', 'web', 'kube-system', 'netcheck'] },
      ]),
    );
    for (const grant of grants) {
      expect(grant.resources).not.toContain('secrets');
      expect(grant.verbs).not.toContain('watch');
    }
    // The namespaced reads of the cluster-scoped policy kinds are never granted.
    const resources = grants.flatMap((g) => g.resources);
    for (const kind of ['globalnetworkpolicies', 'tiers', 'ciliumclusterwidenetworkpolicies', 'adminnetworkpolicies', 'baselineadminnetworkpolicies', 'clusternetworkpolicies'])
      expect(resources).not.toContain(kind);
  });

  it('needs no probe-source Role when the release namespace is one of the tenants', async () => {
    const objects = await helm.render([...REQUIRED, 'rbac.scope=namespaced', 'rbac.namespaces={netcheck,shop}']);
    expect(rbacObjects(objects).filter((o) => o.includes('probe-source'))).toEqual([]);
    expect(rbacObjects(objects)).toContain('Role/netcheck/nc-netcheck-reader');
  });

  it('hands the worker the scope, and its config loader reads the same scope back', async () => {
    const objects = await helm.render([...NAMESPACED, 'rbac.systemNamespaces={kube-system,calico-system}']);
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.filter((e: Json) => 'value' in e).map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({ NETCHECK_READ_SCOPE: 'namespaced', NETCHECK_READ_NAMESPACES: 'shop,web', NETCHECK_SYSTEM_NAMESPACES: 'kube-system,calico-system' });
    expect(loadWorkerConfig(env).readScope).toEqual({ namespaces: ['shop', 'web'], systemNamespaces: ['kube-system', 'calico-system'] });
    expect(rbacObjects(objects)).toContain('Role/calico-system/nc-netcheck-system');
  });

  it('cluster mode (the default) renders no namespaced Roles and no scope variables', async () => {
    const objects = await helm.render(REQUIRED);
    expect(rbacObjects(objects).filter((o) => !/-(state|coredns-config)$/.test(o))).toEqual(['ClusterRole//nc-netcheck-reader', 'ClusterRoleBinding//nc-netcheck-reader']);
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.env.map((e: Json) => e.name).filter((n: string) => /READ_|SYSTEM_NAMESPACES/.test(n))).toEqual([]);
  });

  for (const [values, message] of [
    [[...REQUIRED, 'rbac.scope=namespaced'], /rbac\.namespaces is required when rbac\.scope=namespaced/],
    [[...REQUIRED, 'rbac.scope=tenants'], /at '\/rbac\/scope': value must be one of 'cluster', 'namespaced'/],
    [[...REQUIRED, 'rbac.scope=namespaced', 'rbac.namespaces={Shop}'], /at '\/rbac\/namespaces\/0': 'Shop' does not match pattern/],
    [[...REQUIRED, 'rbac.scope=namespaced', 'rbac.namespaces={shop,shop}'], /at '\/rbac\/namespaces': items at 0 and 1 are equal/],
    [[...REQUIRED, 'rbac.scope=namespaced', 'rbac.namespaces={shop}', 'rbac.systemNamespaces=null'], /rbac\.systemNamespaces is required when rbac\.scope=namespaced/],
  ] as const) {
    it(`refuses ${values.slice(REQUIRED.length).join(' ')}, naming the value`, async () => {
      expect(await renderError([...values])).toMatch(message);
    });
  }
});
