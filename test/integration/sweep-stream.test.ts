// The sweep's streamed gather against our API server over real sockets: pods are handed to the
// sweep namespace by namespace while the cluster-wide list is still arriving. Also against a
// server that lists in another order than storage keys, which the API does not promise.

import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { demoObjects } from '../../lib/demo/objects.js';
import { isSystemNamespace, type PodFact, type SweepReport } from '../../lib/model/index.js';
import { gatherClusterByNamespace, gatherObjects, type NamespaceSink } from '../../lib/gather/kube.js';
import type { ObjectFacts } from '../../lib/gather/types.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { createKubeReader } from '../../lib/kube/reader.js';
import { ClusterSweep } from '../../lib/summary/sweep.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';

const STARTED_AT = '2026-11-26T08:00:00.000Z';
const fixture = () => demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } });

/** Records what the gather hands over, and when. */
function recordingSink() {
  const events: string[] = [];
  const handed = new Map<string, PodFact[]>();
  let servicesAtBegin = -1;
  const sink: NamespaceSink = {
    begin(objects: ObjectFacts) {
      events.push('begin');
      servicesAtBegin = objects.services.length;
    },
    namespace(namespace, pods) {
      events.push(namespace);
      handed.set(namespace, pods);
    },
  };
  return { sink, events, handed, servicesAtBegin: () => servicesAtBegin };
}

async function sweepOf(kc: KubeConfig, pageSize: number): Promise<{ report: SweepReport; objects: ObjectFacts }> {
  const sweep = new ClusterSweep({ cluster: 'test', startedAt: STARTED_AT });
  const objects = await gatherClusterByNamespace(kc, sweep, { pageSize });
  return { report: sweep.finish({ nodeAgents: [] }), objects };
}

/** The parts of a report that do not depend on how the data was fetched. */
const verdicts = (report: SweepReport) => ({ ...report, durationMs: 0, apiRequests: 0 });

describe('streamed cluster gather', () => {
  let inOrder: KubeApiServerHandle;
  let interleaved: KubeApiServerHandle;
  let kcInOrder: KubeConfig;
  let kcInterleaved: KubeConfig;

  beforeAll(async () => {
    [inOrder, interleaved] = await Promise.all([startKubeApiServer({ objects: fixture() }), startKubeApiServer({ objects: fixture(), listOrder: 'name' })]);
    kcInOrder = loadKubeConfig({ kubeconfigPath: inOrder.kubeconfigPath });
    kcInterleaved = loadKubeConfig({ kubeconfigPath: interleaved.kubeconfigPath });
  });
  afterAll(() => Promise.all([inOrder.close(), interleaved.close()]));

  it('hands each namespace over once, complete, after every other list, with the requests of a one-shot gather', async () => {
    const whole = await gatherObjects(kcInOrder, { kind: 'cluster', cluster: 'test' }, { pageSize: 2 });
    const recorder = recordingSink();
    const objects = await gatherClusterByNamespace(kcInOrder, recorder.sink, { pageSize: 2 });

    expect(recorder.events[0]).toBe('begin');
    expect(recorder.servicesAtBegin()).toBe(inOrder.list('Service').length);
    const namespacesWithPods = [...new Set(whole.pods.map((p) => p.namespace))];
    expect(recorder.events.slice(1)).toEqual(namespacesWithPods);
    for (const namespace of namespacesWithPods) {
      expect(recorder.handed.get(namespace)).toEqual(whole.pods.filter((p) => p.namespace === namespace));
    }
    // Only the system namespaces' pods are kept; the rest went to the sink.
    expect(objects.pods.map((p) => p.namespace).every(isSystemNamespace)).toBe(true);
    expect(objects.systemPods).toEqual(whole.systemPods);
    expect(objects.apiRequests).toBe(whole.apiRequests);
  });

  it('has the next page on its way before a page is handed over, so the server works while we do', async () => {
    const reader = createKubeReader(kcInOrder, { pageSize: 2 });
    const dispatchedBeforeHandOver: number[] = [];
    let pages = 0;
    await reader.listAll('/api/v1/pods', {}, () => {
      pages++;
      dispatchedBeforeHandOver.push(reader.requests);
    });
    expect(pages).toBeGreaterThan(3);
    // While page n is handled, request n+1 has been sent; the last page has no successor.
    expect(dispatchedBeforeHandOver).toEqual([...Array.from({ length: pages - 1 }, (_, i) => i + 2), pages]);
  });

  it('re-lists a namespace whose pods arrive out of order, and reaches the same verdicts', async () => {
    const expected = await sweepOf(kcInOrder, 2);
    interleaved.requests.length = 0;
    const { report, objects } = await sweepOf(kcInterleaved, 2);

    expect(verdicts(report)).toEqual(verdicts(expected.report));
    expect(report.problems.length).toBeGreaterThan(0);
    const relisted = interleaved.requests.filter((r) => /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(r.path)).map((r) => r.path);
    expect(relisted.length).toBeGreaterThan(0);
    // Every re-list is a paged list, and the pod pages are still list pages only.
    expect(interleaved.requests.every((r) => r.query.limit === '2' || !r.path.endsWith('/pods'))).toBe(true);
    expect(objects.accessErrors).toEqual([]);
  });

  it('reports a re-list it may not make as an access error for that namespace, and says unknown there', async () => {
    interleaved.setDeny([{ verb: 'list', resource: 'pods', namespace: 'shop' }]);
    try {
      const { report, objects } = await sweepOf(kcInterleaved, 2);
      expect(objects.accessErrors).toEqual([expect.objectContaining({ verb: 'list', resource: 'pods', namespace: 'shop', status: 403 })]);
      expect(report.clusterFindings.map((f) => f.code)).toContain('api-access-denied');
      const selectorCheck = report.problems.flatMap((p) => p.findings).find((f) => f.code === 'selector-matches-no-pods');
      // With shop's pods unreadable the sweep must not claim the payments selector matches nothing.
      expect(selectorCheck).toBeUndefined();
    } finally {
      interleaved.setDeny([]);
    }
  });
});
