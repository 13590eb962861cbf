import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { watchSilenceFile } from '../../lib/silences/watch.js';

// The worker's silence file (the chart's ConfigMap): re-read when the kubelet replaces it; a broken
// update keeps the last good list and says why; a broken file at start is refused.

const dir = mkdtempSync(join(tmpdir(), 'netcheck-silence-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (path: string, text: string, mtimeSeconds: number) => {
  writeFileSync(path, text);
  utimesSync(path, mtimeSeconds, mtimeSeconds);
};

describe('watchSilenceFile', () => {
  it('follows updates, and keeps the last good list when an update is broken', async () => {
    const path = join(dir, 'silences.yaml');
    write(path, 'silences:\n  - id: a\n    namespace: shop\n    reason: r\n', 1_000);
    const errors: string[] = [];
    const source = await watchSilenceFile(path, (m) => errors.push(m));
    expect((await source.current()).map((s) => s.id)).toEqual(['a']);

    write(path, 'silences:\n  - id: b\n    namespace: web\n    reason: r\n', 2_000);
    expect((await source.current()).map((s) => s.id)).toEqual(['b']);

    write(path, 'silences:\n  - id: c\n    namespace: web\n', 3_000);
    expect((await source.current()).map((s) => s.id)).toEqual(['b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/silences\.yaml:2: silences\[0\]\.reason: required.*keeping the 1 silences read before/);
  });

  it('refuses a broken file at start, with the file and line', async () => {
    const path = join(dir, 'broken.yaml');
    write(path, 'silences:\n  - reason: everything\n', 1_000);
    await expect(watchSilenceFile(path, () => undefined)).rejects.toThrow(/broken\.yaml:2: silences\[0\]: a silence must name codes or an object/);
  });
});
