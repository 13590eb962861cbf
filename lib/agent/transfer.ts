import { request } from 'node:http';
import type { ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hostPort } from './service-address.js';
import type { TransferProbeFact } from '../model/index.js';

// Node-to-node bulk transfers between agents. A TCP handshake and a small HTTP answer fit in
// small packets; an MTU black hole (or a path that drops big segments) only shows once full-size
// segments flow. So one agent streams N bytes (/bulk) and the other fetches them (/transfer),
// watching for byte progress: no progress for the stall window is 'stalled'.

export const MAX_TRANSFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_STALL_MS = 2_000;
export const DEFAULT_TRANSFER_TIMEOUT_MS = 10_000;
export const MAX_TRANSFER_TIMEOUT_MS = 30_000;

const CHUNK = Buffer.alloc(64 * 1024, 0x6e);
const SEND_STALL_MS = 15_000;

/** Stream `bytes` bytes, respecting backpressure so a slow peer does not fill our memory. */
export async function streamBulk(response: ServerResponse, bytes: number, headOnly: boolean): Promise<void> {
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes, 'cache-control': 'no-store' });
  if (headOnly) {
    response.end();
    return;
  }
  let left = bytes;
  while (left > 0) {
    if (response.destroyed) return;
    const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= piece.length;
    if (!response.write(piece)) {
      const drained = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => (): void => {
          clearTimeout(timer);
          response.off('drain', onDrain);
          response.off('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(false);
        // A receiver behind a black hole never acknowledges; do not hold the socket for TCP's
        // own retransmission timeout (minutes).
        const timer = setTimeout(done(false), SEND_STALL_MS);
        response.on('drain', onDrain);
        response.on('close', onClose);
      });
      if (!drained) {
        response.destroy();
        return;
      }
    }
  }
  response.end();
}

export interface TransferOptions {
  /** Peer agent address and port. */
  peerIp: string;
  peerPort: number;
  bytes: number;
  token: string;
  /** This node's name, for `from`. */
  from: string;
  stallMs?: number;
  timeoutMs?: number;
}

/** Fetch `bytes` from the peer agent's /bulk; never throws. */
export function fetchFromPeer(options: TransferOptions): Promise<TransferProbeFact> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
  const to = hostPort(options.peerIp, options.peerPort);
  const started = performance.now();
  const base = { from: options.from, to, bytes: options.bytes };
  return new Promise((resolve) => {
    let received = 0;
    let connected = false;
    let settled = false;
    let stallTimer: NodeJS.Timeout | undefined;
    const ms = (): number => Math.round(performance.now() - started);
    const finish = (outcome: TransferProbeFact['outcome'], detail?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      clearTimeout(totalTimer);
      req.destroy();
      resolve({ ...base, received, outcome, ...(detail ? { detail } : {}), ms: ms() });
    };
    const host = isIP(options.peerIp) === 6 ? `[${options.peerIp}]` : options.peerIp;
    const req = request(`http://${host}:${options.peerPort}/bulk?bytes=${options.bytes}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/octet-stream' },
    });
    const armStall = (): void => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        if (!connected) finish('error', `no TCP connection to ${to} within ${stallMs} ms (SYN unanswered?)`);
        else finish('stalled', `no bytes for ${stallMs} ms after ${received} of ${options.bytes} (large segments lost on the path? check the MTU)`);
      }, stallMs);
    };
    armStall();
    const totalTimer = setTimeout(() => {
      finish(received > 0 ? 'stalled' : 'error', `not complete within ${timeoutMs} ms: ${received} of ${options.bytes} bytes`);
    }, timeoutMs);
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        connected = true;
        armStall();
      });
      // A reused or already-connected socket emits no 'connect'.
      if (!socket.connecting) connected = true;
    });
    req.on('response', (response) => {
      if (response.statusCode !== 200) {
        const status = response.statusCode ?? 0;
        const hint = status === 401 ? ': the agents hold different tokens' : '';
        response.resume();
        finish('error', `${to} answered HTTP ${status}${hint}`);
        return;
      }
      armStall();
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        armStall();
        if (received > options.bytes) finish('error', `${to} sent more than the ${options.bytes} bytes asked for`);
      });
      response.on('end', () => {
        if (received === options.bytes) finish('complete');
        else finish('error', `${to} closed the transfer after ${received} of ${options.bytes} bytes`);
      });
      response.on('error', (error: NodeJS.ErrnoException) => finish('error', `${error.code ?? 'error'} after ${received} of ${options.bytes} bytes: ${error.message}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish('refused', `${to}: ECONNREFUSED (no agent listening there)`);
      else finish('error', `${to}: ${error.code ? `${error.code}: ` : ''}${error.message}${received ? ` after ${received} of ${options.bytes} bytes` : ''}`);
    });
    req.end();
  });
}
