/* global process, URL */
// Bundles the CLI ahead of time (`npm run build`, and `prepack`), so `netcheck` starts without
// npm or a TypeScript transpiler: a cold `--help` is then Node's own start-up plus a few
// milliseconds. Code splitting keeps what only some commands need (the engine, the Kubernetes
// client, the agent's readers) in chunks that load when a command asks for them.
import { chmod, rm, writeFile } from 'node:fs/promises';
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
 * the Kubernetes client's chunk goes from ~960 KB to ~220 KB.
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

// Only what this script writes: the image build puts the worker and agent bundles in dist/ too.
for (const stale of ['chunks', 'netcheck.mjs', 'kubectl-netcheck.mjs']) await rm(`${outdir}/${stale}`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { netcheck: 'bin/netcheck.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [clientNodeTreeShaking, nodeUrlForWhatwgUrl],
  // The CommonJS inside (the Kubernetes client's dependencies) calls require() on Node built-ins;
  // an ESM bundle has no require of its own. The shebang makes the file the `bin` itself.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __netcheckCreateRequire } from 'node:module'; const require = __netcheckCreateRequire(import.meta.url);",
  },
});
await chmod(`${outdir}/netcheck.mjs`, 0o755);
// kubectl finds plugins as executables named kubectl-<name> on PATH; npm links this one too.
await writeFile(`${outdir}/kubectl-netcheck.mjs`, "#!/usr/bin/env node\nimport './netcheck.mjs';\n", { mode: 0o755 });
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
process.stderr.write(`dist/netcheck.mjs and ${Object.keys(result.metafile.outputs).length - 1} chunks, ${(bytes / 1024).toFixed(0)} KB\n`);
