import { basename } from 'node:path';
import { runCli } from '../lib/cli/main.js';

// Installed as `netcheck` and as `kubectl-netcheck`; kubectl runs the latter for `kubectl netcheck …`.
const asKubectlPlugin = basename(process.argv[1] ?? '').startsWith('kubectl-netcheck');

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
  ...(asKubectlPlugin ? { programName: 'kubectl netcheck' } : {}),
});
process.exitCode = code;
