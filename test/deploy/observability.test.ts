import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startHealthServer, type HealthServer } from '../../lib/observability/health.js';
import { createWorkerMetrics, recordFindings, recordJob } from '../../lib/observability/metrics.js';

const run = promisify(execFile);
const servers: HealthServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(isReady: () => boolean, metrics = createWorkerMetrics()) {
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady, registry: metrics.registry });
  servers.push(server);
  return { server, metrics };
}

describe('health server', () => {
  it('answers liveness at once and readiness only once the worker says so', async () => {
    let ready = false;
    const { server } = await start(() => ready);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('not ready\n');

    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('reports not ready when the readiness callback throws', async () => {
    const { server } = await start(() => {
      throw new Error('kube client not built');
    });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  });

  it('serves the worker counters and histogram in Prometheus text format', async () => {
    const { server, metrics } = await start(() => true);
    recordJob(metrics, 'svc', 'ok', 1.5);
    recordJob(metrics, 'svc', 'ok', 0.3);
    recordJob(metrics, 'cluster', 'failed', 42);
    recordFindings(metrics, [
      { code: 'selector-matches-no-pods', status: 'fail' },
      { code: 'selector-matches-no-pods', status: 'fail' },
      { code: 'dns-service-name-failed', status: 'pass' },
    ]);
    metrics.queueErrors.inc({ operation: 'receive' });
    metrics.slackErrors.inc({ method: 'chat.postMessage', error: 'channel_not_found' });

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const body = await response.text();
    expect(body).toContain('netcheck_jobs_total{kind="svc",outcome="ok"} 2');
    expect(body).toContain('netcheck_jobs_total{kind="cluster",outcome="failed"} 1');
    expect(body).toContain('netcheck_job_duration_seconds_count{kind="svc"} 2');
    expect(body).toContain('netcheck_job_duration_seconds_bucket{le="2",kind="svc"} 2');
    expect(body).toContain('netcheck_job_duration_seconds_bucket{le="30",kind="cluster"} 0');
    expect(body).toContain('netcheck_findings_total{code="selector-matches-no-pods",status="fail"} 2');
    expect(body).toContain('netcheck_findings_total{code="dns-service-name-failed",status="pass"} 1');
    expect(body).toContain('netcheck_queue_errors_total{operation="receive"} 1');
    expect(body).toContain('netcheck_slack_errors_total{method="chat.postMessage",error="channel_not_found"} 1');
  });

  it("keeps registries apart so one worker never sees another worker's counts", async () => {
    const first = createWorkerMetrics();
    const second = createWorkerMetrics();
    recordJob(first, 'node', 'ok', 1);
    expect(await second.registry.getSingleMetricAsString('netcheck_jobs_total')).not.toContain('kind="node"');
  });

  it('names the unknown path and refuses writes', async () => {
    const { server } = await start(() => true);
    const missing = await fetch(`${server.url}/status`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('/status');
    const post = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('rejects an invalid port with a message naming it', async () => {
    await expect(startHealthServer({ port: 70000, host: '127.0.0.1', isReady: () => true })).rejects.toThrow(/health port .* got 70000/);
  });

  it('stops listening after close', async () => {
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => true });
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('structured logger', () => {
  it('writes one JSON object per line and stamps the job id on every line of the job logger', async () => {
    const script = fileURLToPath(new URL('./fixtures/log-job.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const { stdout, stderr } = await run(tsx, [script, 'job-7f3a'], {
      env: { PATH: process.env.PATH ?? '', POWERTOOLS_LOG_LEVEL: 'INFO' },
      timeout: 30_000,
    });
    const parse = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    // Powertools sends WARN and ERROR through console.warn/error, i.e. stderr; both streams reach
    // CloudWatch and the kubelet's log file.
    const [started, received, idle, ...extraStdout] = parse(stdout);
    const [warned, ...extraStderr] = parse(stderr);
    expect(extraStdout).toEqual([]);
    expect(extraStderr).toEqual([]);
    const lines = [started, received, warned, idle];
    expect(lines.map((line) => line?.message)).toEqual(['worker started', 'job received', 'slow probe', 'idle']);
    for (const line of lines) {
      expect(line?.service).toBe('netcheck');
      expect(line?.component).toBe('worker');
      expect(typeof line?.timestamp).toBe('string');
    }
    expect(lines[0]).not.toHaveProperty('jobId');
    expect(lines[1]).toMatchObject({ jobId: 'job-7f3a', cluster: 'prod', kind: 'svc', level: 'INFO' });
    expect(lines[2]).toMatchObject({ jobId: 'job-7f3a', level: 'WARN' });
    expect(lines[3]).not.toHaveProperty('jobId');
  });
});
