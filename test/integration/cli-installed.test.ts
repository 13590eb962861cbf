import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { parse } from 'yaml';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { startKubeApiServer } from '../../lib/testkit/kube-api-server.js';

// The CLI as installed: the bundle `npm run build` writes (what `npm i -g`, npx and krew run), in
// child processes against the demo cluster through a kubeconfig. Also what `npm pack` would ship.

const repo = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const run = promisify(execFile);
let demo: DemoCluster;
let work: string;

beforeAll(async () => {
  await run(process.execPath, [join(repo, 'scripts/build-cli.mjs')], { cwd: repo });
  demo = await startDemoCluster();
  work = mkdtempSync(join(tmpdir(), 'netcheck-cli-'));
}, 120_000);
afterAll(async () => {
  await demo?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function netcheck(args: string[], opts: { bin?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, opts.bin ?? pkg.bin.netcheck!), ...args],
      {
        cwd: opts.cwd ?? work,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: work,
          KUBECONFIG: demo.kubeconfigPath,
          NETCHECK_AGENT_TOKEN: demo.agents.token,
          NETCHECK_AGENT_PORT: String(demo.agents.port),
          ...opts.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, stdout, stderr }),
    );
  });
}

interface JsonFinding {
  code: string;
  status: string;
  silenced?: { silenceId: string; reason: string };
}
interface JsonReport {
  target: { namespace?: string; name?: string };
  status: string;
  rootCause: { code: string } | null;
  findings: JsonFinding[];
  counts: Record<string, number>;
  silences: { silenced: number; expired: { silenceId: string }[] } | null;
}

describe('the installed CLI', () => {
  it('--version prints the package version; as kubectl-netcheck its help reads "kubectl netcheck"', async () => {
    const version = await netcheck(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await netcheck(['--help'], { bin: pkg.bin['kubectl-netcheck']! });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kubectl netcheck /);
    expect(help.stdout).toMatch(/--fail-on/);
  });

  it('-n defaults to the kube context namespace', async () => {
    const config = parse(readFileSync(demo.kubeconfigPath, 'utf8')) as { contexts: { context: Record<string, string> }[] };
    config.contexts[0]!.context.namespace = 'shop';
    const kubeconfig = join(work, 'kubeconfig-shop');
    writeFileSync(kubeconfig, JSON.stringify(config));
    const report = JSON.parse((await netcheck(['svc', 'payments', '-o', 'json'], { env: { KUBECONFIG: kubeconfig } })).stdout) as JsonReport;
    expect(report.target).toMatchObject({ namespace: 'shop', name: 'payments' });
    expect(report.rootCause?.code).toBe('selector-matches-no-pods');
    // An explicit -n still wins, and without a namespace in the context it is "default".
    const explicit = JSON.parse((await netcheck(['svc', 'payments', '-n', 'default', '-o', 'json'], { env: { KUBECONFIG: kubeconfig } })).stdout) as JsonReport;
    expect(explicit.rootCause?.code).toBe('service-not-found');
    const plain = JSON.parse((await netcheck(['svc', 'payments', '-o', 'json'])).stdout) as JsonReport;
    expect(plain.target.namespace).toBe('default');
  });

  it('.netcheck.yaml silences are shown as silenced and counted, and an expired one says so', async () => {
    const dir = mkdtempSync(join(work, 'silenced-'));
    writeFileSync(
      join(dir, '.netcheck.yaml'),
      [
        'silences:',
        '  - id: payments-selector',
        '    codes: [selector-matches-no-pods, no-ready-endpoints, clusterip-refused]',
        '    namespace: shop',
        '    reason: being fixed in OPS-12',
        '  - id: old-one',
        '    codes: [selector-matches-no-pods]',
        '    namespace: shop',
        '    reason: was fixed once',
        '    expires: 2020-01-01',
      ].join('\n'),
    );
    const json = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json'], { cwd: dir });
    const report = JSON.parse(json.stdout) as JsonReport;
    const silenced = report.findings.filter((f) => f.silenced);
    expect(silenced.map((f) => f.code)).toContain('selector-matches-no-pods');
    expect(silenced.every((f) => f.silenced!.silenceId === 'payments-selector')).toBe(true);
    expect(report.silences?.silenced).toBe(silenced.length);
    expect(report.silences?.expired.map((e) => e.silenceId)).toEqual(['old-one']);
    expect(report.rootCause?.code).not.toBe('selector-matches-no-pods');
    const text = await netcheck(['svc', 'payments', '-n', 'shop', '--no-color'], { cwd: dir });
    expect(text.stdout).toMatch(/Silenced \(\d+ problems?; shown/);
    expect(text.stdout).toContain('silenced by payments-selector (file .netcheck.yaml): being fixed in OPS-12');
    expect(text.stdout).toMatch(/silence old-one expired 2020-01-01 and no longer holds/);
  });

  it('a broken config file or an unknown code is a usage error naming the file and line, before any API call', async () => {
    const dir = mkdtempSync(join(work, 'broken-'));
    writeFileSync(join(dir, 'silences.yaml'), 'silences:\n  - namespace: shop\n    reason: x\n    expires: soon\n');
    const before = demo.api.requests.length;
    const broken = await netcheck(['svc', 'payments', '-n', 'shop', '--config', 'silences.yaml'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/silences\.yaml:4: silences\[0\]\.expires: must be an ISO 8601 date/);
    const missing = await netcheck(['svc', 'payments', '-n', 'shop', '--config', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read the silence file \(no such file\)/);
    const typo = await netcheck(['svc', 'payments', '-n', 'shop', '--skip', 'selector-matches-no-pod']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--skip: unknown check code "selector-matches-no-pod"/);
    expect(demo.api.requests.length).toBe(before);
  });

  it('--only keeps the status and root cause to those codes; the rest is shown as silenced', async () => {
    const only = JSON.parse((await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json', '--only', 'no-ready-endpoints'])).stdout) as JsonReport;
    expect(only.rootCause?.code).toBe('no-ready-endpoints');
    const selector = only.findings.find((f) => f.code === 'selector-matches-no-pods');
    expect(selector?.silenced?.silenceId).toBe('--only');
    const skip = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json', '--skip', 'selector-matches-no-pods,no-ready-endpoints,clusterip-refused']);
    const skipped = JSON.parse(skip.stdout) as JsonReport;
    expect(skipped.silences?.silenced).toBeGreaterThanOrEqual(3);
    expect(skipped.findings.filter((f) => f.silenced).map((f) => f.silenced!.silenceId)).toEqual(expect.arrayContaining(['--skip']));
  });

  it('-o junit and -o markdown describe the same verdict', async () => {
    const junit = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'junit']);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="netcheck">/);
    const failures = Number(/failures="(\d+)"/.exec(junit.stdout)?.[1]);
    expect(failures).toBeGreaterThan(0);
    expect(junit.stdout.match(/<failure /g)?.length).toBe(failures);
    expect(junit.stdout).toContain('selector-matches-no-pods: ');
    const markdown = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'markdown']);
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toMatch(/^## ❌ Selector app=payment matches no pods/);
    expect(markdown.stdout).toContain('```sh\nkubectl -n shop patch svc payments');
  });

  it('cluster -n narrows the sweep to those namespaces; -A with -n is refused', async () => {
    const all = JSON.parse((await netcheck(['cluster', '-A', '-o', 'json'])).stdout) as JsonReport;
    const shop = JSON.parse((await netcheck(['cluster', '-n', 'shop', '-o', 'json'])).stdout) as JsonReport;
    expect(shop.counts.namespaces).toBe(1);
    expect(shop.counts.services!).toBeLessThan(all.counts.services!);
    expect(shop.counts.services).toBe(demo.api.list('Service', 'shop').length);
    const both = await netcheck(['cluster', '-A', '-n', 'shop']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/-A and -n exclude each other/);
  });

  // The bundle keeps only the parts of the Kubernetes client it uses: the credential plugins must be among them.
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const idToken = `${base64url({ alg: 'none' })}.${base64url({ sub: 'someone', exp: Math.floor(Date.now() / 1000) + 3600 })}.x`;
  const execCredential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'token-from-the-exec-plugin' } };
  it.each([
    {
      how: 'an exec credential plugin',
      token: execCredential.status.token,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', `console.log(${JSON.stringify(JSON.stringify(execCredential))})`],
          interactiveMode: 'Never',
        },
      },
    },
    {
      how: 'an oidc auth-provider (an unexpired id-token)',
      token: idToken,
      user: { 'auth-provider': { name: 'oidc', config: { 'id-token': idToken, 'client-id': 'netcheck', 'idp-issuer-url': 'https://issuer.invalid' } } },
    },
  ])('$how in the kubeconfig authenticates the bundled CLI', async ({ how, token, user }) => {
    const api = await startKubeApiServer({ token });
    try {
      const kubeconfig = join(work, `kubeconfig-${how.split(' ')[1]}`);
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'u', user }],
          contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'c',
        }),
      );
      const run = await netcheck(['svc', 'payments', '-n', 'shop', '--no-probes', '-o', 'json'], { env: { KUBECONFIG: kubeconfig } });
      expect(api.requests.length).toBeGreaterThan(0);
      withContext('every request carried the token', () => expect(api.requests.filter((r) => r.status === 401)).toEqual([]));
      expect((JSON.parse(run.stdout) as JsonReport).rootCause?.code).toBe('service-not-found');
    } finally {
      await api.close();
    }
  });

  it('a diagnosis writes its code cache under $XDG_CACHE_HOME/netcheck; warm, corrupt, disabled and unwritable caches give the same report', async () => {
    const xdg = mkdtempSync(join(work, 'xdg-'));
    const dir = join(xdg, 'netcheck');
    const svc = async (env: Record<string, string> = {}) => {
      const r = await netcheck(['svc', 'payments', '-n', 'shop', '-o', 'json'], { env: { XDG_CACHE_HOME: xdg, ...env } });
      const report = JSON.parse(r.stdout) as JsonReport;
      return { code: r.code, stderr: r.stderr, status: report.status, rootCause: report.rootCause?.code, findings: report.findings.map((f) => `${f.code}:${f.status}`).sort() };
    };
    expect((await netcheck(['--help'], { env: { XDG_CACHE_HOME: xdg } })).code).toBe(0);
    withContext('--help loads none of the lazy modules, so writes no cache', () => expect(existsSync(dir)).toBe(false));
    const cold = await svc();
    expect(cold).toMatchObject({ code: 1, stderr: '', rootCause: 'selector-matches-no-pods' });
    const [cacheName, ...more] = readdirSync(dir);
    expect(more).toEqual([]);
    expect(cacheName).toMatch(new RegExp(`^${pkg.version.replace(/\./g, '\\.')}-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
    const cacheFile = join(dir, cacheName!);
    const written = readFileSync(cacheFile);
    expect(await svc()).toEqual(cold);
    expect(readFileSync(cacheFile).equals(written)).toBe(true);
    const corrupted = Buffer.from(written);
    for (let i = corrupted.length - 1; i > corrupted.length / 2; i -= 101) corrupted[i]! ^= 0xff;
    writeFileSync(cacheFile, corrupted);
    expect(await svc()).toEqual(cold);
    withContext('the corrupted cache is replaced by a sound one', () => expect(readFileSync(cacheFile).equals(corrupted)).toBe(false));
    expect(await svc()).toEqual(cold);
    expect(await svc({ NETCHECK_CODE_CACHE: 'off' })).toEqual(cold);
    const aFile = join(work, 'not-a-directory');
    writeFileSync(aFile, '');
    expect(await svc({ XDG_CACHE_HOME: aFile })).toEqual(cold);
  }, 60_000);

  it('--fail-on fail lets a warn-only report pass; fail and error still fail', async () => {
    const { exitCodeFor } = await import('../../lib/cli/main.js');
    expect([exitCodeFor('warn', 'warn'), exitCodeFor('warn', 'fail'), exitCodeFor('fail', 'fail'), exitCodeFor('error', 'fail'), exitCodeFor('ok', 'warn')]).toEqual([
      1, 0, 1, 2, 0,
    ]);
  });
});

describe('npm pack', () => {
  it('ships the bundle, its bins with a shebang, README, LICENSE and CHANGELOG, and no sources or tests', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { files: { path: string; mode: number }[] }[];
    const files = packed!.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', ...Object.values(pkg.bin)]) withContext(needed, () => expect(files).toContain(needed));
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f))).toEqual([]);
    expect(files.filter((f) => /\.ts$|\.map$/.test(f))).toEqual([]);
    for (const bin of Object.values(pkg.bin)) {
      withContext(bin, () => expect(readFileSync(join(repo, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true));
      withContext(`${bin} is executable`, () => expect(packed!.files.find((f) => f.path === bin)!.mode & 0o111).not.toBe(0));
    }
  }, 120_000);
});
