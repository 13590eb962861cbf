import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createStateRegistry } from '../../lib/state/registry.js';
import { STATE_BUDGET_BYTES, MAX_SEEN, THREAD_TTL_MS } from '../../lib/state/state.js';
import { createConfigMapStateStore, STATE_KEY, type ConfigMapStateStoreOptions } from '../../lib/state/store.js';
import type { FindingRef } from '../../lib/model/index.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';

// The ConfigMap state store against our Kubernetes API server over HTTP: what one worker writes,
// the next worker process (a new store on a new client) reads; concurrent writers meet 409s and
// retry without losing each other's writes.

const NAMESPACE = 'netcheck';
const NAME = 'netcheck-state';
const emptyConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: NAMESPACE } };

let server: KubeApiServerHandle | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(objects: unknown[] = [emptyConfigMap]) {
  server = await startKubeApiServer({ objects });
  return server;
}

/** A fresh client and store, as a restarted worker process would build them. */
function newStore(api: KubeApiServerHandle, opts: Partial<ConfigMapStateStoreOptions> = {}) {
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  return createConfigMapStateStore(kc, { namespace: NAMESPACE, name: NAME, ...opts });
}

const storedText = (api: KubeApiServerHandle) => (api.get('ConfigMap', NAMESPACE, NAME)?.data as Record<string, string> | undefined)?.[STATE_KEY];

describe('ConfigMap state store', () => {
  it('persists across runs: a new store on a new client reads what the last one wrote', async () => {
    const api = await start();
    // Registry and store share one clock: the store prunes expired threads by its own, so a store
    // on the real clock made this test fail once the real date was a week past day 1.
    const day1 = new Date('2026-11-25T08:00:00Z');
    const day2 = new Date('2026-11-26T08:00:00Z');
    const first = createStateRegistry(newStore(api, { now: () => day1 }), { now: () => day1 });
    const findings: FindingRef[] = [{ code: 'svc-no-endpoints', subject: 'shop/payments', status: 'fail', title: 'Service has no endpoints' }];
    await first.saveSummary('prod', { at: day1.toISOString(), findings });
    await first.rememberThread('prod\ngroup-1\nsvc/shop/payments', { channel: 'C0INC', ts: '1795000000.000100', status: 'firing' });
    await first.markSeen('job-1');

    const second = createStateRegistry(newStore(api, { now: () => day2 }), { now: () => day2 });
    expect(await second.lastSummary('prod')).toEqual({ at: day1.toISOString(), findings });
    expect(await second.threadFor('prod\ngroup-1\nsvc/shop/payments')).toMatchObject({ channel: 'C0INC', ts: '1795000000.000100', lastStatus: 'firing' });
    expect(await second.threadFor('prod\ngroup-2\nsvc/shop/payments')).toBeUndefined();
    expect(await second.seen('job-1')).toBe(true);
    expect(await second.seen('job-2')).toBe(false);
    expect(JSON.parse(storedText(api)!)).toMatchObject({ version: 1, seen: ['job-1'] });
  });

  it('loses no write when two workers update concurrently (409 Conflict, retry)', async () => {
    const api = await start();
    const a = createStateRegistry(newStore(api));
    const b = createStateRegistry(newStore(api));
    const ids = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    await Promise.all(ids.map((id, i) => (i % 2 ? a : b).markSeen(id)));
    const conflicts = api.requests.filter((r) => r.method === 'PUT' && r.status === 409).length;
    expect(conflicts).toBeGreaterThan(0);
    const state = JSON.parse(storedText(api)!) as { seen: string[] };
    expect([...state.seen].sort()).toEqual([...ids].sort());
  });

  it('refuses to create a missing ConfigMap unless allowed, and creates it when it is', async () => {
    const api = await start([]);
    const inCluster = newStore(api);
    expect(await inCluster.read()).toMatchObject({ summaries: {}, threads: {}, seen: [] });
    await expect(inCluster.update((s) => void s.seen.push('x'))).rejects.toThrow(/ConfigMap netcheck\/netcheck-state not found: the Helm chart creates it/);
    expect(api.get('ConfigMap', NAMESPACE, NAME)).toBeUndefined();

    const local = createStateRegistry(newStore(api, { createIfMissing: true }));
    await local.markSeen('job-local');
    expect(await createStateRegistry(newStore(api)).seen('job-local')).toBe(true);
  });

  it('names the missing permission when RBAC forbids the update', async () => {
    const api = await start();
    api.setDeny([{ verb: 'update', resource: 'configmaps', namespace: NAMESPACE }]);
    await expect(createStateRegistry(newStore(api)).markSeen('job-1')).rejects.toThrow(/forbidden to update it; the worker's Role must allow get and update/);
  });

  it('starts fresh, and says so, when the stored document is corrupt', async () => {
    const api = await start([{ ...emptyConfigMap, data: { [STATE_KEY]: '{"version": 1, "seen": [' } }]);
    const problems: string[] = [];
    const store = newStore(api, { onReset: (p) => problems.push(p) });
    await createStateRegistry(store).markSeen('job-after-reset');
    expect(problems[0]).toMatch(/netcheck\/netcheck-state: stored state is not JSON/);
    expect(JSON.parse(storedText(api)!)).toMatchObject({ seen: ['job-after-reset'] });
  });

  it('keeps the document under the ConfigMap limit and prunes what has a lifetime', async () => {
    const api = await start();
    let clock = new Date('2026-11-01T00:00:00Z');
    const store = newStore(api, { now: () => clock });
    const registry = createStateRegistry(store, { now: () => clock });
    await registry.rememberThread('old-group', { channel: 'C0INC', ts: '1.1', status: 'resolved' });

    const bigSummary = (cluster: string): FindingRef[] =>
      Array.from({ length: 3000 }, (_, i) => ({
        code: `check-${i % 40}`,
        subject: `namespace-${cluster}-${i}/service-with-a-rather-long-name-${'x'.repeat(40)}-${i}`,
        status: i % 3 === 0 ? 'fail' : 'warn',
        title: 'A title that someone made far too long '.repeat(20),
      }));
    clock = new Date(clock.getTime() + THREAD_TTL_MS + 1000);
    await store.update((state) => {
      for (const cluster of ['prod', 'staging', 'dev', 'edge']) state.summaries[cluster] = { at: clock.toISOString(), findings: bigSummary(cluster) };
      state.seen = Array.from({ length: MAX_SEEN + 500 }, (_, i) => `job-${i}`);
      state.threads.recent = { channel: 'C0INC', ts: '2.2', at: clock.toISOString(), lastStatus: 'firing' };
    });

    const text = storedText(api)!;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STATE_BUDGET_BYTES);
    const state = JSON.parse(text) as {
      summaries: Record<string, { findings: FindingRef[]; droppedFindings?: number }>;
      threads: Record<string, unknown>;
      seen: string[];
    };
    expect(Object.keys(state.threads)).toEqual(['recent']);
    expect(state.seen).toHaveLength(MAX_SEEN);
    expect(state.seen.at(-1)).toBe(`job-${MAX_SEEN + 499}`);
    for (const summary of Object.values(state.summaries)) {
      expect(summary.findings.length + (summary.droppedFindings ?? 0)).toBe(3000);
      // Failures survive trimming before warnings do.
      expect(summary.findings.filter((f) => f.status === 'fail').length).toBe(Math.min(1000, summary.findings.length));
      expect(Math.max(...summary.findings.map((f) => f.title.length))).toBeLessThanOrEqual(200);
    }
  });
});
