// CLI start-up benchmark: the bundled CLI (dist/, what `npm i -g` and krew install) in fresh
// processes against the demo cluster, next to `node -e 0` in the same run. Targets: `--help`
// ≤ 150 ms wall, and a `svc` diagnosis's process overhead (wall minus the engine's own
// durationMs) ≤ 250 ms. A diagnosis is measured warm (the V8 code cache a previous run wrote, the
// usual case) and cold (its first run: no cache, which it then writes), with the cache in a
// temporary $XDG_CACHE_HOME. The old way (`npm run netcheck`, TypeScript transpiled at start) is
// measured too, for comparison. Prints figures; asserts nothing unless --strict.
//
//   npm run bench:cli [-- --runs 9] [-- --strict]
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDemoCluster } from '../lib/demo/cluster.js';
import { median, option } from './figures.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const cli = `${repo}dist/netcheck.mjs`;
const HELP_TARGET_MS = 150;
const OVERHEAD_TARGET_MS = 250;
/** GNU time reports the child's peak RSS; without it the figure is left out, not guessed. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const ms = (n: number) => `${n.toFixed(0)} ms`;

interface Sample {
  wallMs: number;
  rssKb?: number;
  /** User + system CPU of the child: steadier than wall time when neighbours load the machine. */
  cpuMs?: number;
  stdout: string;
  code: number;
}

function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const [file, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M %U %S', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      const [rss, user, system] = GNU_TIME ? (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number) : [];
      const measured = rss !== undefined && Number.isFinite(rss) && user !== undefined && system !== undefined;
      resolve({ wallMs, stdout, code: code ?? -1, ...(measured ? { rssKb: rss, cpuMs: (user + system) * 1000 } : {}) });
    });
  });
}

async function main(): Promise<void> {
  const runs = option('runs', 7);
  const strict = process.argv.includes('--strict');
  await promisify(execFile)(process.execPath, [`${repo}scripts/build-cli.mjs`], { cwd: repo });
  const demo = await startDemoCluster();
  const cacheHome = mkdtempSync(join(tmpdir(), 'netcheck-bench-cache-'));
  const env = {
    ...process.env,
    XDG_CACHE_HOME: cacheHome,
    KUBECONFIG: demo.kubeconfigPath,
    NETCHECK_AGENT_TOKEN: demo.agents.token,
    NETCHECK_AGENT_PORT: String(demo.agents.port),
    NO_COLOR: '1',
  };
  const node = process.execPath;
  const svcArgs = ['svc', 'payments', '-n', 'shop', '-o', 'json'];
  const empty: Sample[] = [];
  const help: Sample[] = [];
  const svc: { sample: Sample; engineMs: number }[] = [];
  const cold: { sample: Sample; engineMs: number }[] = [];
  const diagnose = async () => {
    const sample = await measure(node, [cli, ...svcArgs], env);
    if (sample.code !== 1) throw new Error(`svc payments exited ${sample.code}, expected 1 (its selector typo): ${sample.stdout.slice(0, 300)}`);
    return { sample, engineMs: (JSON.parse(sample.stdout) as { durationMs: number }).durationMs };
  };
  try {
    // One warm-up of each, so the first run does not pay for the page cache.
    await measure(node, ['-e', '0'], env);
    await measure(node, [cli, '--help'], env);
    await measure(node, [cli, ...svcArgs], env);
    // Alternating, so neighbours on a shared machine weigh on every kind alike.
    for (let i = 0; i < runs; i++) {
      empty.push(await measure(node, ['-e', '0'], env));
      help.push(await measure(node, [cli, '--help'], env));
      svc.push(await diagnose());
      rmSync(join(cacheHome, 'netcheck'), { recursive: true, force: true });
      cold.push(await diagnose());
    }
    const viaNpmHelp = await measure('npm', ['run', '--silent', 'netcheck', '--', '--help'], env);
    const viaNpmSvc = await measure('npm', ['run', '--silent', 'netcheck', '--', ...svcArgs], env);

    const emptyMs = median(empty.map((s) => s.wallMs));
    const helpMs = median(help.map((s) => s.wallMs));
    const svcMs = median(svc.map((s) => s.sample.wallMs));
    const engineMs = median(svc.map((s) => s.engineMs));
    const overheadMs = median(svc.map((s) => s.sample.wallMs - s.engineMs));
    const coldMs = median(cold.map((s) => s.sample.wallMs));
    const coldOverheadMs = median(cold.map((s) => s.sample.wallMs - s.engineMs));
    const rss = (samples: Sample[]) => {
      const values = samples.map((s) => s.rssKb).filter((v): v is number => v !== undefined);
      const cpu = samples.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
      return values.length ? ` · CPU ${ms(median(cpu))} · peak RSS ${(median(values) / 1024).toFixed(0)} MB` : '';
    };
    const lines = [
      `CLI start-up, ${runs} alternating runs each (medians), Node ${process.version}, bundled CLI ${cli.replace(repo, '')}:`,
      `  node -e 0                      ${ms(emptyMs)}${rss(empty)}`,
      `  netcheck --help                ${ms(helpMs)} (${ms(helpMs - emptyMs)} over node -e 0)${rss(help)}   target ≤ ${HELP_TARGET_MS} ms: ${helpMs <= HELP_TARGET_MS ? 'met' : 'NOT met'}`,
      `  netcheck svc payments -n shop  ${ms(svcMs)} wall, engine ${ms(engineMs)}, process overhead ${ms(overheadMs)}${rss(svc.map((s) => s.sample))}   target ≤ ${OVERHEAD_TARGET_MS} ms: ${overheadMs <= OVERHEAD_TARGET_MS ? 'met' : 'NOT met'}`,
      `    its first run (no code cache yet, writes it): ${ms(coldMs)} wall, process overhead ${ms(coldOverheadMs)}${rss(cold.map((s) => s.sample))}`,
      `  for comparison, through npm and tsx (one run each): --help ${ms(viaNpmHelp.wallMs)}${rss([viaNpmHelp])}, svc ${ms(viaNpmSvc.wallMs)}${rss([viaNpmSvc])}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (strict && (helpMs > HELP_TARGET_MS || overheadMs > OVERHEAD_TARGET_MS)) process.exitCode = 1;
  } finally {
    await demo.close();
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

await main();
