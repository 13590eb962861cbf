import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { guardSlackRequest } from '../../lib/slack/request-guard.js';

const now = 1_764_140_000;
const event = (headers: Record<string, string>, body = 'a=1', isBase64Encoded = false) =>
  ({ headers, body, isBase64Encoded }) as unknown as APIGatewayProxyEventV2;
const signed = (ts: number, extra: Record<string, string> = {}) => ({ 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': 'v0=abc', ...extra });

describe('guardSlackRequest', () => {
  it('passes a fresh request and normalises headers for Bolt', () => {
    const result = guardSlackRequest(event(signed(now - 10, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' })), now);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(result.event.headers['x-slack-request-timestamp']).toBe(String(now - 10));
    }
  });

  it.each([
    ['stale by more than 5 minutes', now - 301],
    ['from the future by more than 5 minutes', now + 301],
    ['an hour in the future', now + 3600],
  ])('rejects a timestamp %s', (_label, ts) => {
    const result = guardSlackRequest(event(signed(ts)), now);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.response.statusCode).toBe(401);
  });

  it('rejects missing signature headers and non-numeric timestamps', () => {
    expect(guardSlackRequest(event({}), now).ok).toBe(false);
    expect(guardSlackRequest(event({ 'x-slack-request-timestamp': String(now) }), now).ok).toBe(false);
    expect(guardSlackRequest(event(signed(Number.NaN)), now).ok).toBe(false);
  });

  it('decodes base64 bodies as UTF-8, not ASCII', () => {
    const text = 'text=svc caf\u00e9';
    const result = guardSlackRequest(event(signed(now), Buffer.from(text).toString('base64'), true), now);
    expect(result.ok && result.event.body).toBe(text);
    expect(result.ok && result.event.isBase64Encoded).toBe(false);
  });
});
