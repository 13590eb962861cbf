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
  const verified = isValidSlackRequest({
    signingSecret,
    body: body ?? '',
    headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': ts },
    nowMilliseconds: nowSeconds * 1000,
  });
  if (!verified) return reject('bad signature');
  const malformed = malformedBody(headers['content-type'], body ?? '');
  if (malformed) return { ok: false, response: { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: `bad request: ${malformed}` } };
  return { ok: true, event: { ...event, headers, body, isBase64Encoded: false } };
}

/**
 * What Bolt would throw on: a JSON body, or a form's `payload` field, that does not parse, or
 * parses to something that is no Slack envelope (null, a number, an `event` that is no object).
 */
function malformedBody(contentType: string | undefined, body: string): string | undefined {
  if (contentType === 'application/json') {
    const json = parseJson(body);
    if (json === undefined) return 'the JSON body does not parse';
    if (!isEnvelope(json)) return 'the JSON body is not a Slack request (an object with a string "type")';
    const needsEvent = json.type === 'event_callback' || json.event !== undefined;
    if (needsEvent && !(isObject(json.event) && typeof json.event.type === 'string')) return 'the "event" field is not an event (an object with a string "type")';
    return undefined;
  }
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
    const payload = form.get('payload');
    if (payload === null) return undefined;
    const json = parseJson(payload);
    if (json === undefined) return 'the payload field is not JSON';
    if (!isEnvelope(json)) return 'the payload field is not an interaction (an object with a string "type")';
    if (json.actions !== undefined && !Array.isArray(json.actions)) return 'the payload\'s "actions" is not a list';
    // Bolt reads ids from these without looking first: null or a string there is a TypeError.
    const notObject = INTERACTION_OBJECTS.find((field) => json[field] !== undefined && !isObject(json[field]));
    if (notObject) return `the payload's "${notObject}" is not an object`;
    // Slack always names who clicked; Bolt's own middleware throws without it (measured on 5.1).
    if (json.user === undefined) return 'the payload has no "user"';
    return undefined;
  }
  return `unsupported content type ${contentType ?? '(none)'}`;
}

/**
 * A verified, well-formed request no listener of ours takes: an event type we do not subscribe
 * to, an interaction other than the Re-run button. Bolt would wait 3 s for an ack that never
 * comes and answer 404; Slack only needs a 2xx, at once. Undefined when Bolt should see it.
 */
export function unhandledSlackRequest(
  event: APIGatewayProxyEventV2,
  handled: { events: readonly string[]; actions: readonly string[]; commands: readonly string[] },
): { reason: string; command?: true } | undefined {
  const body = event.body ?? '';
  if (event.headers['content-type'] === 'application/json') {
    const json = parseJson(body) as Record<string, unknown>;
    if (json.type === 'url_verification') return undefined;
    if (json.type !== 'event_callback') return { reason: `callback type ${String(json.type).slice(0, 40)}` };
    const type = (json.event as { type: string }).type;
    return handled.events.includes(type) ? undefined : { reason: `event type ${type.slice(0, 40)}` };
  }
  const form = new URLSearchParams(body);
  const payload = form.get('payload');
  if (payload === null) {
    const command = form.get('command') ?? '';
    return handled.commands.includes(command) ? undefined : { reason: `command ${command.slice(0, 40)}`, command: true };
  }
  const json = parseJson(payload) as Record<string, unknown>;
  if (json.type !== 'block_actions') return { reason: `interaction type ${String(json.type).slice(0, 40)}` };
  const actions = (json.actions ?? []) as unknown[];
  const ours = actions.some(
    (a) => isObject(a) && typeof a.action_id === 'string' && handled.actions.some((id) => a.action_id === id || (a.action_id as string).startsWith(`${id}_`)),
  );
  return ours ? undefined : { reason: 'no action of ours' };
}

const INTERACTION_OBJECTS = ['user', 'team', 'channel', 'message', 'container', 'enterprise', 'view'] as const;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEnvelope = (value: unknown): value is Record<string, unknown> & { type: string } => isObject(value) && typeof value.type === 'string';

function reject(reason: string): { ok: false; response: APIGatewayProxyStructuredResultV2 } {
  // Same answer as Bolt for a bad signature: 401 and nothing else a caller could learn from.
  return { ok: false, response: { statusCode: 401, headers: { 'content-type': 'text/plain' }, body: `unauthorized: ${reason}` } };
}
