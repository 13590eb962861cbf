import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Network-lab tests create namespaces with fixed per-run prefixes; running files in
    // parallel is fine, but keep a bounded pool on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    env: {
      // Keep test output to failures: the JSON logs are asserted where they matter, not read.
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
