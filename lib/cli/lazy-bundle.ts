import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir, pruneOtherBuilds, runWithCodeCache } from './code-cache.js';
import type { Lazy } from './lazy.js';

// In the bundle, main.ts's `import('./lazy.js')` lands here (scripts/build-cli.mjs): the lazy
// modules are dist/chunks/lazy.cjs, run with a V8 code cache in the user's cache directory.
// NETCHECK_CODE_CACHE=off compiles them from source.

/** `<version>-<hash of lazy.cjs>`, set by scripts/build-cli.mjs. */
declare const NETCHECK_BUNDLE_ID: string;

export function loadLazyBundle(bundle: URL, env: Record<string, string | undefined> = process.env): Lazy {
  const dir = env.NETCHECK_CODE_CACHE === 'off' ? undefined : codeCacheDir(env);
  const build = `${NETCHECK_BUNDLE_ID}-${process.version}-${process.arch}`;
  const run = runWithCodeCache(fileURLToPath(bundle), { cacheFile: dir ? join(dir, `${build}.v8`) : undefined, sourceId: build });
  const { lazy } = run.exports as { lazy: Lazy };
  if (run.outcome === 'hit' || run.outcome === 'off') return lazy;
  // A usage error compiles a fraction of what a diagnosis does, and a cache once accepted is kept:
  // only a run that loaded the engine writes it, so the cache holds the engine's code.
  let engineLoaded = false;
  process.once('exit', () => {
    if (!engineLoaded || !dir) return;
    run.save();
    pruneOtherBuilds(dir, `${NETCHECK_BUNDLE_ID}-`);
  });
  return {
    ...lazy,
    engine: () => {
      engineLoaded = true;
      return lazy.engine();
    },
  };
}
