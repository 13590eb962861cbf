import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { guardSlackRequest } from '../../lib/slack/request-guard.js';
import { withContext } from '../support/with-context.js';

const now = 1_764_140_000;
const SECRET = 'test-signing-secret';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const event = (headers: Record<string, string>, body = 'a=1', isBase64Encoded = false) => ({ headers, body, isBase64Encoded }) as unknown as APIGatewayProxyEventV2;
/** Slack's v0 signature over the raw body, as Slack computes it. */
const sign = (ts: number, body: string) => `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
const signed = (ts: number, extra: Record<string, string> = {}, body = 'a=1') => ({
  ...FORM,
  'X-Slack-Request-Timestamp': String(ts),
  'X-Slack-Signature': sign(ts, body),
  ...extra,
});
const guard = (e: APIGatewayProxyEventV2) => guardSlackRequest(e, SECRET, now);

describe('guardSlackRequest', () => {
  it('passes a fresh request and normalises headers for Bolt', () => {
    const result = guard(event(signed(now - 10, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' })));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(result.event.headers['x-slack-request-timestamp']).toBe(String(now - 10));
    }
  });

  for (const [label, ts] of [
    ['stale by more than 5 minutes', now - 301],
    ['from the future by more than 5 minutes', now + 301],
    ['an hour in the future', now + 3600],
  ] as const) {
    it(`rejects a timestamp ${label}`, () => {
      const result = guard(event(signed(ts)));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.response.statusCode).toBe(401);
    });
  }

  it('rejects missing signature headers and non-numeric timestamps', () => {
    expect(guard(event({})).ok).toBe(false);
    expect(guard(event({ 'x-slack-request-timestamp': String(now) })).ok).toBe(false);
    expect(guard(event(signed(Number.NaN))).ok).toBe(false);
  });

  it('decodes base64 bodies as UTF-8, not ASCII', () => {
    const text = 'text=svc caf\u00e9';
    const result = guard(event(signed(now, {}, text), Buffer.from(text).toString('base64'), true));
    expect(result.ok && result.event.body).toBe(text);
    expect(result.ok && result.event.isBase64Encoded).toBe(false);
  });

  it('rejects a wrong signature with 401 before anything parses the body', () => {
    for (const body of ['{', '', 'payload=%7B']) {
      const result = guard(event({ ...signed(now), 'X-Slack-Signature': 'v0=' + '0'.repeat(64), 'Content-Type': 'application/json' }, body));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.response.statusCode).toBe(401);
    }
  });

  it('answers a signed but unparseable body with 400, never a crash', () => {
    for (const [contentType, body] of [
      ['application/json', '{'],
      ['application/json', ''],
      ['application/x-www-form-urlencoded', 'payload=%7B'],
    ] as const) {
      const result = guard(event(signed(now, { 'Content-Type': contentType }, body), body));
      withContext(`${contentType} ${body}`, () => expect(result.ok).toBe(false));
      if (!result.ok) expect(result.response.statusCode).toBe(400);
    }
  });
});
