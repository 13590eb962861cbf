import { describe, expect, it } from '@jest/globals';
import { createStateRegistry } from '../../lib/state/registry.js';
import { THREAD_TTL_MS, emptyState } from '../../lib/state/state.js';
import { createMemoryStateStore } from '../../lib/state/store.js';

// The in-memory store behind local runs keeps the same contract as the ConfigMap store: copies in,
// compaction on write, and a registry on top that forgets idle threads.

describe('memory state store and registry', () => {
  it('answers thread, seen and summary questions', async () => {
    let clock = new Date('2026-11-26T07:00:00Z');
    const registry = createStateRegistry(createMemoryStateStore({ now: () => clock }), { now: () => clock });
    expect(await registry.threadFor('k')).toBeUndefined();
    await registry.rememberThread('k', { channel: 'C0INC', ts: '1795000000.000100', status: 'firing' });
    await registry.rememberThread('k', { channel: 'C0INC', ts: '1795000000.000100', status: 'resolved' });
    expect(await registry.threadFor('k')).toEqual({ channel: 'C0INC', ts: '1795000000.000100', at: clock.toISOString(), lastStatus: 'resolved' });

    await registry.markSeen('job-1');
    await registry.markSeen('job-1');
    expect(await registry.seen('job-1')).toBe(true);

    await registry.saveSummary('prod', { at: clock.toISOString(), findings: [{ code: 'c', subject: 's', status: 'warn', title: 't' }] });
    expect((await registry.lastSummary('prod'))?.findings).toHaveLength(1);
    expect(await registry.lastSummary('staging')).toBeUndefined();

    clock = new Date(clock.getTime() + THREAD_TTL_MS + 1);
    expect(await registry.threadFor('k')).toBeUndefined();
  });

  it('hands mutations a copy, so a mutation that throws leaves state untouched', async () => {
    const store = createMemoryStateStore();
    await store.update((s) => void s.seen.push('kept'));
    const before = await store.read();
    await expect(
      store.update((s) => {
        s.seen.push('lost');
        throw new Error('mutation failed');
      }),
    ).rejects.toThrow('mutation failed');
    expect(await store.read()).toEqual(before);
    before.seen.push('outside');
    expect((await store.read()).seen).toEqual(['kept']);
    expect(await store.update(() => emptyState())).toEqual(emptyState());
  });
});
