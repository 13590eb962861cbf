// Calico HostEndpoints read from our API server through the kubeconfig it writes, beside the
// Calico policies: converted with the host-endpoint policy flags, and a refused list that makes
// only the host endpoints unknown, never every Calico policy.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { runChecks } from '../../lib/checks/index.js';
import { demoObjects, nodeName } from '../../lib/demo/objects.js';
import { gatherObjects } from '../../lib/gather/kube.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import type { Facts, Target } from '../../lib/model/index.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { policyObject } from '../../lib/testkit/kube-objects.js';
import { withContext } from '../support/with-context.js';

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

describe('calico-host-endpoint-denies on what the gather read', () => {
  const firewall = (ports: number[]) =>
    policyObject('projectcalico.org/v3', 'GlobalNetworkPolicy', 'host-firewall', undefined, {
      selector: "host-endpoint == 'all'",
      applyOnForward: true,
      types: ['Ingress'],
      ingress: ports.map((port) => ({ action: 'Allow', protocol: 'TCP', destination: { ports: [port] } })),
    });
  const heps = [0, 1, 2].map((i) => hostEndpoint('projectcalico.org/v3', `${nodeName(i)}-all`, nodeName(i), { interfaceName: '*' }, { 'host-endpoint': 'all' }));
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({
      objects: [...demoObjects({ block: 247, apiServer: { host: '127.0.0.1', port: 6443 } }), ...heps, firewall([22])],
      serveGroups: ['projectcalico.org'],
    });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());

  async function judge(): Promise<ReturnType<typeof runChecks>[number] | undefined> {
    const objects = await gatherObjects(kc, target);
    const facts: Facts = {
      ...objects,
      target,
      collectedAt: '2026-12-01T00:00:00.000Z',
      probes: { enabled: true, source: { description: 'netcheck worker pod', namespace: 'netcheck', podLabels: { app: 'netcheck' }, ip: '127.247.9.9' }, tcp: [], dns: [] },
      nodeAgents: [],
    };
    return runChecks(facts).find((f) => f.code === 'calico-host-endpoint-denies');
  }

  it("fails when an applyOnForward firewall selecting the host endpoints forgets the pods' port, naming both", async () => {
    const result = await judge();
    withContext(String(result?.detail), () => expect(result?.status).toBe('fail'));
    expect(result?.subjects).toContainEqual({ kind: 'networkpolicy', name: 'host-firewall', policyKind: 'GlobalNetworkPolicy.projectcalico.org' });
    expect(result?.subjects).toContainEqual(expect.objectContaining({ kind: 'networkpolicy', policyKind: 'HostEndpoint.projectcalico.org' }));
    expect(result?.detail).toContain('no rule allows TCP 8080');
    expect(result?.remediation).toContain('applyOnForward: true');
  });

  it('passes once the firewall allows the port', async () => {
    server.upsert(firewall([22, 8080]));
    try {
      const result = await judge();
      withContext(String(result?.detail), () => expect(result?.status).toBe('pass'));
    } finally {
      server.upsert(firewall([22]));
    }
  });
});
