import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// Small helpers for API Gateway v2 (HTTP API) Lambda handlers: header lookup, body decoding,
// JSON responses and token checks. No framework: a webhook handler should cold-start with only
// what it uses.

export type HttpEvent = Pick<APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded'> & {
  requestContext?: { http?: { method?: string } };
};
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string };

/** What handlers log through; the Powertools Logger fits it, and so does a test's recorder. */
/** Header value by case-insensitive name (API Gateway v2 lowercases names, tests and proxies may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The request body as UTF-8 text, whether API Gateway passed it through or base64-encoded it. */
export function bodyText(event: HttpEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * Compares in time independent of where the strings differ and of their lengths: both sides are
 * hashed first, so `timingSafeEqual` always sees equal-length buffers.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The secret presented in an Authorization header: `Bearer <token>`, or HTTP basic auth whose
 * password is the token (Alertmanager's `basic_auth`; the user name is not checked).
 */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const credentials = match[2]!;
  if (scheme === 'bearer') return credentials;
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** True when the request carries `expected` as a bearer token or basic-auth password. */
export function isAuthorized(event: HttpEvent, expected: string): boolean {
  const token = presentedToken(header(event, 'authorization'));
  // Still compare on a missing token so the response time does not reveal which case failed.
  return constantTimeEqual(token ?? '', expected) && token !== undefined && expected.length > 0;
}
