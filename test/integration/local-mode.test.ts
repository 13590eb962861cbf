import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { slackSignatureHeaders } from '../../lib/slack/signing.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';

// `npm start` pointed at a Slack-compatible API, a cluster and a port that are not its built-in
// ones: a signed slash command is acked at once and its thread arrives at that API.

const SECRET = 'local-mode-signing-secret-0123456789';
let slack: SlackApiServer;
let cluster: DemoCluster;
let child: ChildProcess | undefined;
let port: number;
let output = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: false });
  cluster = await startDemoCluster();
  port = await freePort();
  child = spawn('npm', ['start', '--', '--kubeconfig', cluster.kubeconfigPath, '--serve'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: String(port),
      SLACK_API_URL: slack.url,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SECRET,
      NETCHECK_AGENT_TOKEN: cluster.agents.token,
      NETCHECK_AGENT_PORT: String(cluster.agents.port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so teardown reaches npm's children too
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  // Ready once its own first command has been answered in Slack.
  await slack
    .waitFor((s) => s.messages('C0LOCAL').length > 0, 90_000)
    .catch((error: Error) => {
      throw new Error(`${error.message}\nnpm start said:\n${output}`);
    });
}, 120_000);

afterAll(async () => {
  if (child?.pid) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
  await cluster?.close();
  await slack?.close();
});

describe('npm start against another Slack API, cluster and port', () => {
  it('acks a signed /netcheck and threads the result at that API (latency: bench/pipeline.ts)', async () => {
    const body = new URLSearchParams({
      command: '/netcheck',
      text: 'svc payments -n shop',
      channel_id: 'C0TEAM',
      user_id: 'U0BOB',
      user_name: 'bob',
      response_url: slack.responseUrl('bob'),
      team_id: 'T1',
      trigger_id: '1.2',
    }).toString();
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(SECRET, body) },
      body,
    });
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(res.status).toBe(200);
    expect(ack.response_type).toBe('ephemeral');

    const parent = await slack.waitFor((s) => s.messages('C0TEAM').find((m) => !m.thread_ts || m.thread_ts === m.ts), 30_000);
    await slack.waitFor((s) => s.thread('C0TEAM', parent.ts).length > 1 || undefined, 30_000);
    expect(parent.text).toContain('app=payment');
    expect(output).toContain(`http://127.0.0.1:${port}/slack/commands`);
    expect(output).toContain(`the cluster in ${cluster.kubeconfigPath}, context netcheck-test`);
  });
});
