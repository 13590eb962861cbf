import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { withContext } from '../support/with-context.js';

// The CLI as a user runs it: `npm run --silent netcheck -- …` in a child process, against the demo
// cluster's Kubernetes API server (real client through a kubeconfig) and loopback data plane.

let demo: DemoCluster;
beforeAll(async () => {
  demo = await startDemoCluster();
});
afterAll(async () => {
  await demo?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function netcheck(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'netcheck', '--', ...args],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, KUBECONFIG: demo.kubeconfigPath, NETCHECK_AGENT_TOKEN: demo.agents.token, NETCHECK_AGENT_PORT: String(demo.agents.port), ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr }),
    );
  });
}

interface JsonReport {
  target: Record<string, string>;
  status: string;
  rootCause: { code: string; summary: string; remediation: string } | null;
  findings: { code: string; status: string; title: string; detail: string; evidence: string[]; remediation: string; docs: string }[];
}

describe('netcheck CLI', () => {
  it('prints only JSON with the root cause, and exits 1 on a failing service', async () => {
    const run = await netcheck(['svc', 'payments', '-n', 'shop', '--output', 'json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.status).toBe('fail');
    expect(report.target).toMatchObject({ kind: 'svc', name: 'payments', namespace: 'shop' });
    expect(report.rootCause).toMatchObject({ code: 'selector-matches-no-pods' });
    expect(report.rootCause!.summary).toContain('app=payments');
    for (const finding of report.findings) {
      const verdictKeys = new Set(['explainedBy', 'causeId']);
      expect(
        Object.keys(finding)
          .filter((k) => !verdictKeys.has(k))
          .sort(),
      ).toEqual(['code', 'detail', 'docs', 'evidence', 'id', 'layer', 'remediation', 'status', 'subjects', 'title']);
    }
  });

  it('exits 0 on a healthy service, with no fail or warn findings', async () => {
    const run = await netcheck(['svc', 'checkout', '-n', 'shop', '-o', 'json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.status).toBe('ok');
    expect(report.rootCause).toBeNull();
    expect(report.findings.filter((f) => f.status === 'fail' || f.status === 'warn')).toEqual([]);
  });

  it('--no-probes shows the probe checks as skipped with the reason, never pass or fail', async () => {
    const run = await netcheck(['svc', 'inventory', '-n', 'shop', '-o', 'json', '--no-probes']);
    const report = JSON.parse(run.stdout) as JsonReport;
    for (const code of ['clusterip-refused', 'clusterip-timeout', 'endpoint-refused', 'endpoint-timeout']) {
      const finding = report.findings.find((f) => f.code === code);
      withContext(code, () => expect(finding?.status).toBe('skip'));
      withContext(code, () => expect(finding?.detail).toMatch(/--no-probes|probes/));
    }
  });

  it('exits 2 with a clear message on bad input, before any API call', async () => {
    const before = demo.api.requests.length;
    const bad = await netcheck(['svc', 'Payments!', '-n', 'shop']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/DNS label/);
    const unknown = await netcheck(['pods']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'pods'/);
    expect(demo.api.requests.length).toBe(before);
  });

  it('turns a 403 into an error finding naming the permission, and still reports the rest', async () => {
    demo.api.setDeny([{ verb: 'list', resource: 'networkpolicies' }]);
    try {
      const run = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json']);
      const report = JSON.parse(run.stdout) as JsonReport;
      const denied = report.findings.find((f) => f.code === 'api-access-denied');
      expect(denied?.status).toBe('error');
      expect(`${denied?.detail} ${denied?.remediation}`).toMatch(/networkpolicies/);
      expect(report.rootCause?.code).toBe('selector-matches-no-pods');
    } finally {
      demo.api.setDeny([]);
    }
  });

  it('exits 2 when the cluster cannot be reached', async () => {
    const run = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/kubeconfig/i);
  });

  it('exits 2 saying the API server is unreachable (a closed port), never a DNS outage', async () => {
    // A port that was free a moment ago: bound, then closed, so nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-closed-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: closed, cluster: { server: "http://127.0.0.1:' + port + '", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: closed, context: { cluster: closed, user: u } }]',
        'current-context: closed',
      ].join('\n'),
    );
    try {
      for (const args of [['svc', 'payments', '-n', 'shop'], ['dns', '-n', 'shop'], ['node', 'node-1'], ['cluster']]) {
        const run = await netcheck([...args, '-o', 'json', '--kubeconfig', kubeconfig]);
        withContext(args.join(' '), () => expect(run.code).toBe(2));
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/cannot reach the Kubernetes API server/);
        expect(run.stderr).not.toMatch(/DNS/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a node that does not exist is named as such, with the nodes that do', async () => {
    const run = await netcheck(['node', 'node-9', '-o', 'json']);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.rootCause?.code).toBe('node-not-found');
    expect(report.rootCause?.summary).toContain('node-9');
    expect(report.rootCause?.summary).toMatch(/node-1/);
    expect(report.findings.filter((f) => f.status === 'fail').map((f) => f.code)).toEqual(['node-not-found']);
    expect(run.code).toBe(1);
  });

  it('node-facts prints this network namespace’s kernel facts as JSON', async () => {
    const run = await netcheck(['node-facts', '--output', 'json']);
    expect(run.code).toBe(0);
    const facts = JSON.parse(run.stdout) as Record<string, unknown>;
    for (const key of ['ipForward', 'bridgeNetfilterLoaded', 'bridgeNfCallIptables', 'conntrack', 'interfaces']) expect(facts).toHaveProperty(key);
    expect([true, false, null]).toContain(facts.ipForward);
  });
});
