// Calico HostEndpoints read from our API server through the kubeconfig it writes, beside the
// Calico policies: converted with the host-endpoint policy flags, and a refused list that makes
// only the host endpoints unknown, never every Calico policy.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { demoObjects } from '../../lib/demo/objects.js';
import { gatherObjects } from '../../lib/gather/kube.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import type { Target } from '../../lib/model/index.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { policyObject } from '../../lib/testkit/kube-objects.js';

const target: Target = { kind: 'svc', name: 'checkout', namespace: 'shop', cluster: 'test' };

function hostEndpoint(apiVersion: string, name: string, node: string, spec: Record<string, unknown>, labels: Record<string, string>) {
  const object = policyObject(apiVersion, 'HostEndpoint', name, undefined, { node, ...spec });
  return { ...object, metadata: { ...object.metadata, labels } };
}

function calicoObjects(apiVersion: string) {
  return [
    hostEndpoint(apiVersion, 'node-1-eth0', 'node-1', { interfaceName: 'eth0', expectedIPs: ['10.0.0.11'] }, { 'host-endpoint': 'ingress' }),
    hostEndpoint(apiVersion, 'node-2-all', 'node-2', { interfaceName: '*', profiles: ['projectcalico-default-allow'] }, { 'host-endpoint': 'ingress' }),
    policyObject(apiVersion, 'GlobalNetworkPolicy', 'allow-nodeports', undefined, {
      selector: 'has(host-endpoint)',
      preDNAT: true,
      applyOnForward: true,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['30000:32767'] } }],
    }),
  ];
}

describe('Calico HostEndpoints through the API', () => {
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({
      objects: [...demoObjects({ block: 249, apiServer: { host: '127.0.0.1', port: 6443 } }), ...calicoObjects('projectcalico.org/v3')],
      serveGroups: ['projectcalico.org'],
    });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.setDeny([]);
    server.requests.length = 0;
  });

  it('lists them cluster-wide in the group the policies come from, with the preDNAT and applyOnForward flags kept', async () => {
    const facts = await gatherObjects(kc, target);
    const systems = facts.policySystems!;
    expect(systems.calicoHostEndpoints).toEqual([
      { group: 'projectcalico.org', name: 'node-1-eth0', labels: { 'host-endpoint': 'ingress' }, node: 'node-1', interfaceName: 'eth0', expectedIPs: ['10.0.0.11'] },
      { group: 'projectcalico.org', name: 'node-2-all', labels: { 'host-endpoint': 'ingress' }, node: 'node-2', interfaceName: '*', profiles: ['projectcalico-default-allow'] },
    ]);
    expect(systems.calico.find((p) => p.name === 'allow-nodeports')).toMatchObject({ hostOnly: true, preDNAT: true, applyOnForward: true });
    expect(systems.calicoHostEndpointsUnknown).toBeUndefined();
    expect(server.requests.map((r) => r.path)).toContain('/apis/projectcalico.org/v3/hostendpoints');
    expect(facts.accessErrors).toEqual([]);
  });

  it('a 403 on hostendpoints makes them unknown and an access error, while the policies stay served', async () => {
    server.setDeny([{ verb: 'list', resource: 'hostendpoints' }]);
    const facts = await gatherObjects(kc, target);
    const systems = facts.policySystems!;
    expect(systems.apis.find((a) => a.system === 'calico')).toMatchObject({ state: 'served' });
    expect(systems.calico.map((p) => p.name)).toContain('allow-nodeports');
    expect(systems.calicoHostEndpoints).toBeUndefined();
    expect(systems.calicoHostEndpointsUnknown).toMatch(/^unknown, because hostendpoints.projectcalico.org could not be listed \(403/);
    expect(facts.accessErrors).toEqual([expect.objectContaining({ resource: 'hostendpoints', group: 'projectcalico.org', status: 403 })]);
  });
});

describe('Calico HostEndpoints from the CRDs', () => {
  it('are read from crd.projectcalico.org/v1 when the Calico API server is absent', async () => {
    const server = await startKubeApiServer({
      objects: [...demoObjects({ block: 248, apiServer: { host: '127.0.0.1', port: 6443 } }), ...calicoObjects('crd.projectcalico.org/v1')],
      serveGroups: ['crd.projectcalico.org'],
    });
    try {
      const facts = await gatherObjects(loadKubeConfig({ kubeconfigPath: server.kubeconfigPath }), target);
      expect(facts.policySystems?.calicoHostEndpoints?.map((h) => `${h.group}:${h.name}@${h.node}`)).toEqual([
        'crd.projectcalico.org:node-1-eth0@node-1',
        'crd.projectcalico.org:node-2-all@node-2',
      ]);
    } finally {
      await server.close();
    }
  });
});
