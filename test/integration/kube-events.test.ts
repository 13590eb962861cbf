// Events as evidence, read by the gatherer from our API server through the kubeconfig it writes:
// field-selected, bounded in pages, only the reasons that matter kept, and a refused read
// reported once as "unknown, because …" while everything else is still gathered.

import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { demoObjects } from '../../lib/demo/objects.js';
import { gatherClusterByNamespace, gatherObjects } from '../../lib/gather/kube.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';
import { run } from '../../lib/engine.js';
import { ClusterSweep } from '../../lib/summary/sweep.js';
import { eventObject, namespaceObject } from '../../lib/testkit/kube-objects.js';
import { stuckSearch, stuckSearchEvents } from '../support/stuck-search.js';

const sandboxMessage =
  'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "4c1e": plugin type="aws-cni" failed (add): add cmd: failed to assign an IP address to container';

const events = [
  eventObject({
    namespace: 'shop',
    name: 'payments-a.1',
    involvedObject: { kind: 'Pod', name: 'payments-a', namespace: 'shop' },
    reason: 'FailedCreatePodSandBox',
    message: sandboxMessage,
    count: 7,
  }),
  // Normal pod events and warnings nobody reads for networking stay out of the facts.
  eventObject({
    namespace: 'shop',
    name: 'payments-a.2',
    involvedObject: { kind: 'Pod', name: 'payments-a', namespace: 'shop' },
    reason: 'Pulled',
    type: 'Normal',
    message: 'Successfully pulled image',
  }),
  eventObject({
    namespace: 'shop',
    name: 'payments-a.3',
    involvedObject: { kind: 'Pod', name: 'payments-a', namespace: 'shop' },
    reason: 'BackOff',
    message: 'Back-off pulling image',
  }),
  eventObject({
    namespace: 'shop',
    name: 'payments.1',
    involvedObject: { kind: 'Service', name: 'payments', namespace: 'shop' },
    reason: 'FailedToUpdateEndpointSlices',
    message: 'Error updating Endpoint Slices for Service shop/payments: forbidden',
    component: 'endpoint-slice-controller',
  }),
  // Another Service's events are not this job's.
  eventObject({
    namespace: 'shop',
    name: 'cart.1',
    involvedObject: { kind: 'Service', name: 'cart', namespace: 'shop' },
    reason: 'FailedToUpdateEndpointSlices',
    message: 'Error updating Endpoint Slices for Service shop/cart',
  }),
  // Another namespace's pods neither.
  eventObject({
    namespace: 'web',
    name: 'frontend-x.1',
    involvedObject: { kind: 'Pod', name: 'frontend-x', namespace: 'web' },
    reason: 'FailedCreatePodSandBox',
    message: sandboxMessage,
  }),
  eventObject({
    namespace: 'default',
    name: 'node-3.1',
    involvedObject: { kind: 'Node', name: 'node-3' },
    reason: 'CIDRNotAvailable',
    type: 'Normal',
    message: 'Node node-3 status is now: CIDRNotAvailable',
    component: 'cidrAllocator',
  }),
  eventObject({
    namespace: 'default',
    name: 'node-3.2',
    involvedObject: { kind: 'Node', name: 'node-3' },
    reason: 'NodeReady',
    type: 'Normal',
    message: 'Node node-3 status is now: NodeReady',
  }),
];

describe('gathering events', () => {
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: [...demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } }), ...events] });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.setDeny([]);
    server.requests.length = 0;
  });

  it("keeps the network events of a service job's pods, its Service and the nodes, read with field selectors and limits", async () => {
    const facts = await gatherObjects(kc, { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' });
    expect(facts.accessErrors).toEqual([]);
    expect(facts.events?.unknown).toBeUndefined();
    expect(facts.events?.truncated).toBeUndefined();
    const kept = facts.events?.items.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}:${e.reason}`).sort();
    expect(kept).toEqual(['Node/node-3:CIDRNotAvailable', 'Pod/payments-a:FailedCreatePodSandBox', 'Service/payments:FailedToUpdateEndpointSlices']);
    expect(facts.events?.items.find((e) => e.reason === 'FailedCreatePodSandBox')).toEqual({
      namespace: 'shop',
      involvedObject: { kind: 'Pod', name: 'payments-a', namespace: 'shop' },
      reason: 'FailedCreatePodSandBox',
      message: sandboxMessage,
      type: 'Warning',
      count: 7,
      lastSeen: '2026-11-01T08:00:00Z',
      reporter: 'kubelet',
    });
    const reads = server.requests.filter((r) => r.path.endsWith('/events'));
    expect(reads.map((r) => [r.path, r.query.fieldSelector, r.status]).sort()).toEqual([
      ['/api/v1/events', 'involvedObject.kind=Node', 200],
      ['/api/v1/namespaces/shop/events', 'involvedObject.kind=Pod,type=Warning', 200],
      ['/api/v1/namespaces/shop/events', 'involvedObject.kind=Service,involvedObject.name=payments', 200],
    ]);
    expect(reads.every((r) => Number(r.query.limit) > 0)).toBe(true);
  });

  it('a node job reads that node and the sandbox failures of pods anywhere', async () => {
    const facts = await gatherObjects(kc, { kind: 'node', name: 'node-3', cluster: 'test' });
    expect(facts.events?.items.map((e) => `${e.involvedObject.namespace ?? ''}/${e.involvedObject.name}:${e.reason}`).sort()).toEqual([
      '/node-3:CIDRNotAvailable',
      'shop/payments-a:FailedCreatePodSandBox',
      'web/frontend-x:FailedCreatePodSandBox',
    ]);
  });

  it('a refused events read is one access error and "unknown" events; the rest is gathered', async () => {
    server.setDeny([{ verb: 'list', resource: 'events' }]);
    const facts = await gatherObjects(kc, { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' });
    expect(facts.accessErrors).toHaveLength(1);
    expect(facts.accessErrors[0]).toMatchObject({ verb: 'list', resource: 'events', status: 403 });
    expect(facts.events?.unknown).toMatch(/^unknown, because listing events.* failed \(403: .*forbidden/);
    expect(facts.services.map((s) => s.name)).toContain('payments');
    expect(facts.pods.length).toBeGreaterThan(0);
  });

  it('stops at its page bound and says the events were truncated', async () => {
    const noisy = Array.from({ length: 1_100 }, (_, i) =>
      eventObject({
        namespace: 'shop',
        name: `noisy-${String(i).padStart(5, '0')}`,
        involvedObject: { kind: 'Pod', name: `batch-${i}`, namespace: 'shop' },
        reason: 'Unhealthy',
        message: 'Readiness probe failed: connection refused',
      }),
    );
    for (const e of noisy) server.upsert(e);
    try {
      const facts = await gatherObjects(kc, { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' });
      expect(facts.events?.truncated).toBe(true);
      const podReads = server.requests.filter((r) => r.path === '/api/v1/namespaces/shop/events' && r.query.fieldSelector?.startsWith('involvedObject.kind=Pod'));
      expect(podReads).toHaveLength(4);
      expect(facts.events?.items.filter((e) => e.reason === 'Unhealthy').length).toBe(1_000);
    } finally {
      for (const e of noisy) server.remove('Event', 'shop', e.metadata.name);
    }
  });

  describe('in a sweep', () => {
    // A Service whose pods wait for their sandbox: the events say why, and only they do.
    const stuckIn = (namespace: string, clusterIP: string) => [...stuckSearch(namespace, clusterIP), ...stuckSearchEvents(namespace, sandboxMessage)];
    const stuck = stuckIn('shop', '127.250.3.30');
    beforeAll(() => stuck.forEach((o) => server.upsert(o)));
    afterAll(() => stuck.forEach((o) => server.remove(o.kind, o.metadata.namespace ?? '', o.metadata.name)));

    const sweep = async () => {
      const sweeper = new ClusterSweep({ cluster: 'test', startedAt: '2026-11-26T08:00:00.000Z' });
      const objects = await gatherClusterByNamespace(kc, sweeper);
      return { objects, report: sweeper.finish({ nodeAgents: [] }) };
    };

    it('reads the network reasons cluster-wide, one bounded field-selected list each, and names the failure of pods waiting for their sandbox', async () => {
      const { objects, report } = await sweep();
      expect(objects.accessErrors).toEqual([]);
      const reads = server.requests.filter((r) => r.path.endsWith('/events'));
      expect(reads.map((r) => `${r.path}?${r.query.fieldSelector}`).sort()).toEqual(
        [
          'involvedObject.kind=Node,reason=CIDRAssignmentFailed',
          'involvedObject.kind=Node,reason=CIDRNotAvailable',
          'involvedObject.kind=Pod,reason=FailedCreatePodSandBox',
          'involvedObject.kind=Pod,reason=NetworkNotReady',
          'involvedObject.kind=Service,reason=FailedToCreateEndpoint',
          'involvedObject.kind=Service,reason=FailedToUpdateEndpoint',
          'involvedObject.kind=Service,reason=FailedToUpdateEndpointSlices',
          'involvedObject.kind=Service,reason=TopologyAwareHintsDisabled',
        ].map((selector) => `/api/v1/events?${selector}`),
      );
      expect(reads.every((r) => Number(r.query.limit) > 0 && r.status === 200)).toBe(true);
      // The server did the filtering: nothing else was sent, every namespace's network events were.
      expect(objects.events?.items.map((e) => `${e.involvedObject.namespace ?? ''}/${e.involvedObject.name}:${e.reason}`).sort()).toEqual([
        '/node-3:CIDRNotAvailable',
        'shop/cart:FailedToUpdateEndpointSlices',
        'shop/payments-a:FailedCreatePodSandBox',
        'shop/payments:FailedToUpdateEndpointSlices',
        'shop/search-7b9d-0:FailedCreatePodSandBox',
        'shop/search-7b9d-1:FailedCreatePodSandBox',
        'web/frontend-x:FailedCreatePodSandBox',
      ]);
      const search = report.problems.find((p) => p.namespace === 'shop' && p.name === 'search');
      expect(search).toMatchObject({ status: 'fail', rootCause: { code: 'pod-network-setup-failed' } });
      expect(search?.findings.find((f) => f.code === 'pod-network-setup-failed')?.evidence.join('\n')).toContain('event FailedCreatePodSandBox on pod shop/search-7b9d-0');
    });

    it("through the engine, a channel's scope keeps another namespace's services and events out of its sweep", async () => {
      const team = [namespaceObject('search-team', { team: 'search' }), ...stuckIn('search-team', '127.250.3.31')];
      team.forEach((o) => server.upsert(o));
      try {
        const deps = { kc, probes: { enabled: false, skipReason: 'probes disabled for this test', timeoutMs: 1000, concurrency: 4, clusterDomain: 'cluster.local' } };
        const everything = await run({ kind: 'cluster', cluster: 'test' }, deps);
        expect(everything.problems.find((p) => p.namespace === 'search-team')?.rootCause?.code).toBe('pod-network-setup-failed');
        const shopOnly = await run({ kind: 'cluster', cluster: 'test' }, { ...deps, visible: (namespace) => namespace !== 'search-team' });
        expect(shopOnly.problems.find((p) => p.namespace === 'shop' && p.name === 'search')?.rootCause?.code).toBe('pod-network-setup-failed');
        expect(JSON.stringify(shopOnly)).not.toContain('search-team');
      } finally {
        team.forEach((o) => server.remove(o.kind, o.metadata.namespace ?? '', o.metadata.name));
      }
    });

    it('a refused events read is one access error, said once, and every service is still checked', async () => {
      server.setDeny([{ verb: 'list', resource: 'events' }]);
      const { objects, report } = await sweep();
      expect(objects.accessErrors.map((e) => `${e.verb} ${e.resource} ${e.status}`)).toEqual(['list events 403']);
      expect(objects.events?.unknown).toMatch(/^unknown, because listing events failed \(403: /);
      expect(report.clusterFindings.filter((f) => f.code === 'api-access-denied')).toHaveLength(1);
      expect(report.counts.services).toBe(objects.services.length);
      expect(report.problems.find((p) => p.name === 'search')?.rootCause?.code).not.toBe('pod-network-setup-failed');
    });
  });
});
