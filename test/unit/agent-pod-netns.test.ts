import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { findPodNetns } from '../../lib/agent/pod-probe.js';
import type { ToolRunner } from '../../lib/agent/tools.js';

// Which pinned namespace holds a pod's IP decides where the in-pod probe runs: a wrong pick
// would report another network's path as the pod's.
const dir = mkdtempSync(join(tmpdir(), 'netcheck-netns-'));
for (const name of ['cni-a', 'cni-b', 'other']) writeFileSync(join(dir, name), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const holders = new Set(['cni-a', 'other']);
const run: ToolRunner = async ({ args }) => {
  const name = args[1] as string;
  const addr = holders.has(name) ? [{ addr_info: [{ local: '10.244.1.5' }] }] : [{ addr_info: [{ local: '127.0.0.1' }] }];
  return { ok: true, stdout: JSON.stringify(addr), stderr: '', code: 0 };
};

describe('findPodNetns', () => {
  it('says unknown when two namespaces hold the IP, instead of picking one', async () => {
    const found = await findPodNetns('10.244.1.5', { run, netnsDir: dir });
    expect(found).toEqual({ unknown: expect.stringMatching(/^unknown, because 2 network namespaces .* hold 10\.244\.1\.5 \(cni-a, other\)/) });
  });

  it('looks only at namespaces with the configured prefix', async () => {
    expect(await findPodNetns('10.244.1.5', { run, netnsDir: dir, netnsPrefix: 'cni-' })).toEqual({ netns: 'cni-a' });
    expect(await findPodNetns('10.244.9.9', { run, netnsDir: dir, netnsPrefix: 'cni-' })).toEqual({ unknown: expect.stringContaining('no network namespace') });
  });
});
