import { spawn } from 'node:child_process';

// The one place the agent starts child processes. Every command is a fixed program with an
// argument array (no shell), runs with a deadline and an output cap, and every way it can fail
// comes back as a reason string: the callers turn those into "unknown, because …", never into
// an empty ruleset.

export interface ToolRequest {
  /** Program name, looked up on PATH (plus /usr/sbin and /sbin, where Debian puts these tools). */
  command: string;
  args: readonly string[];
  timeoutMs: number;
  /** Output beyond this many bytes stops the tool and fails the call. */
  maxBytes: number;
  /** Exit codes that still count as an answer (conntrack exits 1 in some "nothing found" cases). */
  okExitCodes?: readonly number[];
  /**
   * Receive stdout line by line instead of buffering it; the result's stdout is then empty. For
   * outputs that can be large but only need counting (conntrack entries).
   */
  onLine?: (line: string) => void;
}

export type ToolResult = { ok: true; stdout: string; stderr: string; code: number } | { ok: false; reason: string; stderr: string; code?: number; errno?: string };

export type ToolRunner = (request: ToolRequest) => Promise<ToolResult>;

const STDERR_CAP = 8 * 1024;
const EXTRA_PATH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function toolPath(): string {
  const parts = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const extra of EXTRA_PATH) if (!parts.includes(extra)) parts.push(extra);
  return parts.join(':');
}

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim()
      .slice(0, 300) ?? ''
  );
}

/** Run a tool for real. */
export const runTool: ToolRunner = (request) =>
  new Promise((resolve) => {
    const label = [request.command, ...request.args].join(' ');
    let settled = false;
    let stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let pending = '';
    const finish = (result: ToolResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // LC_ALL=C: the parsers read English messages and C-locale numbers; the rest of the
    // environment (tokens, NODE_OPTIONS) has no business in these tools.
    const child = spawn(request.command, [...request.args], {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: toolPath(), LC_ALL: 'C' },
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, reason: `${label} did not finish within ${request.timeoutMs} ms`, stderr, errno: 'ETIMEDOUT' });
    }, request.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT'
          ? `${request.command} is not installed (not found on PATH)`
          : error.code === 'EACCES'
            ? `${request.command} cannot be executed (EACCES)`
            : `${request.command} could not be started: ${error.message}`;
      finish({ ok: false, reason, stderr, ...(error.code ? { errno: error.code } : {}) });
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > request.maxBytes) {
        child.kill('SIGKILL');
        finish({ ok: false, reason: `${label} printed more than ${request.maxBytes} bytes`, stderr, errno: 'E2BIG' });
        return;
      }
      if (request.onLine) {
        const text = pending + chunk.toString('utf8');
        const lines = text.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) request.onLine(line);
      } else {
        stdoutChunks.push(chunk);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_CAP) stderr += chunk.toString('utf8').slice(0, STDERR_CAP - stderr.length);
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      if (request.onLine && pending !== '') request.onLine(pending);
      const stdout = Buffer.concat(stdoutChunks).toString('utf8');
      stdoutChunks = [];
      if (code !== null && (code === 0 || request.okExitCodes?.includes(code))) {
        finish({ ok: true, stdout, stderr, code });
        return;
      }
      const message = firstLine(stderr) || firstLine(stdout);
      const status = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with status ${code}`;
      finish({ ok: false, reason: `${label} ${status}${message ? `: ${message}` : ''}`, stderr, ...(code !== null ? { code } : {}) });
    });
  });

/** Map a tool failure to the "unknown, because …" sentence the facts carry. */
export function unknownBecause(result: Extract<ToolResult, { ok: false }>): string {
  const permission = /operation not permitted|permission denied|must be root|CAP_NET_ADMIN/i.test(result.reason + result.stderr);
  const hint = permission ? ' (the agent needs CAP_NET_ADMIN in the node network namespace)' : '';
  return `unknown, because ${result.reason}${hint}`;
}
