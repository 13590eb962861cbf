// Jest runs the TypeScript test files as native ESM (node --experimental-vm-modules, see package.json's
// "test" script). @swc/jest only strips types, fast on a 2-core machine; `tsc --noEmit` in `npm test` checks them.

import process from 'node:process';

// Set here, not in a setupFiles module: this file is read in the parent process before the workers fork, so the
// workers' real process.env has these and so do the CLIs the tests spawn (a test file sees a copy of process.env).
// `??=` so a developer can still turn the logs on for one run.
// Keep test output to failures: the JSON logs are asserted where they matter, not read.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  },
  // Our sources import each other as `./x.js` (NodeNext); the files on disk are `./x.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Tests import describe/it/expect from '@jest/globals' explicitly; no globals to lean on by accident.
  injectGlobals: false,
  // Also the hooks' timeout: the network lab builds namespaces in beforeAll.
  testTimeout: 60_000,
  // Network-lab tests create namespaces with fixed per-run prefixes; running files in parallel is fine,
  // but keep a bounded pool on a 2-core machine.
  maxWorkers: 2,
};
