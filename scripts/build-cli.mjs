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
