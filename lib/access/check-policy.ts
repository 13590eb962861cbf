import { parseAccessPolicy } from './policy.js';

// Deploy-time check of custom.netcheck.access, run by deploy/serverless/netcheck.cjs (CommonJS,
// loaded by osls) as a child process so the one zod schema judges the policy at deploy and at
// start. Reads {"policy": …, "clusters": […]} on stdin; prints the normalised policy as JSON, or
// the problems one per line on stderr with exit code 1.

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => (input += chunk));
process.stdin.on('end', () => {
  const { policy, clusters } = JSON.parse(input) as { policy: unknown; clusters: string[] };
  const parsed = parseAccessPolicy(policy, clusters);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.problems.join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(JSON.stringify(parsed.policy));
});
