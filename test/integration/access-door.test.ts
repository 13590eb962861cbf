import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { createSlackCommandsHandler } from '../../handlers/slack-commands.js';
import { createSlackHandler } from '../../handlers/slack.js';
import { loadHandlerConfig } from '../../lib/config.js';
import { startGateway, type Gateway, type LambdaHttpHandler } from '../../lib/local/gateway.js';
import { slackSignatureHeaders, slashCommandBody } from '../../lib/slack/signing.js';
import { rerunValue } from '../../lib/slack/rerun.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

// The door: signed Slack requests through the real handlers behind a local API Gateway, onto SQS
// (fauxqs) queues per cluster. Refused requests get an ephemeral answer and queue nothing.

const SECRET = 'access-door-signing-secret-0123456789';
const POLICY = {
  default: 'deny',
  contact: '#platform-help',
  channels: {
    C0SHOP: { clusters: ['staging'], namespaces: ['shop'], commands: ['svc', 'dns'] }, // public, one team
    G0PLAT: { clusters: ['*'], namespaces: ['*'], commands: ['*'] }, // private, the platform team
    C0SHARED: { clusters: ['prod'], namespaces: ['*'], commands: [] }, // shared incident channel: reports only
    // D0DM (a direct message) has no rule: the default denies.
  },
  users: { U0ALICE: { clusters: ['*'], namespaces: ['*'], commands: ['*'] } },
  groups: { S0SRE: { clusters: ['prod'], namespaces: ['*'], commands: ['*'] } },
  everyone: { clusters: ['staging', 'prod'], namespaces: ['shop'], commands: ['svc', 'dns'] },
};

const USERS = ['U0ALICE', 'U0BOB', 'U0CAROL'] as const;
const CHANNELS = ['C0SHOP', 'G0PLAT', 'D0DM', 'C0SHARED'] as const;
const COMMANDS = {
  svc: 'svc payments -n shop --cluster staging',
  dns: 'dns -n shop --cluster staging',
  node: 'node node-1 --cluster prod',
  cluster: 'cluster --cluster prod',
} as const;

// Every cell the policy lets through at the door, written out by hand. Node and cluster checks in
// G0PLAT by Bob and Carol hang on membership of S0SRE, which only the worker (holding the bot
// token) can read: the door queues them and the worker decides (access-worker.test.ts).
const QUEUED = new Set([
  'C0SHOP U0ALICE svc',
  'C0SHOP U0ALICE dns',
  'C0SHOP U0BOB svc',
  'C0SHOP U0BOB dns',
  'C0SHOP U0CAROL svc',
  'C0SHOP U0CAROL dns',
  'G0PLAT U0ALICE svc',
  'G0PLAT U0ALICE dns',
  'G0PLAT U0ALICE node',
  'G0PLAT U0ALICE cluster',
  'G0PLAT U0BOB svc',
  'G0PLAT U0BOB dns',
  'G0PLAT U0BOB node',
  'G0PLAT U0BOB cluster',
  'G0PLAT U0CAROL svc',
  'G0PLAT U0CAROL dns',
  'G0PLAT U0CAROL node',
  'G0PLAT U0CAROL cluster',
]);

let sqs: SqsEmulator;
let slack: SlackApiServer;
let gateway: Gateway;
const queues: Record<string, string> = {};

beforeAll(async () => {
  sqs = await startSqsEmulator();
  slack = await startSlackApiServer({ rateLimit: false });
  for (const cluster of ['prod', 'staging']) queues[cluster] = (await sqs.createQueue(`door-${cluster}.fifo`)).queueUrl;
  const config = loadHandlerConfig({
    NETCHECK_QUEUES: JSON.stringify(queues),
    NETCHECK_DEFAULT_CLUSTER: 'prod',
    NETCHECK_CHANNEL_CLUSTERS: JSON.stringify({ C0SHOP: 'staging' }),
    NETCHECK_ACCESS_POLICY: JSON.stringify(POLICY),
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  gateway = await startGateway(
    {
      '/slack/commands': createSlackCommandsHandler(config, SECRET) as LambdaHttpHandler,
      '/slack/events': (await createSlackHandler(config, SECRET)) as LambdaHttpHandler,
    },
    { port: 0 },
  );
});

afterAll(async () => {
  await gateway?.close();
  await slack?.close();
  await sqs?.close();
});

async function post(path: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(SECRET, body) },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

let trigger = 0;
const slash = (text: string, channelId: string, userId: string) =>
  post('/slack/commands', slashCommandBody({ text, channelId, userId }).replace(/trigger_id=[^&]*/, `trigger_id=door-${++trigger}`));

function click(channel: string, user: string, value: string) {
  const id = `click-${++trigger}`;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0LOCAL', domain: 'local' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0LOCAL' },
    api_app_id: 'A0LOCAL',
    token: 'deprecated',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: channel, is_ephemeral: false },
    trigger_id: id,
    channel: { id: channel, name: 'x' },
    message: { type: 'message', ts: '1700000000.000100', text: 'parent' },
    response_url: slack.responseUrl(id),
    actions: [{ type: 'button', action_id: 'netcheck_rerun', block_id: 'rerun', value, action_ts: '1.2', text: { type: 'plain_text', text: 'Re-run' } }],
  };
  return { id, done: post('/slack/events', new URLSearchParams({ payload: JSON.stringify(payload) }).toString()) };
}

describe('the access policy at the door', () => {
  it('queues exactly the users × channel kinds × commands the policy allows, and refuses the rest with what the channel may ask', async () => {
    const outcome: string[] = [];
    for (const channel of CHANNELS) {
      for (const user of USERS) {
        for (const [command, text] of Object.entries(COMMANDS)) {
          const before = sqs.calls('SendMessage');
          const { status, json } = await slash(text, channel, user);
          expect(status).toBe(200);
          const queued = sqs.calls('SendMessage') - before;
          const cell = `${channel} ${user} ${command}`;
          if (QUEUED.has(cell)) {
            withContext(cell, () => expect(queued).toBe(1));
            withContext(cell, () => expect(json.text).toMatch(/^:mag: Checking/));
            outcome.push(cell);
          } else {
            withContext(cell, () => expect(queued).toBe(0));
            expect(json.response_type).toBe('ephemeral');
            withContext(cell, () =>
              expect(json.text).toMatch(/^:no_entry: netcheck will not run .* Nothing was queued\.\nThis channel (may ask|has no rule).*\nAccess is granted by #platform-help\.$/s),
            );
          }
        }
      }
    }
    expect(outcome.sort()).toEqual([...QUEUED].sort());
  });

  it('refuses svc vault -n kube-system --cluster prod from a channel bound to staging/shop, for anyone', async () => {
    for (const user of USERS) {
      const before = sqs.calls('SendMessage');
      const { json } = await slash('svc vault -n kube-system --cluster prod', 'C0SHOP', user);
      expect(sqs.calls('SendMessage')).toBe(before);
      expect(json.text).toContain('channel C0SHOP is not granted cluster prod');
      expect(json.text).toContain('This channel may ask: svc, dns on staging in shop.');
    }
    const { json } = await slash('svc vault -n kube-system', 'C0SHOP', 'U0ALICE');
    expect(json.text).toContain('channel C0SHOP is not granted namespace kube-system');
  });

  it('refuses a --from client in a namespace the channel may not read', async () => {
    const before = sqs.calls('SendMessage');
    const { json } = await slash('svc payments -n shop --from hr-private/deploy/payroll', 'C0SHOP', 'U0BOB');
    expect(sqs.calls('SendMessage')).toBe(before);
    expect(json.text).toContain('not granted namespace hr-private');
  });

  it('never echoes a mention or a broadcast unescaped in an ephemeral error', async () => {
    for (const text of ['<!channel>', 'svc <!here> -n shop', 'svc x -n <@U0BOB>', 'node <!subteam^S0SRE>']) {
      const { json } = await slash(text, 'C0SHOP', 'U0ALICE');
      expect(String(json.text)).not.toMatch(/<[!@]/);
      expect(String(json.text)).toContain('&lt;');
    }
  });

  it('re-checks the clicker of a Re-run button, and refuses a forged button value', async () => {
    const allowed = rerunValue({ target: { kind: 'svc', name: 'payments', namespace: 'shop' }, cluster: 'staging' });
    let before = sqs.calls('SendMessage');
    const ok = click('C0SHOP', 'U0BOB', allowed);
    expect((await ok.done).status).toBe(200);
    expect(sqs.calls('SendMessage')).toBe(before + 1);

    // Forged: the value was edited to another cluster and namespace than the channel's.
    const forged = rerunValue({ target: { kind: 'svc', name: 'vault', namespace: 'kube-system' }, cluster: 'prod' });
    before = sqs.calls('SendMessage');
    const refused = click('C0SHOP', 'U0ALICE', forged);
    expect((await refused.done).status).toBe(200);
    const answer = await slack.waitFor((s) => s.responses(refused.id)[0], 5_000);
    expect(sqs.calls('SendMessage')).toBe(before);
    expect(String(answer.body.text)).toContain('channel C0SHOP is not granted cluster prod');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });

    // A genuine button from Alice's check of hr-private on staging, clicked by Bob: neither
    // everyone's grant (shop) nor any group's (S0SRE: prod only) covers it, whatever his groups.
    const aliceCheck = rerunValue({ target: { kind: 'svc', name: 'payroll', namespace: 'hr-private' }, cluster: 'staging' });
    before = sqs.calls('SendMessage');
    const bob = click('G0PLAT', 'U0BOB', aliceCheck);
    await bob.done;
    const bobAnswer = await slack.waitFor((s) => s.responses(bob.id)[0], 5_000);
    expect(sqs.calls('SendMessage')).toBe(before);
    expect(String(bobAnswer.body.text)).toContain('user U0BOB is not granted');
    const alice = click('G0PLAT', 'U0ALICE', aliceCheck);
    await alice.done;
    expect(sqs.calls('SendMessage')).toBe(before + 1);
  });
});
