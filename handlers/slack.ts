import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadHandlerConfig, type HandlerConfig } from '../lib/config.js';
import { createSqsClient, JobQueue } from '../lib/queue/sqs.js';
import { resolveSecret } from '../lib/secrets.js';
import { createSlackApp } from '../lib/slack/app.js';
import { guardSlackRequest } from '../lib/slack/request-guard.js';

// Thin Lambda entry point for everything Slack sends to POST /slack/events: slash commands,
// interactivity (Re-run button) and Events API callbacks. Parse → authorise → enqueue → ack.

type SlackHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export async function createSlackHandler(config: HandlerConfig, signingSecret: string): Promise<SlackHandler> {
  const sqs = createSqsClient({ endpoint: config.sqsEndpoint, region: config.region });
  const queues = new Map(Object.entries(config.routing.queues).map(([cluster, url]) => [cluster, new JobQueue(sqs, url)]));
  const log = {
    info: (message: string, extra?: object) => console.log(JSON.stringify({ level: 'INFO', message, ...extra })),
    error: (message: string, extra?: object) => console.error(JSON.stringify({ level: 'ERROR', message, ...extra })),
  };
  const { receiver } = createSlackApp({
    signingSecret,
    routing: config.routing,
    queueFor: (cluster) => {
      const queue = queues.get(cluster);
      if (!queue) throw new Error(`no queue configured for cluster ${cluster}`);
      return queue;
    },
    incidentPrefixes: config.incidentPrefixes,
    log,
  });
  const boltHandler = await receiver.start();
  return async (event, context) => {
    const guarded = guardSlackRequest(event);
    if (!guarded.ok) return guarded.response;
    return (await boltHandler(guarded.event as never, context)) as APIGatewayProxyStructuredResultV2;
  };
}

let ready: Promise<SlackHandler> | undefined;

export const handler: SlackHandler = async (event, context) => {
  ready ??= (async () => {
    const config = loadHandlerConfig();
    return createSlackHandler(config, await resolveSecret('SLACK_SIGNING_SECRET', config.env));
  })().catch((error: unknown) => {
    ready = undefined; // a bad config or an SSM outage must not poison the warm container
    throw error;
  });
  return (await ready)(event, context);
};
