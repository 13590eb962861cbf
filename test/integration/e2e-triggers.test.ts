import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent, isAnswered, textOf } from '../support/slack-messages.js';
import { alertDeduplicationId } from '../../lib/jobs/alerts.js';
import { createJob } from '../../lib/jobs/schema.js';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { slackSignatureHeaders } from '../../lib/slack/signing.js';
import type { KubeObject } from '../../lib/testkit/kube-api-server.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';

// The two triggers nobody types: Alertmanager notifications (storms collapse into one thread,
// follow-ups and the resolution reply inside it) and new incident channels; plus the daily
// summary across two runs and a worker restart. Real SQS emulator, Slack server, API server.

let slack: SlackApiServer;
let stack: LocalStack;
const INCIDENTS = 'C0INCIDENT';
const SUMMARY = 'C0SUMMARY';

beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: false });
  stack = await startLocalStack({
    port: 0,
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, NETCHECK_INCIDENT_CHANNEL: INCIDENTS, NETCHECK_SUMMARY_CHANNEL: SUMMARY },
    write: () => undefined,
  });
});

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

const parents = (channel: string) => slack.messages(channel).filter(isParent);
const replies = (channel: string, ts: string) => slack.thread(channel, ts).slice(1);

const GROUP_KEY = '{}/{severity="critical"}:{alertname="PaymentsErrorRate"}';

function notification(status: 'firing' | 'resolved', alertCount: number) {
  const alerts = Array.from({ length: alertCount }, (_, i) => ({
    status,
    labels: { alertname: 'PaymentsErrorRate', severity: 'critical', service: 'payments', namespace: 'shop', pod: `payments-${i}` },
    annotations: { summary: 'payments 5xx above 5%' },
    startsAt: '2026-11-26T07:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-26T07:30:00Z',
    generatorURL: 'http://prometheus.example/graph',
    fingerprint: `fp${i}`,
  }));
  return {
    version: '4',
    groupKey: GROUP_KEY,
    truncatedAlerts: 0,
    status,
    receiver: 'netcheck',
    groupLabels: { alertname: 'PaymentsErrorRate' },
    commonLabels: { alertname: 'PaymentsErrorRate', severity: 'critical', service: 'payments', namespace: 'shop' },
    commonAnnotations: { summary: 'payments 5xx above 5%' },
    externalURL: 'http://alertmanager.example',
    alerts,
  };
}

async function postAlert(body: unknown, token = stack.alertmanagerToken): Promise<number> {
  const res = await fetch(`${stack.url}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

describe('Alertmanager → incident thread', () => {
  it('turns a storm of 200 alerts into one job and one thread; follow-ups and the resolution reply go into it', async () => {
    const sendsBefore = stack.sqs.calls('SendMessageBatch');
    // Alertmanager re-sends the growing group: 20 notifications, 10 more alerts each, 200 in all.
    for (let i = 1; i <= 20; i++) expect(await postAlert(notification('firing', i * 10))).toBe(200);
    expect(stack.sqs.calls('SendMessageBatch') - sendsBefore).toBe(20); // the handler sent each; SQS FIFO dedup keeps one

    const parent = await slack.waitFor((s) => s.messages(INCIDENTS).find(isAnswered), 20_000);
    expect(textOf(parent)).toContain('app=payment');

    // After SQS's 5-minute deduplication window the same group queues again; we enqueue what the
    // handler would then send rather than wait five minutes.
    const target = { kind: 'svc' as const, name: 'payments', namespace: 'shop' };
    const later = createJob({
      trigger: 'alert',
      target,
      cluster: stack.cluster,
      requester: { source: 'alertmanager' },
      reply: { channel: INCIDENTS },
      alert: { groupKey: GROUP_KEY, status: 'firing', alertnames: ['PaymentsErrorRate'], count: 230 },
    });
    await new JobQueue(stack.sqs.client, stack.queueUrl).send(later, {
      deduplicationId: `${alertDeduplicationId(stack.cluster, GROUP_KEY, target, 'firing')}-later`,
    });
    // The same problem again: one line saying since when and which notification, not the thread again.
    const still = await slack.waitFor(() => replies(INCIDENTS, parent.ts).find((m) => /still failing since .*2nd notification/.test(m.text)), 20_000);
    expect(textOf(still)).toContain('230 alerts');
    expect(replies(INCIDENTS, parent.ts).filter((m) => /^FAIL: .*\(svc shop\/payments, cluster /.test(m.text))).toHaveLength(0);

    expect(await postAlert(notification('resolved', 200))).toBe(200);
    const closing = await slack.waitFor(() => replies(INCIDENTS, parent.ts).find((m) => /resolved/i.test(m.text)), 20_000);
    expect(textOf(closing)).toMatch(/re-check/i);
    expect(parents(INCIDENTS)).toHaveLength(1);
  });

  it('answers bad credentials with 401 and a malformed body with 400, queueing nothing', async () => {
    const before = stack.sqs.calls('SendMessage');
    expect(await postAlert(notification('firing', 1), 'wrong-token')).toBe(401);
    const res = await fetch(`${stack.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.alertmanagerToken}` },
      body: '{"version":"4","alerts":',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/JSON/);
    expect(stack.sqs.calls('SendMessage')).toBe(before);
  });
});

describe('new incident channel → network baseline', () => {
  async function channelCreated(eventId: string, name: string, id: string, retry?: number): Promise<number> {
    const body = JSON.stringify({
      token: 'deprecated',
      team_id: 'T0LOCAL',
      api_app_id: 'A0LOCAL',
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'channel_created', channel: { id, name, created: Math.floor(Date.now() / 1000), creator: 'U0ALICE' } },
    });
    const res = await fetch(`${stack.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...slackSignatureHeaders(stack.signingSecret, body),
        ...(retry ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } : {}),
      },
      body,
    });
    await res.text();
    return res.status;
  }

  it('joins an inc- channel and posts one baseline even when Slack delivers the event twice', async () => {
    slack.setChannel({ id: 'C0INC42', name: 'inc-42-payments', member: false });
    expect(await channelCreated('Ev0INC42', 'inc-42-payments', 'C0INC42')).toBe(200);
    expect(await channelCreated('Ev0INC42', 'inc-42-payments', 'C0INC42', 1)).toBe(200);
    const baseline = await slack.waitFor((s) => s.messages('C0INC42').find(isAnswered), 30_000);
    expect(textOf(baseline)).toMatch(/baseline/i);
    expect(slack.calls.some((c) => c.method === 'conversations.join' && c.args.channel === 'C0INC42')).toBe(true);
    // A later event proves the retry was not merely still in flight: jobs run in order per group.
    expect(await channelCreated('Ev0INC43', 'incident-43', 'C0INC43')).toBe(200);
    await slack.waitFor((s) => s.messages('C0INC43').find(isAnswered), 30_000);
    expect(parents('C0INC42')).toHaveLength(1);
  });

  it('ignores channels without an incident prefix', async () => {
    const before = stack.sqs.calls('SendMessage');
    expect(await channelCreated('Ev0RANDOM', 'random-chat', 'C0RANDOM')).toBe(200);
    expect(stack.sqs.calls('SendMessage')).toBe(before);
  });
});

describe('daily summary', () => {
  it('names what was fixed and what is new since the last summary, across a worker restart', async () => {
    const api = stack.demo!.api;
    expect(await stack.invokeSchedule({ cluster: stack.cluster, channel: SUMMARY, time: '2026-11-25T08:00:00Z' })).toMatchObject({ channel: SUMMARY });
    const first = await slack.waitFor((s) => s.messages(SUMMARY).find(isAnswered), 30_000);
    // The incident baselines above were sweeps of this cluster too: the summary compares with the
    // last of them, whatever triggered it, and the cluster has not changed since.
    expect(textOf(first)).toMatch(/Changes since [A-Z][a-z]{2} \d{1,2} \d\d:\d\d UTC:\*? none/);

    // Overnight: someone fixes the payments selector, someone else ships orders with a typo.
    const payments = api.get('Service', 'shop', 'payments')!;
    api.upsert({ ...payments, spec: { ...(payments.spec as object), selector: { app: 'payments' } } });
    const pods = api.list('Pod', 'shop').filter((p) => (p.metadata as { labels?: Record<string, string> }).labels?.app === 'payments');
    api.upsert(endpointSliceFor('payments', pods));
    api.upsert({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'orders', namespace: 'shop', labels: { app: 'orders' } },
      spec: { type: 'ClusterIP', clusterIP: '127.0.3.99', selector: { app: 'order' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });

    await stack.restartWorker();
    await stack.invokeSchedule({ cluster: stack.cluster, channel: SUMMARY, time: '2026-11-26T08:00:00Z' });
    const second = await slack.waitFor(() => parents(SUMMARY).find((m) => m.ts !== first.ts && isAnswered(m)), 30_000);
    const text = textOf(second);
    expect(text).toMatch(/Changes since[^"]*new[^"]*selector-matches-no-pods` on \*shop\/orders/);
    expect(text).toMatch(/resolved[^"]*selector-matches-no-pods` on \*shop\/payments/);
    // A problem earlier sweeps already saw (stable identity: code on subject) says since when.
    expect(text).toMatch(/failing since \w{3} \d+ \d\d:\d\d UTC/);
  });
});

function endpointSliceFor(service: string, pods: KubeObject[]): KubeObject {
  type Pod = { metadata: { name: string }; spec: { nodeName: string }; status: { podIP: string } };
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-fixed`, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: (pods as unknown as Pod[]).map((p) => ({
      addresses: [p.status.podIP],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: p.spec.nodeName,
      targetRef: { kind: 'Pod', name: p.metadata.name, namespace: 'shop' },
    })),
  } as KubeObject;
}
