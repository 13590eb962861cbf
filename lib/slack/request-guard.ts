import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isValidSlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';

// Bolt's AwsLambdaReceiver has three gaps measured on 5.1 (see design notes): it throws on
// `Content-Type: application/x-www-form-urlencoded; charset=utf-8`, it accepts timestamps in the
// future, and it decodes base64 bodies as ASCII. This guard runs before Bolt sees the event.

/** Slack's replay window: requests signed more than 5 minutes from now, either way, are refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export type GuardResult = { ok: true; event: APIGatewayProxyEventV2 } | { ok: false; response: APIGatewayProxyStructuredResultV2 };

/**
 * Checks a Slack request before anything parses its body: signature headers present, timestamp
 * within the window both ways, then the HMAC over the raw body (constant-time, Bolt's verifier).
 * Only a verified body is then checked for shape, so a malformed one from Slack is a 400, and
 * anything unsigned a 401 — never a parser's exception turned into a 500.
 */
export function guardSlackRequest(event: APIGatewayProxyEventV2, signingSecret: string, nowSeconds = Math.floor(Date.now() / 1000)): GuardResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const timestamp = headers['x-slack-request-timestamp'];
  if (!timestamp || !headers['x-slack-signature']) return reject('missing Slack signature headers');
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > MAX_CLOCK_SKEW_SECONDS) {
    return reject('request timestamp is more than 5 minutes away from now');
  }
  const contentType = headers['content-type'];
  if (contentType) headers['content-type'] = contentType.split(';')[0]!.trim().toLowerCase();
  const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const verified = isValidSlackRequest({ signingSecret, body: body ?? '', headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': ts }, nowMilliseconds: nowSeconds * 1000 });
  if (!verified) return reject('bad signature');
  const malformed = malformedBody(headers['content-type'], body ?? '');
  if (malformed) return { ok: false, response: { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: `bad request: ${malformed}` } };
  return { ok: true, event: { ...event, headers, body, isBase64Encoded: false } };
}

/** What Bolt would throw on: a JSON body, or a form's `payload` field, that does not parse. */
function malformedBody(contentType: string | undefined, body: string): string | undefined {
  const parses = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  if (contentType === 'application/json') return parses(body) ? undefined : 'the JSON body does not parse';
  if (contentType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(body).get('payload');
    return payload === null || parses(payload) ? undefined : 'the payload field is not JSON';
  }
  return `unsupported content type ${contentType ?? '(none)'}`;
}

function reject(reason: string): { ok: false; response: APIGatewayProxyStructuredResultV2 } {
  // Same answer as Bolt for a bad signature: 401 and nothing else a caller could learn from.
  return { ok: false, response: { statusCode: 401, headers: { 'content-type': 'text/plain' }, body: `unauthorized: ${reason}` } };
}
