'use strict';
/* global module */
// How each Lambda handler is bundled: read by serverless.yml (custom.esbuild) and by
// bench/cold-start.ts, so the benchmark measures exactly what gets deployed.
module.exports = {
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  platform: 'node',
  // Lower than the nodejs24.x runtime on purpose: test/deploy/serverless.test.ts and bench/cold-start.ts load
  // these bundles on the Node the developers and CI have (20, see package.json engines); code for 20 runs on 24.
  target: 'node20',
  outputFileExtension: '.mjs',
  // Bundle the AWS SDK too: the deployed code then runs exactly the SDK version the tests ran,
  // not whatever the Lambda runtime ships this month. It costs ~0.45 MB (see bench/cold-start.ts).
  exclude: [],
  // serverless-esbuild loads esbuild plugins from a file (see esbuild-plugins.cjs for why).
  plugins: 'deploy/serverless/esbuild-plugins.cjs',
  // Bolt and its dependencies are CommonJS that call require() on Node built-ins; an ESM bundle
  // has no require of its own.
  banner: {
    js: "import { createRequire as __netcheckCreateRequire } from 'node:module'; const require = __netcheckCreateRequire(import.meta.url);",
  },
};
