// Cold-start benchmark for the Lambda handlers: bundles each one exactly as serverless.yml does
// (deploy/serverless/esbuild.cjs), then loads it in fresh Node processes and compares with an
// empty handler bundled the same way. Budget: each Slack bundle (slack-commands for /netcheck, slack
// for buttons and events; Slack's 3-second deadline applies to both) ≤ 1 MB, init CPU ≤ 2× the empty handler.
//
//   npm run bench:coldstart [-- --runs 15] [-- --strict]   (--strict: exit 1 when over budget)
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { median, option } from './figures.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../', import.meta.url));
const requireCjs = createRequire(import.meta.url);
const deployed = requireCjs('../deploy/serverless/esbuild.cjs') as {
  minify: boolean;
  format: 'esm';
  platform: 'node';
  target: string;
  banner: { js: string };
  plugins: string;
};
const deployedPlugins = requireCjs(join(repo, deployed.plugins)) as Plugin[];

const SIZE_BUDGET_BYTES = 1024 * 1024;
const INIT_BUDGET_RATIO = 2;
const HANDLERS = ['slack-commands', 'slack', 'alerts', 'schedule'];

// Values the handlers' configuration parsing accepts; nothing here is ever contacted.
const HANDLER_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  NETCHECK_QUEUES: '{"prod":"http://127.0.0.1:9/000000000000/netcheck-prod.fifo"}',
  NETCHECK_DEFAULT_CLUSTER: 'prod',
  SLACK_SIGNING_SECRET: 'bench-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-bench',
  ALERTMANAGER_TOKEN: 'bench-alertmanager-token-0123456789',
};

async function bundle(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: deployed.minify,
    format: deployed.format,
    platform: deployed.platform,
    target: deployed.target,
    banner: deployed.banner,
    plugins: deployedPlugins,
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile;
}

/** Bytes in the output per npm package (or "netcheck" for our own code), largest first. */
function heaviest(metafile: Metafile, count: number): string[] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match?.[1] ?? 'netcheck';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`);
}

interface Sample {
  wallMs: number;
  importMs: number;
  cpuMs: number;
}

/**
 * One cold load: process wall time (what a cold start pays), the import alone, and the CPU time
 * of the whole process. CPU time barely moves when other work shares the machine, so the budget
 * is judged on it; wall times are shown for comparison with an idle machine.
 */
async function coldLoad(bundlePath: string): Promise<Sample> {
  const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(bundlePath)});
if (typeof m.handler !== 'function') throw new Error('no handler export');
const importMs = performance.now() - t0; const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ importMs, cpuMs: (cpu.user + cpu.system) / 1000 }));`;
  const started = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: HANDLER_ENV,
    cwd: tmpdir(),
    timeout: 30_000,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const { importMs, cpuMs } = JSON.parse(stdout) as { importMs: number; cpuMs: number };
  return { wallMs, importMs, cpuMs };
}

async function main(): Promise<void> {
  const runs = option('runs', 15);
  const strict = process.argv.includes('--strict');
  const work = await mkdtemp(join(tmpdir(), 'netcheck-coldstart-'));
  try {
    const emptyEntry = join(work, 'empty.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const targets = [{ name: 'empty', entry: emptyEntry }, ...HANDLERS.map((name) => ({ name, entry: join(repo, 'handlers', `${name}.ts`) }))];

    const rows: ({ name: string; bytes: number; heavy: string[] } & Sample)[] = [];
    for (const target of targets) {
      const outfile = join(work, `${target.name}.mjs`);
      const metafile = await bundle(target.entry, outfile);
      // Warm the file cache once so every measured run reads the bundle from memory alike.
      await coldLoad(outfile);
      const samples: Sample[] = [];
      // Sequential: parallel processes would compete for the same two cores.
      for (let i = 0; i < runs; i += 1) samples.push(await coldLoad(outfile));
      rows.push({
        name: target.name,
        bytes: (await stat(outfile)).size,
        wallMs: median(samples.map((sample) => sample.wallMs)),
        importMs: median(samples.map((sample) => sample.importMs)),
        cpuMs: median(samples.map((sample) => sample.cpuMs)),
        heavy: heaviest(metafile, 5),
      });
    }

    const empty = rows[0]!;
    let overBudget = false;
    console.log(`cold start, ${runs} fresh Node ${process.version} processes per bundle (medians), bundles as deployed`);
    console.log('handler        size      process   import    cpu       cpu×empty  wall×empty  budget');
    for (const row of rows) {
      const ratio = row.cpuMs / empty.cpuMs;
      const sizeOk = !row.name.startsWith('slack') || row.bytes <= SIZE_BUDGET_BYTES;
      const initOk = ratio <= INIT_BUDGET_RATIO;
      if (row.name !== 'empty' && !(sizeOk && initOk)) overBudget = true;
      const verdict = row.name === 'empty' ? '' : sizeOk && initOk ? 'ok' : `OVER (${[!sizeOk && 'size', !initOk && 'init'].filter(Boolean).join(', ')})`;
      console.log(
        `${row.name.padEnd(14)} ${`${(row.bytes / 1024).toFixed(0)} KB`.padStart(8)}  ${`${row.wallMs.toFixed(0)} ms`.padStart(8)}  ${`${row.importMs.toFixed(0)} ms`.padStart(8)}  ${`${row.cpuMs.toFixed(0)} ms`.padStart(8)}  ${ratio.toFixed(2).padStart(9)}  ${(row.wallMs / empty.wallMs).toFixed(2).padStart(10)}  ${verdict}`,
      );
    }
    console.log('\nheaviest packages in each bundle:');
    for (const row of rows.slice(1)) console.log(`  ${row.name}: ${row.heavy.join(', ')}`);
    console.log(`\nbudget: slack bundles ≤ ${SIZE_BUDGET_BYTES / 1024} KB, process CPU time ≤ ${INIT_BUDGET_RATIO}× empty`);
    if (overBudget && strict) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`cold-start benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
