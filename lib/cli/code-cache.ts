import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

// Node 20 has no module.enableCompileCache, so the bundled CLI (one CommonJS file) is compiled
// through vm.Script with V8's code cache, as v8-compile-cache does: a warm run deserialises the
// bytecode of every function the previous run compiled instead of parsing ~1 MB again and
// compiling each function on first call. The cache is only ever a hint: missing, stale, corrupt
// or unwritable means the source is compiled as usual.

/** What became of the cache on this run. */
export type CodeCacheOutcome = 'hit' | 'miss' | 'stale' | 'corrupt' | 'rejected' | 'off';

export interface CodeCacheRun {
  exports: unknown;
  outcome: CodeCacheOutcome;
  /** Writes the cache when this run could not use one; call it once the work is done, so the cache holds what it compiled. Never throws. */
  save(): void;
}

const MAGIC = 'netcheck-v8-code-cache';

/**
 * V8 accepts code cache data whose source merely has the same length and crashes the process
 * (rather than rejecting it) on a corrupted payload, so the file says which source it belongs to
 * and carries its own checksum: `MAGIC\n<sourceId>\n<sha256 of payload>\n<payload>`.
 */
function header(sourceId: string, payload: Buffer): Buffer {
  return Buffer.from(`${MAGIC}\n${sourceId}\n${createHash('sha256').update(payload).digest('hex')}\n`);
}

function readCache(cacheFile: string, sourceId: string): { data?: Buffer; outcome: 'miss' | 'stale' | 'corrupt' } {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return { outcome: 'miss' };
  }
  const lines: number[] = [];
  for (let i = 0; i < Math.min(file.length, 512) && lines.length < 3; i++) if (file[i] === 0x0a) lines.push(i);
  if (lines.length < 3 || file.subarray(0, lines[0]).toString() !== MAGIC) return { outcome: 'corrupt' };
  if (file.subarray(lines[0]! + 1, lines[1]).toString() !== sourceId) return { outcome: 'stale' };
  const data = file.subarray(lines[2]! + 1);
  const sum = file.subarray(lines[1]! + 1, lines[2]).toString();
  return sum === createHash('sha256').update(data).digest('hex') ? { data, outcome: 'miss' } : { outcome: 'corrupt' };
}

function writeAtomically(cacheFile: string, contents: Buffer[]): void {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, Buffer.concat(contents), { mode: 0o600 });
    // A reader sees the old file or the new one, never half of one.
    renameSync(temporary, cacheFile);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/**
 * Runs a CommonJS file (a bundle: it may require only Node built-ins and files beside it) with a V8
 * code cache in `cacheFile`, or without one when `cacheFile` is undefined. `sourceId` names the
 * exact source (a hash of it): a cache written for another source is stale, never used.
 */
export function runWithCodeCache(file: string, opts: { cacheFile: string | undefined; sourceId: string }): CodeCacheRun {
  const source = readFileSync(file, 'utf8');
  const cached = opts.cacheFile ? readCache(opts.cacheFile, opts.sourceId) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cached?.data ? { cachedData: cached.data } : {}),
  });
  const outcome: CodeCacheOutcome = !cached ? 'off' : !cached.data ? cached.outcome : script.cachedDataRejected ? 'rejected' : 'hit';
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  let saved = outcome === 'hit' || outcome === 'off';
  return {
    exports: module.exports,
    outcome,
    save() {
      if (saved || !opts.cacheFile) return;
      saved = true;
      try {
        const payload = script.createCachedData();
        writeAtomically(opts.cacheFile, [header(opts.sourceId, payload), payload]);
      } catch {
        // Only a hint: the next run compiles from source again.
      }
    },
  };
}

/** `$XDG_CACHE_HOME/netcheck`, else `~/.cache/netcheck`; undefined when no home is known. */
export function codeCacheDir(env: Record<string, string | undefined>): string | undefined {
  // The XDG spec has relative values ignored.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'netcheck');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'netcheck') : undefined;
}

/** Removes the caches of other builds (an upgrade leaves its predecessor's behind); errors are ignored. */
export function pruneOtherBuilds(dir: string, keepPrefix: string): void {
  try {
    for (const name of readdirSync(dir)) if (name.endsWith('.v8') && !name.startsWith(keepPrefix)) rmSync(join(dir, name), { force: true });
  } catch {
    // Nothing to prune, or not ours to prune.
  }
}
