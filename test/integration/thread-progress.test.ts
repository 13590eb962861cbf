import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isParent } from '../support/slack-messages.js';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { createJob, type Job } from '../../lib/jobs/schema.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { createSlackPoster } from '../../lib/post/slack.js';
import { createStateRegistry } from '../../lib/state/registry.js';
import { createConfigMapStateStore } from '../../lib/state/store.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { runJob, type RunJobDeps } from '../../lib/worker/run-job.js';

// How and when a job's answer reaches Slack, with real parts (demo cluster over HTTP, the state in
// a ConfigMap of that cluster, our Slack server): the progress parent first, edited in place,
// the verdict as its last edit; a job stopped mid-thread (its deadline) resumes the same thread.

let demo: DemoCluster;
let slack: SlackApiServer;
let deps: RunJobDeps;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  demo = await startDemoCluster();
  slack = await startSlackApiServer({ rateLimit: false });
  const kc = loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath });
  deps = {
    cluster: 'demo',
    engine: {
      kc,
      probes: { enabled: true, timeoutMs: 1000, concurrency: 8, clusterDomain: 'cluster.local' },
      agents: { port: demo.agents.port, token: demo.agents.token, timeoutMs: 1000 },
    },
    poster: createSlackPoster({ token: slack.token, slackApiUrl: slack.url }),
    state: createStateRegistry(createConfigMapStateStore(kc, { namespace: 'netcheck', name: 'netcheck-progress-test', createIfMissing: true })),
    logger: silent,
    maxAttempts: 3,
    from: 'node-1',
    // The demo cluster answers in milliseconds: without this every phase edit would be skipped.
    progressIntervalMs: 0,
  };
});
afterAll(async () => {
  await slack?.close();
  await demo?.close();
});

const slashJob = (channel: string, extra: Partial<Pick<Job, 'reply'>> = {}) =>
  createJob({
    trigger: 'slash',
    target: { kind: 'svc', name: 'payments', namespace: 'shop' },
    cluster: 'demo',
    requester: { id: 'U0ALICE', source: 'slack' },
    reply: { channel, ...extra.reply },
  });

const callsIn = (channel: string) => slack.calls.filter((c) => c.args.channel === channel && (c.method === 'chat.postMessage' || c.method === 'chat.update'));

describe('thread progress', () => {
  it("a job faster than Slack's pace shows no phase edits: the verdict is the parent's only edit", async () => {
    await runJob(slashJob('C0FAST'), 1, { ...deps, progressIntervalMs: 60_000 });
    const updates = callsIn('C0FAST').filter((c) => c.method === 'chat.update');
    expect(updates).toHaveLength(1);
    expect(String(updates[0]!.args.text)).toMatch(/app=payment/);
  });

  it('posts the parent first, edits it as phases finish, and the last edit carries the verdict before any reply', async () => {
    const outcome = await runJob(slashJob('C0PROG'), 1, deps);
    expect(outcome.status).toBe('fail');
    const calls = callsIn('C0PROG');
    const [first, ...rest] = calls;
    expect(first).toMatchObject({ method: 'chat.postMessage', response: { ok: true } });
    expect(first!.args).not.toHaveProperty('thread_ts');
    expect(String(first!.args.text)).toBe('Checking svc shop/payments from node-1…');
    const parentTs = String(first!.response.ts);

    const updates = rest.filter((c) => c.method === 'chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.every((c) => c.args.ts === parentTs && c.response.ok === true)).toBe(true);
    // Phase edits first (still "Checking …"), the verdict last; every reply after the verdict.
    expect(updates.slice(0, -1).every((c) => String(c.args.text).startsWith('Checking '))).toBe(true);
    expect(String(updates.at(-1)!.args.text)).toMatch(/app=payment/);
    const finalAt = calls.indexOf(updates.at(-1)!);
    const replies = calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === parentTs);
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(replies.every((c) => calls.indexOf(c) > finalAt)).toBe(true);

    const messages = slack.messages('C0PROG');
    expect(messages.filter(isParent)).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ts: parentTs, edited: expect.anything() });
    expect(messages[0]!.text).toMatch(/app=payment/);
  });

  it('stops posting at its deadline, and the redelivery edits the same parent and posts only the missing replies', async () => {
    // A reference run of the same job elsewhere: how many replies a complete thread has.
    await runJob(slashJob('C0REF'), 1, deps);
    const reference = slack.messages('C0REF').filter((m) => !isParent(m)).length;
    expect(reference).toBeGreaterThanOrEqual(2);

    const job = slashJob('C0DEADLINE');
    const deadline = new AbortController();
    // The server evaluates this after each request, before the poster sees the answer: the
    // deadline passes the moment the first reply has landed.
    const aborted = slack.waitFor((s) => {
      if (s.messages('C0DEADLINE').filter((m) => !isParent(m)).length < 1) return false;
      deadline.abort(new Error('job did not finish within its deadline'));
      return true;
    }, 20_000);
    await expect(runJob(job, 1, { ...deps, signal: deadline.signal })).rejects.toThrow(/deadline/);
    await aborted;
    const afterAbort = slack.messages('C0DEADLINE');
    expect(afterAbort.filter(isParent)).toHaveLength(1);
    expect(afterAbort.filter((m) => !isParent(m))).toHaveLength(1);
    const parentTs = afterAbort[0]!.ts;
    const callsBefore = callsIn('C0DEADLINE').length;

    const outcome = await runJob(job, 2, deps);
    expect(outcome).toMatchObject({ status: 'fail', posted: { channel: 'C0DEADLINE', ts: parentTs } });
    const messages = slack.messages('C0DEADLINE');
    expect(messages.filter(isParent)).toHaveLength(1);
    const replies = messages.filter((m) => !isParent(m));
    expect(replies).toHaveLength(reference);
    expect(replies.every((m) => m.thread_ts === parentTs)).toBe(true);
    expect(new Set(replies.map((m) => m.text)).size).toBe(replies.length);
    const resumedCalls = callsIn('C0DEADLINE').slice(callsBefore);
    expect(resumedCalls.some((c) => c.method === 'chat.postMessage' && !c.args.thread_ts)).toBe(false);
    expect(resumedCalls.filter((c) => c.method === 'chat.update').every((c) => c.args.ts === parentTs)).toBe(true);
    expect(messages[0]!.text).toMatch(/app=payment/);
    // Answered: a third delivery posts nothing.
    expect((await runJob(job, 3, deps)).status).toBe('duplicate');
    expect(slack.messages('C0DEADLINE')).toHaveLength(messages.length);
  });

  it('a re-run edits the original parent (progress, then the new verdict) and threads its result under it', async () => {
    await runJob(slashJob('C0RERUN'), 1, deps);
    const parent = slack.messages('C0RERUN').find(isParent)!;
    const before = slack.messages('C0RERUN').length;
    const rerun = createJob({
      trigger: 'rerun',
      target: { kind: 'svc', name: 'payments', namespace: 'shop' },
      cluster: 'demo',
      requester: { id: 'U0BOB', source: 'slack' },
      reply: { channel: 'C0RERUN', threadTs: parent.ts },
    });
    const callsBefore = callsIn('C0RERUN').length;
    await runJob(rerun, 1, deps);
    const calls = callsIn('C0RERUN').slice(callsBefore);
    expect(calls[0]).toMatchObject({ method: 'chat.update', args: { ts: parent.ts } });
    expect(String(calls[0]!.args.text)).toMatch(/^Checking svc shop\/payments/);
    expect(JSON.stringify(calls[0]!.args.blocks)).toContain('reading the cluster');
    expect(calls.filter((c) => c.method === 'chat.postMessage').every((c) => c.args.thread_ts === parent.ts)).toBe(true);
    const messages = slack.messages('C0RERUN');
    expect(messages.filter(isParent)).toHaveLength(1);
    expect(messages.length).toBeGreaterThan(before);
    expect(messages[0]!.text).toMatch(/app=payment/);
  });

  it('a parent it cannot edit (deleted, or not its own) still gets the verdict into the thread', async () => {
    const human = slack.postUserMessage('C0HUMAN', 'can someone check payments?');
    const job = slashJob('C0HUMAN', { reply: { channel: 'C0HUMAN', threadTs: human.ts } });
    const outcome = await runJob(job, 1, deps);
    expect(outcome.status).toBe('fail');
    const updates = callsIn('C0HUMAN').filter((c) => c.method === 'chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((c) => c.response.error === 'cant_update_message')).toBe(true);
    const thread = slack.thread('C0HUMAN', human.ts);
    expect(thread[0]!.text).toBe('can someone check payments?');
    expect(
      thread
        .slice(1)
        .map((m) => m.text)
        .join('\n'),
    ).toMatch(/app=payment/);
  });
});

describe('alert group → one incident thread', () => {
  const alertJob = (name: string, status: 'firing' | 'resolved', groupKey = '{}:{alertname="ShopDown"}') =>
    createJob({
      trigger: 'alert',
      target: { kind: 'svc', name, namespace: 'shop' },
      cluster: 'demo',
      requester: { source: 'alertmanager' },
      reply: { channel: 'C0GROUP' },
      alert: { groupKey, status, alertnames: ['ShopDown'], count: 2 },
    });

  it("puts every target's diagnosis of one group into one thread, and the resolution into it too", async () => {
    await runJob(alertJob('payments', 'firing'), 1, deps);
    await runJob(alertJob('inventory', 'firing'), 1, deps);
    const parents = slack.messages('C0GROUP').filter(isParent);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.text).toMatch(/app=payment/);
    const replies = slack.thread('C0GROUP', parents[0]!.ts).slice(1);
    // The second target's verdict is a section of the thread, not a "more alerts" note.
    expect(replies.some((m) => /targetPort 8081/.test(`${m.text}${JSON.stringify(m.blocks)}`))).toBe(true);
    expect(replies.some((m) => /more alert/.test(m.text))).toBe(false);

    await runJob(alertJob('payments', 'resolved'), 1, deps);
    expect(slack.messages('C0GROUP').filter(isParent)).toHaveLength(1);
    expect(slack.thread('C0GROUP', parents[0]!.ts).at(-1)!.text).toMatch(/resolved/i);

    // Another group opens its own thread.
    await runJob(alertJob('payments', 'firing', '{}:{alertname="Other"}'), 1, deps);
    expect(slack.messages('C0GROUP').filter(isParent)).toHaveLength(2);
  });
});
