import { ACTION_IDS } from '../lib/slack/actions.js';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaEntry } from '../lib/build-once.js';
import { loadHandlerConfig, type HandlerConfig } from '../lib/config.js';
import { createLogger } from '../lib/observability/logger.js';
import { createQueueRouter, createSqsClient } from '../lib/queue/sqs.js';
import { resolveSecret } from '../lib/secrets.js';
import { createSlackApp } from '../lib/slack/app.js';
import { guardSlackRequest, unhandledSlackRequest } from '../lib/slack/request-guard.js';
import { createMemoryThrottle } from '../lib/slack/throttle.js';

// Thin Lambda entry point for POST /slack/events: interactivity (the buttons: lib/slack/actions.ts) and Events API
// callbacks (channel_created, url_verification), through Bolt. It answers /netcheck too, for a
// Slack app that points everything at one URL; the manifest sends slash commands to the lean
// handlers/slack-commands.ts instead. Parse → authorise → enqueue → ack.

/**
 * What lib/slack/app.ts listens to; anything else is acknowledged here without Bolt. Action ids
 * come from lib/slack/actions.ts (zod and the model only, so the renderer stays out of this
 * Lambda's bundle); the Silence buttons add their duration (`netcheck_silence_1h`).
 */
const HANDLED = { events: ['channel_created'], actions: Object.values(ACTION_IDS), commands: ['/netcheck'] };

type SlackHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export async function createSlackHandler(config: HandlerConfig, signingSecret: string): Promise<SlackHandler> {
  const queueFor = createQueueRouter(createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }), config.routing.queues);
  const log = createLogger('slack');
  const { receiver } = createSlackApp({
    signingSecret,
    routing: config.routing,
    access: config.access,
    queueFor,
    incidentPrefixes: config.incidentPrefixes,
    log,
    throttle: createMemoryThrottle(config.throttle),
  });
  const boltHandler = await receiver.start();
  return async (event, context) => {
    const guarded = guardSlackRequest(event, signingSecret);
    if (!guarded.ok) return guarded.response;
    const ignored = unhandledSlackRequest(guarded.event, HANDLED);
    if (ignored) {
      log.info('slack request ignored: no listener takes it', { reason: ignored.reason });
      if (!ignored.command) return { statusCode: 200, body: '' };
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', text: ':warning: netcheck only answers /netcheck commands.' }),
      };
    }
    return (await boltHandler(guarded.event as never, context)) as APIGatewayProxyStructuredResultV2;
  };
}

export const handler: SlackHandler = lambdaEntry(
  async () => {
    const config = loadHandlerConfig();
    return createSlackHandler(config, await resolveSecret('SLACK_SIGNING_SECRET', config.env));
  },
  () => ({ statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'server misconfigured' }) }),
);
