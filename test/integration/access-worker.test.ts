import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent, textOf } from '../support/slack-messages.js';
import { createJob } from '../../lib/jobs/schema.js';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { slackSignatureHeaders, slashCommandBody } from '../../lib/slack/signing.js';
import { namespaceObject, serviceObject } from '../../lib/testkit/kube-objects.js';
import { startSlackApiServer, type SlackApiServer, type StoredMessage } from '../../lib/testkit/slack-api-server.js';

// Scope enforced where the data is: the whole local stack (signed Slack requests → handlers →
// SQS → worker → demo cluster → Slack Web API server), with an access policy. The worker re-checks
// every job (user groups through usergroups.users.list with the bot token, namespace labels from
// the cluster) and shows a channel only the namespaces it may see.

const POLICY = {
  default: 'deny',
  contact: '@platform-oncall',
  channels: {
    C0SHOP: { clusters: ['demo'], namespaces: ['shop'], commands: ['svc', 'dns', 'cluster'] },
    C0TEAM: { clusters: ['demo'], namespaces: [{ selector: { matchLabels: { team: 'shop' } } }], commands: ['*'] },
    C0PLAT: { clusters: ['*'], namespaces: ['*'], commands: ['*'] },
    C0INC: { clusters: ['demo'], namespaces: ['shop', 'hr-private'], commands: [] },
  },
  users: { U0ALICE: { clusters: ['*'], namespaces: ['*'], commands: ['*'] } },
  groups: { S0SRE: { clusters: ['demo'], namespaces: ['*'], commands: ['*'] } },
  everyone: { clusters: ['demo'], namespaces: ['shop'], commands: ['svc', 'dns', 'cluster'] },
  newIncidentChannels: { clusters: ['demo'], namespaces: ['shop'], commands: [] },
};

let slack: SlackApiServer;
let stack: LocalStack;

beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: false, usergroups: { S0SRE: ['U0CAROL'] } });
  stack = await startLocalStack({
    port: 0,
    env: {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      SLACK_SIGNING_SECRET: 'access-worker-signing-secret-0123456789',
      NETCHECK_ACCESS_POLICY: JSON.stringify(POLICY),
      NETCHECK_INCIDENT_CHANNEL: 'C0INC',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    write: () => undefined,
  });
  // A tenant the shop team must not learn about: same service name as a typo in shop, and a
  // broken service a cluster sweep would list.
  stack.demo!.api.upsert(namespaceObject('hr-private', { team: 'hr' }));
  stack.demo!.api.upsert(serviceObject({ namespace: 'hr-private', name: 'payroll', selector: { app: 'payroll' }, ports: [{ port: 80, targetPort: 8080 }] }));
  stack.demo!.api.upsert(serviceObject({ namespace: 'hr-private', name: 'salary-db-2026', selector: { app: 'salary-db' }, ports: [{ port: 5432, targetPort: 5432 }] }));
});

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

const threadText = (channel: string, parent: StoredMessage) => slack.thread(channel, parent.ts).map(textOf).join('\n');
let counter = 0;

async function slash(text: string, channelId: string, userId: string): Promise<{ ack: string; responseId: string }> {
  const responseId = `resp-${++counter}`;
  const body = slashCommandBody({ text, channelId, userId, responseUrl: slack.responseUrl(responseId) }).replace(/trigger_id=[^&]*/, `trigger_id=worker-${counter}`);
  const res = await fetch(`${stack.url}/slack/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(stack.signingSecret, body) },
    body,
  });
  return { ack: String(((await res.json()) as { text?: string }).text), responseId };
}

/** Polls a condition (not a fixed sleep): resolves once it holds, fails after `ms`. */
async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The complete thread of the first parent in a channel whose text matches. The worker deletes a
 * job's message only after its whole thread is posted, so a new DeleteMessage marks the end.
 */
async function threadIn(channel: string, match: RegExp, deletesBefore: number): Promise<string> {
  const parent = await slack.waitFor((s) => s.messages(channel).find((m) => isParent(m) && match.test(textOf(m))), 30_000);
  await until(() => stack.sqs.calls('DeleteMessage') > deletesBefore, 30_000);
  return threadText(channel, parent);
}

const deletes = () => stack.sqs.calls('DeleteMessage');

describe('the worker enforces the policy where the data is', () => {
  it('suggests "same name in another namespace" only where the channel may see it', async () => {
    let d = deletes();
    await slash('svc payroll -n shop', 'C0SHOP', 'U0BOB');
    const shop = await threadIn('C0SHOP', /payroll/, d);
    expect(shop).toContain('does not exist');
    expect(shop).not.toContain('hr-private');

    d = deletes();
    await slash('svc payroll -n shop', 'C0PLAT', 'U0ALICE');
    const platform = await threadIn('C0PLAT', /payroll/, d);
    expect(platform).toContain('hr-private');
  });

  it('sweeps only the namespaces the channel may see', async () => {
    let d = deletes();
    await slash('cluster', 'C0SHOP', 'U0BOB');
    const shop = await threadIn('C0SHOP', /summary|sweep|services/i, d);
    expect(shop).toMatch(/shop\/payments/);
    expect(shop).not.toMatch(/hr-private|salary-db-2026/);

    d = deletes();
    await slash('cluster', 'C0PLAT', 'U0ALICE');
    const platform = await threadIn('C0PLAT', /salary-db-2026/, d);
    expect(platform).toMatch(/hr-private\/salary-db-2026/);
  });

  it('scopes a daily summary to the channel it is posted to', async () => {
    const d = deletes();
    await stack.invokeSchedule({ cluster: stack.cluster, channel: 'C0SHOP', time: '2026-12-01T07:00:00Z' });
    const summary = await threadIn('C0SHOP', /Daily network summary/, d);
    expect(summary).toMatch(/shop\/payments/);
    expect(summary).not.toMatch(/hr-private|salary-db-2026/);
  });

  it('scopes the baseline of a new incident channel with newIncidentChannels', async () => {
    const body = JSON.stringify({
      token: 'deprecated',
      team_id: 'T0LOCAL',
      api_app_id: 'A0LOCAL',
      type: 'event_callback',
      event_id: 'Ev0ACCESS1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'channel_created', channel: { id: 'C0INC42', name: 'inc-42-payroll', created: Math.floor(Date.now() / 1000), creator: 'U0ALICE' } },
    });
    const d = deletes();
    const res = await fetch(`${stack.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...slackSignatureHeaders(stack.signingSecret, body) },
      body,
    });
    expect(res.status).toBe(200);
    const baseline = await threadIn('C0INC42', /baseline/i, d);
    expect(baseline).toMatch(/shop\/payments/);
    expect(baseline).not.toMatch(/hr-private|salary-db-2026/);
  });

  it('refuses a job injected on the queue outside the policy, posting nothing in the channel', async () => {
    const responseId = 'injected';
    const job = createJob({
      trigger: 'slash',
      target: { kind: 'svc', name: 'vault', namespace: 'kube-system' },
      cluster: stack.cluster,
      requester: { id: 'U0BOB', source: 'slack' },
      reply: { channel: 'C0SHOP', responseUrl: slack.responseUrl(responseId) },
    });
    const before = slack.messages('C0SHOP').length;
    const d = deletes();
    await new JobQueue(stack.sqs.client, stack.queueUrl).send(job, { deduplicationId: `injected-${job.id}` });
    const answer = await slack.waitFor((s) => s.responses(responseId)[0], 20_000);
    expect(String(answer.body.text)).toContain('channel C0SHOP is not granted namespace kube-system');
    await until(() => deletes() > d, 20_000);
    expect(slack.messages('C0SHOP').filter((m) => /vault/.test(textOf(m)))).toEqual([]);
    expect(slack.messages('C0SHOP').length).toBe(before);
  });

  it('resolves user groups with the bot token: the door queues, the worker decides', async () => {
    let d = deletes();
    const carol = await slash('node node-1', 'C0PLAT', 'U0CAROL');
    expect(carol.ack).toMatch(/Checking node node-1/);
    const thread = await threadIn('C0PLAT', /node-1/, d);
    expect(thread).toMatch(/node-1/);

    const parentsBefore = slack.messages('C0PLAT').filter(isParent).length;
    d = deletes();
    const bob = await slash('node node-2', 'C0PLAT', 'U0BOB');
    expect(bob.ack).toMatch(/Checking node node-2/);
    const refusal = await slack.waitFor((s) => s.responses(bob.responseId)[0], 20_000);
    expect(String(refusal.body.text)).toContain('user U0BOB is not granted the node command');
    await until(() => deletes() > d, 20_000);
    expect(slack.messages('C0PLAT').filter(isParent).length).toBe(parentsBefore);
    expect(slack.calls.filter((c) => c.method === 'usergroups.users.list').length).toBe(1);
  });

  it('judges namespace label selectors with the labels the cluster has', async () => {
    let d = deletes();
    const allowed = await slash('svc checkout -n shop', 'C0TEAM', 'U0ALICE');
    expect(allowed.ack).toMatch(/Checking/);
    await threadIn('C0TEAM', /checkout/, d);
    d = deletes();

    const refused = await slash('svc payroll -n hr-private', 'C0TEAM', 'U0ALICE');
    expect(refused.ack).toMatch(/Checking/);
    const answer = await slack.waitFor((s) => s.responses(refused.responseId)[0], 20_000);
    expect(String(answer.body.text)).toContain('channel C0TEAM is not granted namespace hr-private');
    await until(() => deletes() > d, 20_000);
  });
});

describe('Alertmanager reports go only to channels whose scope covers the target', () => {
  const alert = (namespace: string, service: string, channel: string) => ({
    version: '4',
    groupKey: `{}:{alertname="Down",service="${service}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'netcheck',
    groupLabels: { alertname: 'Down' },
    commonLabels: { alertname: 'Down', service, namespace, slack_channel: channel },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Down', service, namespace, slack_channel: channel },
        annotations: {},
        startsAt: '2026-12-01T07:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example/graph',
        fingerprint: `fp-${namespace}-${service}`,
      },
    ],
  });
  const post = async (body: unknown) => {
    const res = await fetch(`${stack.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.alertmanagerToken}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { queued: number; jobs: unknown[]; notes: string[] } };
  };

  it('posts to the routed channel when it covers the target', async () => {
    const d = deletes();
    const { status, json } = await post(alert('shop', 'inventory', 'C0SHOP'));
    expect([status, json.queued]).toEqual([200, 1]);
    await threadIn('C0SHOP', /inventory/, d);
  });

  it('falls back to the incident channel when the routed channel may not see the target', async () => {
    const d = deletes();
    const { json } = await post(alert('hr-private', 'salary-db-2026', 'C0SHOP'));
    expect(json.queued).toBe(1);
    await threadIn('C0INC', /salary-db-2026/, d);
    expect(slack.messages('C0SHOP').filter((m) => /salary-db-2026/.test(textOf(m)))).toEqual([]);
  });

  it('queues nothing when no channel may see the target, and says so', async () => {
    const before = stack.sqs.calls('SendMessage');
    const { status, json } = await post(alert('kube-system', 'kube-dns', 'C0SHOP'));
    expect([status, json.queued]).toEqual([200, 0]);
    expect(json.notes.join('\n')).toContain('not queued: no channel among C0SHOP, C0INC may see namespace kube-system');
    expect(stack.sqs.calls('SendMessage')).toBe(before);
  });
});
