import { randomBytes } from 'node:crypto';
import { createAlertsHandler } from '../../handlers/alerts.js';
import { createSlackHandler } from '../../handlers/slack.js';
import { createSlackCommandsHandler } from '../../handlers/slack-commands.js';
import { loadHandlerConfig } from '../config.js';
import { startGateway, type LambdaHttpHandler } from '../local/gateway.js';
import { createQueueRouter } from '../queue/sqs.js';
import { startSqsEmulator, type SqsEmulator } from './sqs-emulator.js';

// The three request handlers as deployed (slash commands, Bolt events and interactivity, the
// Alertmanager webhook) behind the local API Gateway, queueing into the SQS emulator, with no
// worker: for tests and benchmarks about what the handlers answer and what they queue.

export interface HandlerGateway {
  url: string;
  signingSecret: string;
  alertmanagerToken: string;
  queueUrl: string;
  sqs: SqsEmulator;
  /** Jobs sent to SQS so far (single sends and batch entries' calls). */
  sends(): number;
  close(): Promise<void>;
}

export async function startHandlerGateway(env: Record<string, string> = {}): Promise<HandlerGateway> {
  const sqs = await startSqsEmulator();
  try {
    const { queueUrl } = await sqs.createQueue('netcheck-demo.fifo');
    const signingSecret = randomBytes(16).toString('hex');
    const alertmanagerToken = randomBytes(16).toString('hex');
    const config = loadHandlerConfig({
      NETCHECK_QUEUES: JSON.stringify({ demo: queueUrl }),
      NETCHECK_DEFAULT_CLUSTER: 'demo',
      NETCHECK_INCIDENT_CHANNEL: 'C0INCIDENT',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      ...env,
    });
    const gateway = await startGateway(
      {
        '/slack/commands': createSlackCommandsHandler(config, signingSecret),
        '/slack/events': (await createSlackHandler(config, signingSecret)) as LambdaHttpHandler,
        '/alerts': createAlertsHandler({
          config,
          receiverChannels: {},
          queueFor: createQueueRouter(sqs.client, config.routing.queues),
          token: async () => alertmanagerToken,
          logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        }) as LambdaHttpHandler,
      },
      { port: 0 },
    );
    return {
      url: gateway.url,
      signingSecret,
      alertmanagerToken,
      queueUrl,
      sqs,
      sends: () => sqs.calls('SendMessage') + sqs.calls('SendMessageBatch'),
      async close() {
        await gateway.close();
        await sqs.close();
      },
    };
  } catch (error) {
    await sqs.close();
    throw error;
  }
}
