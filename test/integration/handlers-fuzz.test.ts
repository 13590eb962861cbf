import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runFuzz } from '../../lib/testkit/fuzz-requests.js';
import { startHandlerGateway, type HandlerGateway } from '../../lib/testkit/handler-gateway.js';

// Bounded, seeded fuzzing of the three public endpoints through the real handlers behind the
// local API Gateway, queueing into fauxqs: invalid input of every kind gets a 2xx/4xx answer,
// never a 5xx (a 500 here is also what a handler that throws produces), and nothing is queued.
// `npm run bench:fuzz` sends many more and prints the counts.

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const SEED = 20261201;
const REQUESTS = 2_400;

let gw: HandlerGateway;

beforeAll(async () => {
  gw = await startHandlerGateway();
});
afterAll(async () => {
  await gw?.close();
});

describe('handlers under fuzzed invalid input', () => {
  it(`answers ${REQUESTS} seeded invalid requests without a 5xx and queues nothing`, async () => {
    const sendsBefore = gw.sends();
    const tally = await runFuzz({ url: gw.url, seed: SEED, count: REQUESTS, concurrency: 16, secrets: gw });
    expect(tally.serverErrors).toEqual([]);
    expect(tally.requests).toBe(REQUESTS);
    // Every endpoint was reached, and refused input was told so (4xx) as well as answered (2xx).
    expect(Object.keys(tally.byEndpoint).sort()).toEqual(['/alerts', '/slack/commands', '/slack/events']);
    expect(Object.keys(tally.byStatus).some((s) => s.startsWith('4'))).toBe(true);
    expect(Object.keys(tally.byStatus).some((s) => s.startsWith('2'))).toBe(true);
    expect(gw.sends() - sendsBefore).toBe(0);
  }, 120_000);
});
