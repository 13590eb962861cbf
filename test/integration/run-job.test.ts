import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { createJob } from '../../lib/jobs/schema.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { createSlackPoster } from '../../lib/post/slack.js';
import { createStateRegistry } from '../../lib/state/registry.js';
import { createConfigMapStateStore, createMemoryStateStore } from '../../lib/state/store.js';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type AddressInfo } from 'node:net';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { runJob, type RunJobDeps } from '../../lib/worker/run-job.js';

// One job through runJob with real parts (demo cluster over HTTP, our Slack server): the paths the
// end-to-end tests do not reach — misrouted jobs and redeliveries of answered jobs.

let demo: DemoCluster;
let slack: SlackApiServer;
let deps: RunJobDeps;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  demo = await startDemoCluster();
  slack = await startSlackApiServer({ rateLimit: false });
  deps = {
    cluster: 'demo',
    engine: {
      kc: loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath }),
      probes: { enabled: true, timeoutMs: 1000, concurrency: 8, clusterDomain: 'cluster.local' },
      agents: { port: demo.agents.port, token: demo.agents.token, timeoutMs: 1000 },
    },
    poster: createSlackPoster({ token: slack.token, slackApiUrl: slack.url }),
    state: createStateRegistry(createMemoryStateStore()),
    logger: silent,
    maxAttempts: 3,
  };
});
afterAll(async () => {
  await slack?.close();
  await demo?.close();
});

const job = (cluster: string, channel: string) =>
  createJob({ trigger: 'slash', target: { kind: 'svc', name: 'cart', namespace: 'shop' }, cluster, requester: { source: 'test' }, reply: { channel } });

describe('runJob', () => {
  it('answers a job queued for another cluster instead of retrying it into the dead-letter queue', async () => {
    const outcome = await runJob(job('prod', 'C0MIS'), 1, deps);
    expect(outcome.status).toBe('error');
    const [message] = slack.messages('C0MIS');
    expect(message?.text).toMatch(/serves cluster "demo", not "prod"/);
  });

  it('posts once, and skips a redelivery of a job it already answered', async () => {
    const answered = job('demo', 'C0TWICE');
    expect((await runJob(answered, 1, deps)).status).toBe('fail');
    const messagesAfterFirst = slack.messages('C0TWICE').length;
    expect(messagesAfterFirst).toBeGreaterThan(1);
    expect((await runJob(answered, 2, deps)).status).toBe('duplicate');
    expect(slack.messages('C0TWICE')).toHaveLength(messagesAfterFirst);
  });

  it('a private channel the bot is not in gets the answer privately through the response_url, with how to invite the bot', async () => {
    slack.setChannel({ id: 'G0PRIVATE', member: false, private: true });
    const privateJob = createJob({
      trigger: 'slash',
      target: { kind: 'svc', name: 'cart', namespace: 'shop' },
      cluster: 'demo',
      requester: { source: 'test' },
      reply: { channel: 'G0PRIVATE', responseUrl: slack.responseUrl('private-1') },
    });
    const outcome = await runJob(privateJob, 1, deps);
    expect(outcome.status).toBe('fail');
    expect(slack.messages('G0PRIVATE')).toHaveLength(0);
    const posts = slack.responses('private-1');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.length).toBeLessThanOrEqual(5);
    expect(posts.every((p) => p.accepted && p.body.response_type === 'ephemeral')).toBe(true);
    expect(String(posts.at(-1)?.body.text)).toMatch(/\/invite @netcheck/);
    // Answered once: a redelivery does not post again.
    expect((await runJob(privateJob, 2, deps)).status).toBe('duplicate');
    expect(slack.responses('private-1')).toHaveLength(posts.length);
  });

  it('a state store that cannot be read is retried, and the last attempt tells the requester instead of going silent', async () => {
    // The real ConfigMap store, against an API server address where nothing listens.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'u' }],
      currentContext: 'gone',
    });
    const broken = { ...deps, state: createStateRegistry(createConfigMapStateStore(kc, { namespace: 'netcheck', name: 'netcheck-state' })) };
    const lost = job('demo', 'C0STATE');
    await expect(runJob(lost, 1, broken)).rejects.toThrow();
    expect(slack.messages('C0STATE')).toHaveLength(0);
    const outcome = await runJob(lost, 3, broken);
    expect(outcome.status).toBe('error');
    const messages = slack.messages('C0STATE');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text).toMatch(/could not read its state/);
  });
});
