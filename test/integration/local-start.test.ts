import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';

// `npm start` as a new user meets it: it never silently picks up a KUBECONFIG from the shell, runs
// once and exits when stdin is no terminal (CI, `docker run` without -t), and a busy port or a bad
// kubeconfig is one line saying what to do, not a stack trace.

const repo = new URL('../..', import.meta.url).pathname;

interface Exit {
  code: number | null;
  output: string;
  stderr: string;
}

function npmStart(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], {
      cwd: repo,
      env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_API_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a failed assertion's teardown reaches npm's children
    });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      stderr += d.toString();
    });
    const guard = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // gone already
      }
      reject(new Error(`npm start did not exit:\n${output}`));
    }, 90_000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, output, stderr });
    });
  });
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('npm start never surprises', () => {
  it('stops whole on a SIGTERM to npm alone, as a supervisor sends it: no process left, its files removed', async () => {
    const { server, port } = await listen();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const child = spawn('npm', ['start', '--', '--serve'], {
      cwd: repo,
      env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_API_URL: '', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: only the teardown of a failed run signals all of it
    });
    let output = '';
    // The pipes close once every process holding them has exited: npm, its shell, tsx and the demo.
    let exitedAll = false;
    const closed = Promise.all([child.stdout, child.stderr].map((stream) => new Promise((resolve) => stream.once('close', resolve)))).then(() => {
      exitedAll = true;
    });
    const serving = new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Serving (stdin is not a terminal')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    // One deadline for the whole run, cleared on success: a timer left behind must not signal a
    // process group whose number the system may have handed out again.
    let failed: (reason: Error) => void = () => {};
    const deadline = new Promise<never>((_, reject) => (failed = reject));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      failed(new Error(`npm start did not stop on a SIGTERM to npm within 90 s:\n${output}`));
    }, 90_000);
    try {
      await Promise.race([serving, deadline]);
      const kubeconfigDir = /KUBECONFIG=(\S+)\/kubeconfig/.exec(output)?.[1];
      expect(kubeconfigDir && existsSync(kubeconfigDir)).toBe(true);
      process.kill(child.pid!, 'SIGTERM');
      await Promise.race([closed, deadline]);
      expect(existsSync(kubeconfigDir!)).toBe(false);
    } finally {
      clearTimeout(timer);
      // A failed expectation before the end leaves the group running: it is still ours to stop.
      if (!exitedAll) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }, 200_000);

  it('ignores a KUBECONFIG in the environment, saying so; with stdin no terminal it runs the demo once and exits 0', async () => {
    const { server, port } = await listen();
    const free = port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await npmStart([], { PORT: String(free), KUBECONFIG: '/nonexistent/prod-kubeconfig' });
    withContext(run.output, () => expect(run.code).toBe(0));
    expect(run.output).toContain('KUBECONFIG is set (/nonexistent/prod-kubeconfig), but npm start uses the built-in demo cluster');
    expect(run.output).toContain('cluster "demo": the built-in demo cluster');
    expect(run.output).toContain('app=payment'); // the first thread was printed
    expect(run.output).toMatch(/KUBECONFIG=\S+ NETCHECK_AGENT_TOKEN=\S+ NETCHECK_AGENT_PORT=\d+ npm run --silent netcheck -- svc cart -n shop/);
    expect(run.output).toContain('stdin is not a terminal, so the demo ran once. Run `npm start` in a terminal');
  }, 120_000);

  it('a busy port is answered with what to set, without a stack trace', async () => {
    const { server, port } = await listen();
    try {
      const run = await npmStart([], { PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} is already in use (another npm start?): set PORT to a free port, e.g. PORT=${port + 1} npm start`);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 120_000);

  it('a --kubeconfig that does not exist is named, without a stack trace; unknown flags get the usage', async () => {
    const missing = await npmStart(['--kubeconfig', '/nonexistent/kubeconfig'], { PORT: '0' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('kubeconfig not found: /nonexistent/kubeconfig (from --kubeconfig)');
    expect(missing.stderr).not.toMatch(/^\s+at /m);
    const unknown = await npmStart(['--kubecontext', 'x'], { PORT: '0' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown option '--kubecontext'[\s\S]*usage: npm start/);
  }, 120_000);
});
