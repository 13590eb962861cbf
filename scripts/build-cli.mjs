/* global process, URL */
// Bundles the CLI ahead of time (`npm run build`, and `prepack`), so `netcheck` starts without
// npm or a TypeScript transpiler. Two parts:
// - dist/netcheck.mjs (+ chunks): commander and the option parsing, all --help and --version
//   need. Small ESM: quickest to load without a cache.
// - dist/chunks/lazy.cjs: everything only some commands need (lib/cli/lazy.ts: the model, the
//   engine, the Kubernetes client, the renderers), one CommonJS file in which each module is still
//   evaluated on first use. Being one script, it can be compiled through vm.Script with a V8 code
//   cache (lib/cli/code-cache.ts), which Node 20 offers for no ES module: a diagnosis then skips
//   most of its compile time.
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('../', import.meta.url));
const outdir = `${repo}dist`;

const clientNodeDist = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
/**
 * @kubernetes/client-node's index re-exports every generated model and API (~1000 classes) and
 * declares no `sideEffects`, so esbuild keeps them all although we use KubeConfig alone. Its
 * modules only declare classes, assign their static fields and fill enums (nothing global, nothing
 * registered elsewhere), so marking them side-effect-free lets esbuild drop what nothing imports:
 * the Kubernetes client goes from ~960 KB to ~220 KB.
 */
const clientNodeTreeShaking = {
  name: 'client-node-tree-shaking',
  setup(b) {
    b.onResolve({ filter: /./ }, async (args) => {
      if (args.pluginData === 'resolved' || !(args.path.startsWith('@kubernetes/client-node') || clientNodeDist.test(args.importer))) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolved' });
      if (resolved.errors.length || !clientNodeDist.test(resolved.path)) return resolved.errors.length ? { errors: resolved.errors } : resolved;
      return { ...resolved, sideEffects: false };
    });
  },
};

/**
 * node-fetch 2 (client-node's) takes `URL` from node:url and imports whatwg-url only as a fallback
 * for runtimes without one (`Url.URL || whatwgUrl.URL`); on Node it is never used, yet its tr46
 * tables are ~290 KB to compile and evaluate. Node's own URL stands in.
 */
const nodeUrlForWhatwgUrl = {
  name: 'node-url-for-whatwg-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'node-url' }));
    b.onLoad({ filter: /./, namespace: 'node-url' }, () => ({ contents: "import { URL } from 'node:url';\nexport default { URL };\nexport { URL };\n", loader: 'js' }));
  },
};

/**
 * What the CLI takes from @kubernetes/client-node at run time (types aside). Importing another
 * name fails the build ("No matching export"): add it here.
 */
const CLIENT_NODE_IMPORTS = ['KubeConfig'];

/**
 * The Kubernetes client, tree-shaken once as ESM and handed to the CommonJS build as one flat
 * module. Bundled straight into CommonJS, a lazily imported package keeps its `export *` chains
 * as run-time re-exports, and with them every generated model again.
 */
async function clientNodePrebundle() {
  const { outputFiles } = await build({
    absWorkingDir: repo,
    stdin: { contents: `export { ${CLIENT_NODE_IMPORTS.join(', ')} } from '@kubernetes/client-node';`, resolveDir: repo, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    plugins: [clientNodeTreeShaking, nodeUrlForWhatwgUrl],
  });
  const contents = outputFiles[0].text;
  return {
    name: 'client-node-prebundle',
    setup(b) {
      b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: '@kubernetes/client-node', namespace: 'client-node-prebundle' }));
      b.onLoad({ filter: /./, namespace: 'client-node-prebundle' }, () => ({ contents, loader: 'js', resolveDir: repo }));
    },
  };
}

// Only what this script writes: the image build puts the worker and agent bundles in dist/ too.
for (const stale of ['chunks', 'netcheck.mjs', 'kubectl-netcheck.mjs']) await rm(`${outdir}/${stale}`, { recursive: true, force: true });
const common = {
  absWorkingDir: repo,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const lazyBundle = `${outdir}/chunks/lazy.cjs`;
const lazy = await build({ ...common, entryPoints: ['lib/cli/lazy.ts'], outfile: lazyBundle, format: 'cjs', plugins: [await clientNodePrebundle()] });
const { version } = JSON.parse(await readFile(`${repo}package.json`, 'utf8'));
// Names the exact bundle, so a code cache written for another build is never used for this one.
const hash = createHash('sha256')
  .update(await readFile(lazyBundle))
  .digest('hex')
  .slice(0, 16);

/** main.ts's `import('./lazy.js')` becomes lazy.cjs run through the code cache (lib/cli/lazy-bundle.ts). */
const lazyThroughCodeCache = {
  name: 'lazy-through-code-cache',
  setup(b) {
    b.onResolve({ filter: /^\.\/lazy\.js$/ }, (args) => (args.importer === `${repo}lib/cli/main.ts` ? { path: 'lazy', namespace: 'lazy-through-code-cache' } : undefined));
    b.onLoad({ filter: /./, namespace: 'lazy-through-code-cache' }, () => ({
      // This module's chunk sits beside lazy.cjs in dist/chunks/ (chunkNames below).
      contents: "import { loadLazyBundle } from './lib/cli/lazy-bundle.ts';\nexport const lazy = loadLazyBundle(new URL('./lazy.cjs', import.meta.url));\n",
      loader: 'js',
      resolveDir: repo,
    }));
  },
};
const cli = await build({
  ...common,
  entryPoints: { netcheck: 'bin/netcheck.ts' },
  outdir,
  splitting: true,
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  define: { NETCHECK_BUNDLE_ID: JSON.stringify(`${version}-${hash}`) },
  plugins: [lazyThroughCodeCache],
  // The CommonJS inside (commander) calls require() on Node built-ins; an ESM bundle has no
  // require of its own. The shebang makes the file the `bin` itself.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __netcheckCreateRequire } from 'node:module'; const require = __netcheckCreateRequire(import.meta.url);",
  },
});
await chmod(`${outdir}/netcheck.mjs`, 0o755);
// kubectl finds plugins as executables named kubectl-<name> on PATH; npm links this one too.
await writeFile(`${outdir}/kubectl-netcheck.mjs`, "#!/usr/bin/env node\nimport './netcheck.mjs';\n", { mode: 0o755 });
const kb = (result) => (Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0) / 1024).toFixed(0);
process.stderr.write(`dist/netcheck.mjs and ${Object.keys(cli.metafile.outputs).length - 1} chunks ${kb(cli)} KB, dist/chunks/lazy.cjs ${kb(lazy)} KB\n`);
