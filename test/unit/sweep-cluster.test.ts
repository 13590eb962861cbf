// The cluster sweep over the demo shop's objects, converted to facts exactly as the gatherer
// converts API pages. No network: the sweep is a pure function of the facts it is given.

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { explains, runChecks } from '../../lib/checks/index.js';
import { buildReport } from '../../lib/verdict/verdict.js';
import { demoObjects } from '../../lib/demo/objects.js';
import type { EventsFact, Facts, NodeAgentFact } from '../../lib/model/index.js';
import { deriveClusterFacts } from '../../lib/gather/kube.js';
import type { ObjectFacts } from '../../lib/gather/types.js';
import { toDaemonSetFact, toEndpointSliceFact, toNamespaceFact, toNetworkPolicyFact, toNodeFact, toPodFact, toServiceFact, type RawObject } from '../../lib/kube/convert.js';
import { applyDiagnoses, ClusterSweep, probeFlagged, SERVICE_CODES, sweepCluster, type ServiceKey } from '../../lib/summary/sweep.js';
import type { KubeObject } from '../../lib/testkit/kube-api-server.js';
import { eventObject, namespaceObject, nodeObject, podObject, serviceObject, endpointSliceObject } from '../../lib/testkit/kube-objects.js';
import { toEventFact } from '../../lib/gather/events.js';
import { loadScenario } from '../scenarios/load.js';
import { stuckSearch, stuckSearchEvents } from '../support/stuck-search.js';

const scenarioDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

const STARTED_AT = '2026-11-26T08:00:00.000Z';

function objectFacts(objects: KubeObject[], apiRequests = 7): ObjectFacts {
  const of = (kind: string) => objects.filter((o) => o.kind === kind) as RawObject[];
  const lists = {
    services: of('Service').map(toServiceFact),
    pods: of('Pod').map(toPodFact),
    endpointSlices: of('EndpointSlice').map(toEndpointSliceFact),
  };
  return {
    ...lists,
    sameNameElsewhere: [],
    nodes: of('Node').map(toNodeFact),
    networkPolicies: of('NetworkPolicy').map(toNetworkPolicyFact),
    namespaces: of('Namespace').map(toNamespaceFact),
    ...deriveClusterFacts(lists, of('DaemonSet').map(toDaemonSetFact)),
    accessErrors: [],
    apiRequests,
  };
}

const shop = () => demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } });
const healthyAgents: NodeAgentFact[] = [];

describe('sweepCluster', () => {
  it('finds every broken demo service with its root cause and leaves healthy ones out', () => {
    const report = sweepCluster(objectFacts(shop()), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
    const problems = Object.fromEntries(report.problems.map((p) => [`${p.namespace}/${p.name}`, `${p.status} ${p.rootCause?.code}`]));
    expect(problems).toEqual({
      'shop/payments': 'fail selector-matches-no-pods',
      'shop/cart': 'fail pods-not-ready',
      'shop/frontend': 'fail loadbalancer-pending',
      'shop/inventory': 'warn target-port-mismatch',
    });
    expect(report.status).toBe('fail');
    expect(report.counts).toEqual({ namespaces: 5, services: 8, nodes: 3, pods: 18, ok: 0, unverified: 4, warn: 1, fail: 3, error: 0 });
    expect(report.apiRequests).toBe(7);
    expect(report.clusterFindings).toEqual([]);
    for (const problem of report.problems) {
      expect(problem.findings.length).toBeGreaterThan(0);
      expect(problem.findings.every((f) => f.status === 'fail' || f.status === 'warn' || f.status === 'error')).toBe(true);
    }
  });

  it('diagnoses at most the limit in full, warnings first, then the largest API-healthy services; the rest say why they are unverified', async () => {
    const objects = objectFacts(shop());
    const sweeper = new ClusterSweep({ cluster: 'demo', startedAt: STARTED_AT, probeLimit: 2 });
    sweeper.begin(objects);
    const byNamespace = new Map<string, typeof objects.pods>();
    for (const pod of objects.pods) byNamespace.set(pod.namespace, [...(byNamespace.get(pod.namespace) ?? []), pod]);
    for (const [namespace, pods] of byNamespace) sweeper.namespace(namespace, pods);
    const report = sweeper.finish({ nodeAgents: healthyAgents });

    const flagged = sweeper.toProbe(report);
    expect(flagged).toHaveLength(2);
    expect(flagged[0]).toEqual({ namespace: 'shop', name: 'inventory' });
    const healthy = flagged[1]!;
    withContext('second: an API-healthy service', () => expect(report.problems.some((p) => p.namespace === healthy.namespace && p.name === healthy.name)).toBe(false));

    const diagnosed: ServiceKey[] = [];
    const probed = await probeFlagged(sweeper, report, {
      limit: 2,
      concurrency: 2,
      diagnose: async (service) => {
        diagnosed.push(service);
        const facts: Facts = {
          ...objects,
          target: { kind: 'svc', ...service, cluster: 'demo' },
          collectedAt: STARTED_AT,
          probes: { enabled: false, skipReason: 'no probes in this test', tcp: [], dns: [] },
          nodeAgents: [],
        };
        return buildReport(facts, runChecks(facts), { startedAt: STARTED_AT, durationMs: 0 }, explains);
      },
    });
    expect(diagnosed).toEqual(flagged);
    expect(probed.verification).toEqual({ probed: 2, limit: 2, reason: expect.stringContaining('not among the 2 services this sweep probes') });
    expect(probed.problems.find((p) => p.name === 'inventory')).toMatchObject({ status: 'warn', verified: true });
    for (const p of probed.problems.filter((r) => r.name !== 'inventory')) {
      withContext(p.name, () => expect(p.verified).toBe(false));
      withContext(p.name, () => expect(p.unverifiedReason).toContain('not among the 2 services'));
    }
    expect(probed.counts).toMatchObject({ ok: 1, unverified: 3, warn: 1, fail: 3 });
    expect(applyDiagnoses(report, [], 1).verification.reason).toContain('not among the 1 service this sweep probes');
  });

  it('ranks failures before warnings and bigger services first', () => {
    const objects = shop();
    // A fourth, larger failing service: ten crash-looping replicas behind "search".
    for (let i = 0; i < 10; i++) {
      objects.push(
        podObject({
          namespace: 'shop',
          name: `search-7b9d-${i}`,
          labels: { app: 'search' },
          nodeName: 'node-1',
          podIP: `127.250.2.${40 + i}`,
          containers: [{ name: 'search', image: 'search:1', ports: [{ containerPort: 9200 }], state: { kind: 'crashloop', restartCount: 3 } }],
        }),
      );
    }
    objects.push(
      serviceObject({ namespace: 'shop', name: 'search', clusterIP: '127.250.3.30', selector: { app: 'search' }, ports: [{ port: 9200 }] }),
      endpointSliceObject({
        namespace: 'shop',
        service: 'search',
        ports: [{ port: 9200 }],
        endpoints: Array.from({ length: 10 }, (_, i) => ({ ip: `127.250.2.${40 + i}`, ready: false, nodeName: 'node-1', podName: `search-7b9d-${i}` })),
      }),
    );
    const report = sweepCluster(objectFacts(objects), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
    const order = report.problems.map((p) => `${p.status} ${p.name}`);
    expect(order[0]).toBe('fail search');
    expect(order.at(-1)).toBe('warn inventory');
    expect(order.slice(1, -1).every((line) => line.startsWith('fail '))).toBe(true);
  });

  it('reports cluster-level problems once, not once per service', () => {
    const objects = shop().map((o) =>
      o.kind === 'Node' && o.metadata.name === 'node-3' ? nodeObject({ name: 'node-3', internalIP: '127.250.1.3', podCIDR: '127.250.2.128/26', ready: false }) : o,
    );
    const report = sweepCluster(objectFacts(objects), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
    const nodeFindings = report.clusterFindings.filter((f) => f.code === 'node-not-ready');
    expect(nodeFindings).toHaveLength(1);
    expect(nodeFindings[0]!.status).toBe('fail');
    expect(report.problems.flatMap((p) => p.findings).some((f) => f.code === 'node-not-ready')).toBe(false);
  });

  it('does not read an unreadable list as "no endpoints", and reports the access error once', () => {
    const facts = objectFacts(shop().filter((o) => o.kind !== 'EndpointSlice'));
    facts.accessErrors = [
      { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io', status: 403, message: 'endpointslices.discovery.k8s.io is forbidden' },
      { verb: 'list', resource: 'endpoints', status: 403, message: 'endpoints is forbidden' },
    ];
    const report = sweepCluster(facts, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
    expect(report.clusterFindings.map((f) => f.code)).toContain('api-access-denied');
    const noEndpoints = report.problems.flatMap((p) => p.findings).filter((f) => f.code === 'no-ready-endpoints' && f.status === 'fail');
    expect(noEndpoints).toEqual([]);
    expect(report.problems.find((p) => p.name === 'payments')?.rootCause?.code).toBe('selector-matches-no-pods');
  });

  it('checks services with views that hold no agents or system pods, which no service-only check reads', () => {
    // A sweep checks a namespace before the node agents are asked and, often, before the system
    // namespaces' pods have arrived: a service-only check that read either would be silently wrong.
    const forbidden = (facts: Facts): Facts => {
      const view = { ...facts };
      for (const field of ['nodeAgents', 'systemPods'] as const) {
        Object.defineProperty(view, field, {
          get() {
            throw new Error(`a service-only check read facts.${field}`);
          },
        });
      }
      return view;
    };
    const svcScenarios = readdirSync(scenarioDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => loadScenario(join(scenarioDir, f)).facts)
      .filter((facts) => facts.target.kind === 'svc');
    expect(svcScenarios.length).toBeGreaterThan(20);
    for (const facts of svcScenarios) {
      const crashed = runChecks(forbidden(facts), { codes: SERVICE_CODES }).filter((f) => f.status === 'error');
      expect(crashed.map((f) => `${f.code}: ${f.detail}`)).toEqual([]);
    }
    // The guard itself bites: a check that reads them is caught.
    expect(() => forbidden(svcScenarios[0]!).systemPods).toThrow(/read facts.systemPods/);
  });

  describe('with events', () => {
    const sandboxMessage =
      'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "9f2": plugin type="flannel" failed (add): failed to allocate for range 0: no IP addresses available in range set';
    /** A "search" service in `namespace` whose two pods wait for their sandbox on node-2. */
    const stuckSearchIn = (namespace: string): KubeObject[] => [
      ...(namespace === 'shop' ? [] : [namespaceObject(namespace, { team: namespace })]),
      ...stuckSearch(namespace, namespace === 'shop' ? '127.250.3.30' : '127.250.3.31'),
    ];
    const sandboxEvents = (namespace: string): EventsFact['items'] => stuckSearchEvents(namespace, sandboxMessage, 4).map((e) => toEventFact(e as RawObject));
    const searchIn = (report: ReturnType<typeof sweepCluster>, namespace: string) => report.problems.find((p) => p.namespace === namespace && p.name === 'search');

    it('names the pod network failure of pods waiting for their sandbox, where without events it could only say unknown', () => {
      const without = sweepCluster(objectFacts([...shop(), ...stuckSearchIn('shop')]), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      // Without events the check can only say unknown, which is no problem: the sweep blames a symptom.
      expect(searchIn(without, 'shop')?.rootCause?.code).not.toBe('pod-network-setup-failed');

      const facts = { ...objectFacts([...shop(), ...stuckSearchIn('shop')]), events: { items: sandboxEvents('shop') } };
      const report = sweepCluster(facts, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      const search = searchIn(report, 'shop');
      expect(search).toMatchObject({ status: 'fail', rootCause: { code: 'pod-network-setup-failed' } });
      const setup = search?.findings.find((f) => f.code === 'pod-network-setup-failed');
      expect(setup?.detail).toContain('no pod IP address left');
      expect(setup?.subjects).toEqual(
        expect.arrayContaining([
          { kind: 'pod', namespace: 'shop', name: 'search-7b9d-0', node: 'node-2' },
          { kind: 'node', name: 'node-2' },
        ]),
      );
      // Only the Pending pods' own events count: the rest of the demo is as it was.
      expect(report.problems.filter((p) => p.name !== 'search').map((p) => `${p.name} ${p.rootCause?.code}`)).toEqual(
        without.problems.filter((p) => p.name !== 'search').map((p) => `${p.name} ${p.rootCause?.code}`),
      );
    });

    it("takes a node's missing pod CIDR for certain once the controller's CIDRNotAvailable says why", () => {
      const withoutCidr = () => {
        const facts = objectFacts(shop());
        facts.nodes = facts.nodes.map((n) => (n.name === 'node-3' ? { ...n, podCIDRs: [] } : n));
        return facts;
      };
      const cidrFinding = (report: ReturnType<typeof sweepCluster>) => report.clusterFindings.find((f) => f.code === 'pod-cidr-unavailable');
      const without = sweepCluster(withoutCidr(), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      expect(cidrFinding(without)?.status).toBe('warn');
      const event = toEventFact(
        eventObject({
          namespace: 'default',
          name: 'node-3.cidr',
          involvedObject: { kind: 'Node', name: 'node-3' },
          reason: 'CIDRNotAvailable',
          type: 'Normal',
          message: 'Node node-3 status is now: CIDRNotAvailable',
          component: 'cidrAllocator',
        }) as RawObject,
      );
      const report = sweepCluster({ ...withoutCidr(), events: { items: [event] } }, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      expect(cidrFinding(report)).toMatchObject({ status: 'fail', subjects: [{ kind: 'node', name: 'node-3' }] });
      expect(cidrFinding(report)?.detail).toContain('CIDRNotAvailable');
    });

    it('says unknown for waiting pods when the events could not be read', () => {
      const facts = {
        ...objectFacts([...shop(), ...stuckSearchIn('shop')]),
        events: { items: [], unknown: 'unknown, because listing events failed (403: events is forbidden)' },
        accessErrors: [{ verb: 'list' as const, resource: 'events', status: 403, message: 'events is forbidden' }],
      };
      const report = sweepCluster(facts, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      // Said once, at the cluster level; the service is not judged by the events it could not read.
      const denied = report.clusterFindings.filter((f) => f.code === 'api-access-denied');
      expect(denied).toHaveLength(1);
      expect(JSON.stringify(denied[0])).toContain('events');
      expect(report.problems.flatMap((p) => p.findings).filter((f) => f.code === 'api-access-denied')).toEqual([]);
      expect(searchIn(report, 'shop')?.rootCause?.code).not.toBe('pod-network-setup-failed');
    });

    it("judges an ExternalName's in-cluster target from the services it read, and not in a namespace the channel may not see", () => {
      const ledger = serviceObject({ namespace: 'shop', name: 'ledger-books', type: 'ExternalName', externalName: 'ledger-db.web.svc.cluster.local' });
      const ledgerIn = (report: ReturnType<typeof sweepCluster>) => report.problems.find((p) => p.namespace === 'shop' && p.name === 'ledger-books');
      const externalName = (report: ReturnType<typeof sweepCluster>) => ledgerIn(report)?.findings.find((f) => f.code === 'externalname-unresolvable');

      const missing = sweepCluster(objectFacts([...shop(), ledger]), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      expect(ledgerIn(missing)?.rootCause?.code).toBe('externalname-unresolvable');
      expect(externalName(missing)?.title).toContain('web/ledger-db, which does not exist');

      const target = serviceObject({ namespace: 'web', name: 'ledger-db', clusterIP: '10.96.9.9', selector: { app: 'ledger-db' }, ports: [{ port: 5432 }] });
      const present = sweepCluster(objectFacts([...shop(), ledger, target]), { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      expect(externalName(present)).toBeUndefined();

      // Hidden from the channel: neither "does not exist" nor a hint that it does.
      const hidden = sweepCluster(objectFacts([...shop(), ledger]), {
        cluster: 'demo',
        nodeAgents: healthyAgents,
        startedAt: STARTED_AT,
        visible: (namespace) => namespace !== 'web',
      });
      expect(externalName(hidden)).toBeUndefined();
      expect(JSON.stringify(hidden)).not.toContain('does not exist');
    });

    it("keeps another namespace's events from a channel that may not see it", () => {
      const objects = [...shop(), ...stuckSearchIn('shop'), ...stuckSearchIn('web')];
      const facts = { ...objectFacts(objects), events: { items: [...sandboxEvents('shop'), ...sandboxEvents('web')] } };
      const all = sweepCluster(facts, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT });
      expect(searchIn(all, 'web')?.rootCause?.code).toBe('pod-network-setup-failed');

      const scoped = sweepCluster(facts, { cluster: 'demo', nodeAgents: healthyAgents, startedAt: STARTED_AT, visible: (namespace) => namespace !== 'web' });
      expect(searchIn(scoped, 'shop')?.rootCause?.code).toBe('pod-network-setup-failed');
      expect(JSON.stringify(scoped)).not.toMatch(/\bweb\b/);
    });
  });
});
