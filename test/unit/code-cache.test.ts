import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { codeCacheDir, pruneOtherBuilds, runWithCodeCache } from '../../lib/cli/code-cache.js';
import { withContext } from '../support/with-context.js';

// The V8 code cache the bundled CLI compiles its lazy modules with: a real CommonJS file, a real
// cache file, V8's own acceptance. A cache is only a hint, so every broken one must still run the
// source, correctly, and be replaced.

const work = mkdtempSync(join(tmpdir(), 'netcheck-code-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let serial = 0;
/** A module with some functions to compile; unique per call, so V8's in-process cache of an earlier test cannot answer for it. */
function moduleFile(answer: number): string {
  const file = join(work, `module-${++serial}.cjs`);
  const helpers = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join('\n');
  writeFileSync(file, `// ${serial}\n${helpers}\nmodule.exports = { answer: () => f0(${answer}), dir: __dirname, builtin: typeof require('node:path').join };\n`);
  return file;
}
const answerOf = (exports: unknown) => (exports as { answer: () => number }).answer();

describe('runWithCodeCache', () => {
  it('compiles from source and writes the cache on the first run, then uses it', () => {
    const file = moduleFile(42);
    const cacheFile = join(work, 'first', 'cache.v8');
    const first = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(first.outcome).toBe('miss');
    expect(first.exports).toMatchObject({ dir: work, builtin: 'function' });
    expect(answerOf(first.exports)).toBe(42);
    first.save();
    expect(readFileSync(cacheFile).subarray(0, 23).toString()).toBe('netcheck-v8-code-cache\n');
    const second = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(second.outcome).toBe('hit');
    expect(answerOf(second.exports)).toBe(42);
  });

  it('a cache written for another build is stale: not used, and replaced', () => {
    const file = moduleFile(1);
    const cacheFile = join(work, 'stale.v8');
    runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).save();
    const other = runWithCodeCache(file, { cacheFile, sourceId: 'build-2' });
    expect(other.outcome).toBe('stale');
    expect(answerOf(other.exports)).toBe(1);
    other.save();
    expect(runWithCodeCache(file, { cacheFile, sourceId: 'build-2' }).outcome).toBe('hit');
  });

  it('a corrupted cache (V8 would crash on it) is refused by its checksum; the source runs and the cache is rewritten', () => {
    const file = moduleFile(7);
    const cacheFile = join(work, 'corrupt.v8');
    runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).save();
    const bytes = readFileSync(cacheFile);
    for (let i = bytes.length - 1; i > bytes.length / 2; i -= 97) bytes[i]! ^= 0xff;
    writeFileSync(cacheFile, bytes);
    const run = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(run.outcome).toBe('corrupt');
    expect(answerOf(run.exports)).toBe(7);
    run.save();
    expect(runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).outcome).toBe('hit');
    for (const garbage of [Buffer.from('not a cache'), Buffer.alloc(0)]) {
      writeFileSync(cacheFile, garbage);
      withContext(`${garbage.length} bytes`, () => expect(runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).outcome).toBe('corrupt'));
    }
  });

  it('a cache V8 rejects (the source changed under the same build id) is not used, and replaced', () => {
    const file = moduleFile(3);
    const cacheFile = join(work, 'rejected.v8');
    runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).save();
    writeFileSync(file, `${readFileSync(file, 'utf8')}module.exports.answer = () => 4;\n`);
    const run = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(run.outcome).toBe('rejected');
    expect(answerOf(run.exports)).toBe(4);
    run.save();
    const again = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(again.outcome).toBe('hit');
    expect(answerOf(again.exports)).toBe(4);
  });

  it('an unwritable cache location costs the cache, nothing else', () => {
    const file = moduleFile(5);
    const notADirectory = join(work, 'a-file');
    writeFileSync(notADirectory, '');
    const cacheFile = join(notADirectory, 'netcheck', 'cache.v8');
    const run = runWithCodeCache(file, { cacheFile, sourceId: 'build-1' });
    expect(() => run.save()).not.toThrow();
    expect(answerOf(run.exports)).toBe(5);
    expect(runWithCodeCache(file, { cacheFile, sourceId: 'build-1' }).outcome).toBe('miss');
  });

  it('without a cache file it just runs the source', () => {
    const run = runWithCodeCache(moduleFile(9), { cacheFile: undefined, sourceId: 'build-1' });
    expect(run.outcome).toBe('off');
    expect(answerOf(run.exports)).toBe(9);
  });
});

describe('where the cache lives', () => {
  it('$XDG_CACHE_HOME/netcheck when absolute (the XDG spec ignores relative values), else ~/.cache/netcheck', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe('/var/cache/me/netcheck');
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/me' })).toBe('/home/me/.cache/netcheck');
    expect(codeCacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/netcheck');
  });

  it('an upgrade prunes the previous build’s caches and keeps its own (for every Node version)', () => {
    const dir = mkdtempSync(join(work, 'prune-'));
    for (const name of ['0.1.0-aaaa-v20.20.2-x64.v8', '0.1.0-aaaa-v22.1.0-x64.v8', '0.0.9-bbbb-v20.20.2-x64.v8', 'unrelated.txt']) writeFileSync(join(dir, name), '');
    pruneOtherBuilds(dir, '0.1.0-aaaa-');
    expect(readdirSync(dir).sort()).toEqual(['0.1.0-aaaa-v20.20.2-x64.v8', '0.1.0-aaaa-v22.1.0-x64.v8', 'unrelated.txt']);
    expect(() => pruneOtherBuilds(join(dir, 'missing'), 'x')).not.toThrow();
  });
});
