import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

// No container engine runs here, so the Dockerfile is checked in two ways: its structure is
// parsed, and its own esbuild RUN command (exec form, so it runs without a shell exactly as
// written) is executed and the bundles it produces are started.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/).filter((word) => !word.startsWith('--'));
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, key: string) => args.get(key) ?? '');
      stages.push({ from: resolved, name, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = rest.split('=');
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

let dockerfile: ReturnType<typeof parseDockerfile>;
let outDir = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  dockerfile = parseDockerfile(await readFile(join(repo, 'Dockerfile'), 'utf8'));
  outDir = await mkdtemp(join(tmpdir(), 'netcheck-image-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const build = () => dockerfile.stages[0]!;
const runtime = () => dockerfile.stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);

function bundleCommand(): string[] {
  const command = of(build(), 'RUN')
    .map((instruction) => instruction.args)
    .find((args) => args.startsWith('[') && args.includes('esbuild'));
  if (!command) throw new Error('the build stage has no exec-form esbuild RUN');
  return JSON.parse(command) as string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('Dockerfile structure', () => {
  it('builds in a Node 22 stage and runs from a separate Node 22 stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) expect(stage.from).toMatch(/^node:22[-.]/);
    expect(build().name).toBe('build');
  });

  it('runs the final stage as a numeric non-root user in production mode', () => {
    const user = of(runtime(), 'USER').at(-1)?.args ?? '';
    const [uid = '', gid = ''] = user.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(gid === '' || Number(gid) > 0).toBe(true);
    expect(
      of(runtime(), 'ENV')
        .map((env) => env.args)
        .join(' '),
    ).toMatch(/NODE_ENV=production/);
  });

  it('keeps dev dependencies and the package manager out of the final stage', () => {
    for (const instruction of of(runtime(), 'RUN')) {
      expect(instruction.args).not.toMatch(/\bnpm\s+(install|i|ci)\b(?!.*--omit=dev)/);
      expect(instruction.args).not.toMatch(/\b(yarn|pnpm)\b/);
    }
    const copies = of(runtime(), 'COPY').map((copy) => copy.args);
    expect(copies).toEqual(['--from=build /src/dist ./dist']);
    expect(copies.join(' ')).not.toContain('node_modules');
  });

  it('starts the entry points the Helm chart names', async () => {
    const chart = (name: string) => readFile(join(repo, 'deploy/helm/netcheck/templates', name), 'utf8');
    const commandIn = (template: string) => {
      const line = template.split('\n').find((text) => text.trim().startsWith('command:')) ?? '';
      return parse(line.trim()).command as string[];
    };
    expect(commandIn(await chart('worker-deployment.yaml'))).toEqual(['node', 'dist/worker.mjs']);
    expect(commandIn(await chart('agent-daemonset.yaml'))).toEqual(['node', 'dist/agent.mjs']);
    expect(JSON.parse(of(runtime(), 'CMD').at(-1)?.args ?? '[]')).toEqual(['node', 'dist/worker.mjs']);
    expect(of(runtime(), 'WORKDIR').at(-1)?.args).toBe('/app');
  });

  it('keeps secrets, dependencies and history out of the build context', async () => {
    const ignored = (await readFile(join(repo, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', '.env*']));
    const copiedSources = of(build(), 'COPY').map((copy) => copy.args.split(/\s+/)[0]);
    for (const source of copiedSources) expect(ignored).not.toContain(source);
  });
});

describe('bundles built by the Dockerfile command', () => {
  beforeAll(async () => {
    const [binary = '', ...args] = bundleCommand().map((arg) => (arg === '--outdir=dist' ? `--outdir=${join(outDir, 'dist')}` : arg));
    expect(args).toContain(`--outdir=${join(outDir, 'dist')}`);
    await run(join(repo, binary), args, { cwd: repo, timeout: 120_000 });
  }, 150_000);

  it('produces self-contained worker and agent bundles', async () => {
    for (const name of ['worker.mjs', 'agent.mjs']) expect((await stat(join(outDir, 'dist', name))).size).toBeGreaterThan(0);
  });

  it('starts the agent from the bundle alone and answers its health check', async () => {
    const port = await freePort();
    const tokenFile = join(outDir, 'agent-token');
    await writeFile(tokenFile, 'a'.repeat(48));
    // cwd outside the repo: the bundle must not reach for the checkout's node_modules.
    const agent = spawn(process.execPath, [join(outDir, 'dist/agent.mjs')], {
      cwd: outDir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', NODE_IP: '127.0.0.1', NETCHECK_AGENT_PORT: String(port), NETCHECK_AGENT_TOKEN_FILE: tokenFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(agent);
    const stderr: string[] = [];
    agent.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const listening = new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: agent.stdout! });
      lines.on('line', (line) => {
        if (line.includes('listening')) resolve(line);
      });
      agent.once('exit', (code) => reject(new Error(`agent exited with ${code}: ${stderr.join('')}`)));
      setTimeout(() => reject(new Error('agent did not report listening within 15 s')), 15_000).unref();
    });
    expect(await listening).toContain(`127.0.0.1:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    agent.kill('SIGTERM');
    const [code] = (await once(agent, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('starts the worker from the bundle alone and names the missing configuration', async () => {
    const result = await run(process.execPath, [join(outDir, 'dist/worker.mjs')], {
      cwd: outDir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      timeout: 15_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('NETCHECK_QUEUE_URL');
  });
});
