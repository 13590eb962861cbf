import { runFuzz } from '../lib/testkit/fuzz-requests.js';
import { startHandlerGateway } from '../lib/testkit/handler-gateway.js';

// Seeded fuzzing of the public endpoints at a larger count than CI runs (test/integration/
// handlers-fuzz.test.ts): prints requests by endpoint and status, any 5xx, and what was queued.
//   npm run bench:fuzz -- [count=20000] [seed=20261201]

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const seed = Number(process.argv[3] ?? 20261201);
  const gw = await startHandlerGateway();
  try {
    const sendsBefore = gw.sends();
    const started = performance.now();
    const tally = await runFuzz({ url: gw.url, seed, count, concurrency: 16, secrets: gw });
    const seconds = (performance.now() - started) / 1000;
    const queued = gw.sends() - sendsBefore;
    console.log(`fuzz: ${tally.requests} requests (seed ${seed}) in ${seconds.toFixed(1)} s`);
    console.log(`by status: ${JSON.stringify(tally.byStatus)}`);
    for (const [endpoint, statuses] of Object.entries(tally.byEndpoint)) console.log(`  ${endpoint}: ${JSON.stringify(statuses)}`);
    console.log(`5xx: ${tally.serverErrors.length}; queued: ${queued}`);
    for (const error of tally.serverErrors.slice(0, 10)) console.log(`  ${error.status} ${error.kind}: ${error.body}`);
    if (tally.serverErrors.length > 0 || queued > 0) process.exitCode = 1;
  } finally {
    await gw.close();
  }
}

void main();
