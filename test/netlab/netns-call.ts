// Runs one of our gatherer functions inside whatever network namespace this process was started
// in (`ip netns exec <ns> node --import tsx test/netlab/netns-call.ts`), so probes and agent
// requests really leave from a pod or node namespace. Input on stdin, result as JSON on stdout.
import { readNodeFacts } from '../../lib/agent/node-facts.js';
import { fetchNodeAgents } from '../../lib/gather/agents.js';
import { runProbes } from '../../lib/gather/probes.js';

const calls = {
  readNodeFacts: (args: unknown[]) => readNodeFacts(...(args as Parameters<typeof readNodeFacts>)),
  runProbes: (args: unknown[]) => runProbes(...(args as Parameters<typeof runProbes>)),
  fetchNodeAgents: (args: unknown[]) => fetchNodeAgents(...(args as Parameters<typeof fetchNodeAgents>)),
};
export type NetnsCall = keyof typeof calls;

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { call: string; args: unknown[] };
  if (!(request.call in calls)) throw new Error(`unknown call "${request.call}"; expected one of ${Object.keys(calls).join(', ')}`);
  const result = await calls[request.call as NetnsCall](request.args);
  process.stdout.write(JSON.stringify(result));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
