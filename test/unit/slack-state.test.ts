import { describe, expect, it } from '@jest/globals';
import { findingFingerprint } from '../../lib/model/index.js';
import { silenceScopeFor, scopeLabel } from '../../lib/slack/actions.js';
import { createStateRegistry, threadId } from '../../lib/state/registry.js';
import { MAX_ANNOUNCED, THREAD_TTL_MS, compactState, emptyState, parseState, type StoredSilence } from '../../lib/state/state.js';
import { createMemoryStateStore } from '../../lib/state/store.js';

// What the buttons leave behind in the worker's state: silences, what an alert thread announced,
// acknowledgements — through the registry and the serialised form the ConfigMap holds.

const silence = (id: string, expiresAt: string): StoredSilence => ({
  id,
  codes: ['selector-matches-no-pods'],
  kind: 'service',
  namespace: 'shop',
  name: 'payments',
  reason: 'silenced from Slack for 1h',
  expiresAt,
  createdBy: 'U0ALICE',
  createdAt: '2026-12-01T08:00:00.000Z',
  channel: 'C0INC',
});

describe('Slack state', () => {
  it('stores, lists and removes silences; expired ones stay a week so reports can say they expired', async () => {
    let clock = new Date('2026-12-01T08:00:00Z');
    const registry = createStateRegistry(createMemoryStateStore({ now: () => clock }), { now: () => clock });
    await registry.addSilence(silence('s-1', '2026-12-01T09:00:00.000Z'));
    await registry.addSilence(silence('s-2', '2026-12-08T08:00:00.000Z'));
    expect((await registry.silences()).map((s) => s.id)).toEqual(['s-1', 's-2']);
    expect((await registry.removeSilence('s-2'))?.id).toBe('s-2');
    expect(await registry.removeSilence('s-2')).toBeUndefined();
    clock = new Date(Date.parse('2026-12-01T09:00:00Z') + THREAD_TTL_MS - 1000);
    await registry.markSeen('touch');
    expect((await registry.silences()).map((s) => s.id)).toEqual(['s-1']);
    clock = new Date(Date.parse('2026-12-01T09:00:00Z') + THREAD_TTL_MS + 1000);
    await registry.markSeen('touch again');
    expect(await registry.silences()).toEqual([]);
  });

  it('reads a document written before silences existed', () => {
    const { state, problem } = parseState(JSON.stringify({ version: 1, summaries: {}, threads: {}, seen: ['a'] }));
    expect(problem).toBeUndefined();
    expect(state.silences).toEqual([]);
  });

  it('counts notifications per alert thread, tells which problems are new, and keeps them across reports', async () => {
    let clock = new Date('2026-12-01T08:14:00Z');
    const registry = createStateRegistry(createMemoryStateStore({ now: () => clock }), { now: () => clock });
    await registry.rememberThread('group', { channel: 'C0INC', ts: '1.1', status: 'firing' });
    expect(await registry.recordNotification('group', ['a', 'b'])).toEqual({ fresh: ['a', 'b'], firstAt: '2026-12-01T08:14:00.000Z', notifications: 1 });
    clock = new Date('2026-12-01T08:44:00Z');
    // A later report rewrites the thread's channel/ts/status; what it announced survives.
    await registry.rememberThread('group', { channel: 'C0INC', ts: '1.1', status: 'firing' });
    expect(await registry.recordNotification('group', ['a', 'c'])).toEqual({ fresh: ['c'], firstAt: '2026-12-01T08:14:00.000Z', notifications: 2 });
    const thread = await registry.threadFor('group');
    expect(thread?.announced).toEqual({ a: '2026-12-01T08:14:00.000Z', b: '2026-12-01T08:14:00.000Z', c: '2026-12-01T08:44:00.000Z' });
    expect(await registry.markIncident(threadId('group'), 'acknowledged', 'U0ALICE')).toMatchObject({ acknowledged: { by: 'U0ALICE', at: '2026-12-01T08:44:00.000Z' } });
    expect(await registry.markIncident(threadId('group'), 'resolved', 'U0BOB')).toMatchObject({
      lastStatus: 'resolved',
      resolved: { by: 'U0BOB' },
      acknowledged: { by: 'U0ALICE' },
    });
    expect(await registry.markIncident('no-such-thread', 'resolved', 'U0BOB')).toBeUndefined();
  });

  it('bounds what a thread remembers to the most recently seen problems', () => {
    const state = emptyState();
    const announced = Object.fromEntries(Array.from({ length: MAX_ANNOUNCED + 50 }, (_, i) => [`p${i}`, new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString()]));
    state.threads.t = { channel: 'C', ts: '1.1', at: '2026-12-01T12:00:00.000Z', lastStatus: 'firing', announced };
    const kept = compactState(state, new Date('2026-12-01T12:00:00Z')).threads.t!.announced!;
    expect(Object.keys(kept)).toHaveLength(MAX_ANNOUNCED);
    expect(kept.p0).toBeUndefined();
    expect(kept[`p${MAX_ANNOUNCED + 49}`]).toBeDefined();
  });

  it('fingerprints finding ids shortly and stably', () => {
    const id = `pods-not-ready@${Array.from({ length: 300 }, (_, i) => `pod/shop/payments-${i}`).join(',')}`;
    expect(findingFingerprint(id)).toHaveLength(12);
    expect(findingFingerprint(id)).toBe(findingFingerprint(id));
    expect(findingFingerprint(id)).not.toBe(findingFingerprint(`${id}x`));
  });
});

describe('what a Silence button holds', () => {
  const svc = { kind: 'svc' as const, namespace: 'shop', name: 'payments' };
  it("is the code on the target's own object when the finding names it, else on the finding's first subject", () => {
    expect(
      silenceScopeFor(
        {
          code: 'selector-matches-no-pods',
          subjects: [
            { kind: 'pod', namespace: 'shop', name: 'p-1' },
            { kind: 'service', namespace: 'shop', name: 'payments' },
          ],
        },
        svc,
      ),
    ).toEqual({ code: 'selector-matches-no-pods', kind: 'service', namespace: 'shop', name: 'payments' });
    expect(silenceScopeFor({ code: 'ip-forward-disabled', subjects: [{ kind: 'node', name: 'node-2' }] }, svc)).toEqual({
      code: 'ip-forward-disabled',
      kind: 'node',
      name: 'node-2',
    });
    expect(silenceScopeFor({ code: 'cluster-dns-down', subjects: [{ kind: 'daemonset', namespace: 'kube-system', name: 'coredns' }] }, { kind: 'dns', namespace: 'shop' })).toEqual(
      { code: 'cluster-dns-down', kind: 'daemonset', namespace: 'kube-system', name: 'coredns' },
    );
    expect(silenceScopeFor({ code: 'pods-not-ready', subjects: [] }, svc)).toBeUndefined();
  });

  it('reads as people say it', () => {
    expect(scopeLabel({ kind: 'service', namespace: 'shop', name: 'payments' })).toBe('svc shop/payments');
    expect(scopeLabel({ kind: 'node', name: 'node-2' })).toBe('node node-2');
    expect(scopeLabel({ namespace: 'shop' })).toBe('namespace shop');
  });
});
