import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
// Bolt's own request verifier, imported by file: the package index would pull all of Bolt (App,
// Express, Socket Mode: ~2.7 MB bundled) into the slash-command hot path. Pinned with Bolt 5.1.0.
import { lambdaEntry } from '../lib/build-once.js';
import { loadHandlerConfig, type HandlerConfig } from '../lib/config.js';
import { createLogger } from '../lib/observability/logger.js';
import { createQueueRouter, createSqsClient } from '../lib/queue/sqs.js';
import { resolveSecret } from '../lib/secrets.js';
import { handleSlashCommand } from '../lib/slack/commands.js';
import { guardSlackRequest } from '../lib/slack/request-guard.js';
import { createMemoryThrottle } from '../lib/slack/throttle.js';

// POST /slack/commands — the /netcheck slash command on the lean path: verify, parse, enqueue,
// ack. Slack allows 3 s including a cold start, so this handler loads only what that takes.
// Interactivity and events go to POST /slack/events (handlers/slack.ts, Bolt).

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export function createSlackCommandsHandler(config: HandlerConfig, signingSecret: string): Handler {
  const queueFor = createQueueRouter(createSqsClient({ endpoint: config.sqsEndpoint, region: config.region }), config.routing.queues);
  const log = createLogger('slack-commands');
  // Counted per handler instance (see README, Triggers): it lives as long as the warm Lambda.
  const throttle = createMemoryThrottle(config.throttle);
  return async (event) => {
    const guarded = guardSlackRequest(event, signingSecret);
    if (!guarded.ok) return guarded.response;
    const { headers, body = '' } = guarded.event;
    if (headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(400, { error: 'slash commands arrive form-encoded (application/x-www-form-urlencoded)' });
    }
    const form = new URLSearchParams(body);
    // Slack checks the endpoint's certificate with an ssl_check post that needs only a 200.
    if (form.get('ssl_check')) return { statusCode: 200, body: '' };
    const channelId = form.get('channel_id');
    const userId = form.get('user_id');
    if (form.get('command') !== '/netcheck' || !channelId || !userId) {
      return json(200, { response_type: 'ephemeral', text: ':warning: netcheck only answers /netcheck commands.' });
    }
    const reply = await handleSlashCommand(
      {
        text: form.get('text') ?? '',
        channel_id: channelId,
        user_id: userId,
        user_name: form.get('user_name') ?? undefined,
        response_url: form.get('response_url') ?? undefined,
        trigger_id: form.get('trigger_id') ?? undefined,
      },
      { routing: config.routing, access: config.access, queueFor, log, throttle },
    );
    return json(200, reply);
  };
}

export const handler: Handler = lambdaEntry(
  async () => {
    const config = loadHandlerConfig();
    return createSlackCommandsHandler(config, await resolveSecret('SLACK_SIGNING_SECRET', config.env));
  },
  () => json(500, { error: 'server misconfigured' }),
);
