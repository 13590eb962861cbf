import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent } from '../support/slack-messages.js';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { createJob, type Job } from '../../lib/jobs/schema.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { JobQueue } from '../../lib/queue/sqs.js';
import { parseState } from '../../lib/state/state.js';
import { STATE_KEY } from '../../lib/state/store.js';
import { startSlackApiServer, type SlackApiCall, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { startSqsEmulator, type SqsEmulator } from '../../lib/testkit/sqs-emulator.js';

// The worker as a real child process (bin/worker.ts under node itself, so SIGKILL hits the worker
// and nothing else), its queue in fauxqs, its state in a ConfigMap of the demo cluster, Slack our
// server with its rate limits on (so a thread takes seconds and a kill lands inside it). Killed
// after the parent landed, or between two replies, the redelivered job must leave exactly one
// thread with every reply once, and nothing in the queue.

const REPO = new URL('../..', import.meta.url).pathname;
const STATE = { namespace: 'netcheck', name: 'netcheck-state' };

let sqs: SqsEmulator;
let demo: DemoCluster;
let slack: SlackApiServer;
let queueUrl: string;
const workers = new Set<ChildProcess>();

beforeAll(async () => {
  sqs = await startSqsEmulator();
  demo = await startDemoCluster();
  // Retry-After is whole seconds, so every call after a channel's first waits about a second.
  slack = await startSlackApiServer({ rateLimit: { perSecond: 1, burst: 1 } });
  ({ queueUrl } = await sqs.createQueue('netcheck-demo.fifo', { maxReceiveCount: 5, visibilityTimeoutSeconds: 3 }));
  // The chart creates the state ConfigMap; the in-cluster worker only gets and updates it.
  const kc = loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath });
  await kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
    namespace: STATE.namespace,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: STATE, data: {} },
  });
}, 30_000);

afterAll(async () => {
  for (const child of workers) child.kill('SIGKILL');
  await Promise.all([...workers].map(exited));
  await slack?.close();
  await demo?.close();
  await sqs?.close();
});

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      NETCHECK_QUEUE_URL: queueUrl,
      NETCHECK_CLUSTER: 'demo',
      KUBECONFIG: demo.kubeconfigPath,
      NETCHECK_NAMESPACE: STATE.namespace,
      NETCHECK_STATE_CONFIGMAP: STATE.name,
      NETCHECK_AGENT_TOKEN: demo.agents.token,
      NETCHECK_AGENT_PORT: String(demo.agents.port),
      NETCHECK_PROBE_TIMEOUT_MS: '1000',
      NETCHECK_POLL_WAIT_SECONDS: '1',
      // A killed worker's job comes back after this (its heartbeat stops).
      NETCHECK_VISIBILITY_TIMEOUT_SECONDS: '3',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.url,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const slashJob = (channel: string): Job =>
  createJob({
    trigger: 'slash',
    target: { kind: 'svc', name: 'payments', namespace: 'shop' },
    cluster: 'demo',
    requester: { id: 'U0ALICE', source: 'slack' },
    reply: { channel },
  });

const repliesIn = (channel: string) => slack.messages(channel).filter((m) => !isParent(m));

async function answered(jobId: string, timeoutMs: number): Promise<void> {
  const api = loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath }).makeApiClient(CoreV1Api);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const configMap = await api.readNamespacedConfigMap(STATE);
    if (parseState(configMap.data?.[STATE_KEY]).state.seen.includes(jobId)) return;
    if (Date.now() > until) throw new Error(`job ${jobId} not answered within ${timeoutMs} ms`);
    // Polling the store until the worker records the answer (bounded above), not a timed guess.
    await delay(200);
  }
}

async function queueDepth(): Promise<number> {
  const out = await sqs.client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Kills `child` with SIGKILL from inside the Slack server's request handling once `when` holds. */
function killWhen(child: ChildProcess, when: (calls: SlackApiCall[]) => boolean): Promise<void> {
  return slack
    .waitFor((s) => {
      if (!when(s.calls)) return false;
      child.kill('SIGKILL');
      return true;
    }, 60_000)
    .then(() => exited(child));
}

let referenceReplies = 0;

describe('worker killed mid-answer (SIGKILL, real child process)', () => {
  it('answers a job in full when nothing goes wrong (the reference thread)', async () => {
    const worker = startWorker();
    const job = slashJob('C0REFKILL');
    await new JobQueue(sqs.client, queueUrl).send(job);
    await answered(job.id, 60_000);
    referenceReplies = repliesIn('C0REFKILL').length;
    expect(referenceReplies).toBeGreaterThanOrEqual(2);
    expect(slack.messages('C0REFKILL').filter(isParent)).toHaveLength(1);
    worker.kill('SIGTERM');
    await exited(worker);
  }, 90_000);

  it('killed right after the parent landed: the redelivery edits that parent and posts the thread once', async () => {
    const job = slashJob('C0KILLPARENT');
    const first = startWorker();
    // The first call after the parent is an edit, which can only come once the parent's ts is recorded.
    const killed = killWhen(first, (calls) => calls.some((c) => c.args.channel === 'C0KILLPARENT' && c.method === 'chat.update'));
    await new JobQueue(sqs.client, queueUrl).send(job);
    await killed;
    expect(first.signalCode).toBe('SIGKILL');
    expect(slack.messages('C0KILLPARENT').filter(isParent)).toHaveLength(1);
    expect(repliesIn('C0KILLPARENT')).toHaveLength(0);

    const second = startWorker();
    await answered(job.id, 60_000);
    second.kill('SIGTERM');
    await exited(second);
    const parents = slack.messages('C0KILLPARENT').filter(isParent);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.text).toMatch(/app=payment/);
    const replies = repliesIn('C0KILLPARENT');
    expect(replies).toHaveLength(referenceReplies);
    expect(replies.every((m) => m.thread_ts === parents[0]!.ts)).toBe(true);
    expect(new Set(replies.map((m) => m.text)).size).toBe(replies.length);
    expect(await queueDepth()).toBe(0);
  }, 120_000);

  it('killed between two replies: the redelivery posts only the replies that had not landed', async () => {
    const job = slashJob('C0KILLMID');
    const first = startWorker();
    // A reply turned away by the rate limit has not landed; the one before it is recorded.
    const killed = killWhen(first, (calls) => {
      const replies = calls.filter((c) => c.args.channel === 'C0KILLMID' && c.method === 'chat.postMessage' && c.args.thread_ts);
      return replies.some((c) => c.status === 200) && replies.at(-1)?.status === 429;
    });
    await new JobQueue(sqs.client, queueUrl).send(job);
    await killed;
    expect(first.signalCode).toBe('SIGKILL');
    const landedBefore = repliesIn('C0KILLMID').length;
    expect(landedBefore).toBeGreaterThanOrEqual(1);
    expect(landedBefore).toBeLessThan(referenceReplies);

    const second = startWorker();
    await answered(job.id, 60_000);
    second.kill('SIGTERM');
    await exited(second);
    expect(slack.messages('C0KILLMID').filter(isParent)).toHaveLength(1);
    const replies = repliesIn('C0KILLMID');
    expect(replies).toHaveLength(referenceReplies);
    expect(new Set(replies.map((m) => m.text)).size).toBe(replies.length);
    expect(await queueDepth()).toBe(0);
  }, 120_000);
});
