import { slackSignatureHeaders } from '../slack/signing.js';

// Seeded generator of invalid requests for the three public endpoints (slash commands, Bolt
// events and interactivity, the Alertmanager webhook): unsigned, stale, garbled, wrongly typed,
// schema-breaking and out-of-date input. Every request it makes is one the handlers must refuse
// or answer without queueing anything; the same seed makes the same requests.

export type FuzzEndpoint = '/slack/commands' | '/slack/events' | '/alerts';

export interface FuzzRequest {
  endpoint: FuzzEndpoint;
  /** What kind of bad input this is, for the counts. */
  kind: string;
  headers: Record<string, string>;
  body: string;
}

export interface FuzzSecrets {
  signingSecret: string;
  alertmanagerToken: string;
}

/** mulberry32: small, fast, and good enough to spread inputs; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyz0123456789-',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:/@%&=+?#',
  '<>!"\'`\\{}[]|^~$*;, \t\n\r',
  '\u0000\u0001\u001f\u007f',
  'ü日本語🙂\u202e\ufeff\ud800',
];

export function createFuzzer(seed: number, secrets: FuzzSecrets) {
  const random = seededRandom(seed);
  const int = (max: number) => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;

  const junk = (maxLength = 40): string => {
    const length = chance(0.05) ? 2_000 + int(6_000) : int(maxLength + 1);
    let out = '';
    for (let i = 0; i < length; i++) {
      const alphabet = pick(ALPHABETS);
      out += alphabet[int(alphabet.length)];
    }
    return out;
  };
  /** Printable ASCII only: fetch refuses other bytes in header values before anything is sent. */
  const headerJunk = (length: number): string => Array.from({ length: 1 + int(length) }, () => String.fromCharCode(0x21 + int(94))).join('');
  const junkValue = (): unknown => pick([() => junk(), () => int(1e9) - 5e8, () => null, () => true, () => [junk(), int(9)], () => ({ [junk(8)]: junk() }), () => undefined])();

  /** Text the /netcheck grammar cannot accept: always ends in an unknown option. */
  const badCommandText = (): string => {
    const words = ['svc', 'node', 'dns', 'cluster', 'help', '-n', '--from', '--cluster', '--probe-in-pod', 'payments', 'shop', 'Payments', junk(12)];
    const count = int(6);
    const text = Array.from({ length: count }, () => pick(words)).join(pick([' ', '  ', '\t', '\u00a0']));
    return `${text} --bogus-${int(1e6)}${chance(0.3) ? ` ${junk()}` : ''}`;
  };

  const signed = (body: string, contentType: string): Record<string, string> => ({
    'content-type': contentType,
    ...slackSignatureHeaders(secrets.signingSecret, body),
  });
  const badlySigned = (body: string, contentType: string): { kind: string; headers: Record<string, string> } => {
    const now = Math.floor(Date.now() / 1000);
    const variant = int(5);
    if (variant === 0) return { kind: 'unsigned', headers: { 'content-type': contentType } };
    if (variant === 1) return { kind: 'wrong-secret', headers: { 'content-type': contentType, ...slackSignatureHeaders(`${secrets.signingSecret}x`, body) } };
    if (variant === 2) return { kind: 'stale-timestamp', headers: { 'content-type': contentType, ...slackSignatureHeaders(secrets.signingSecret, body, now - 301 - int(1e6)) } };
    if (variant === 3) return { kind: 'future-timestamp', headers: { 'content-type': contentType, ...slackSignatureHeaders(secrets.signingSecret, body, now + 301 + int(1e6)) } };
    const headers = signed(body, contentType);
    return { kind: 'garbled-signature', headers: { ...headers, 'x-slack-signature': chance(0.5) ? headerJunk(70) : headers['x-slack-signature']!.slice(0, -1) } };
  };

  const form = (fields: Record<string, unknown>): string =>
    new URLSearchParams(Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [[k, typeof v === 'string' ? v : JSON.stringify(v)]]))).toString();

  const slashFields = (): Record<string, unknown> => ({
    command: chance(0.85) ? '/netcheck' : pick(['/other', '', junk(10)]),
    text: badCommandText(),
    channel_id: chance(0.8) ? `C0${int(1e6)}` : junkValue(),
    user_id: chance(0.8) ? `U0${int(1e6)}` : junkValue(),
    user_name: chance(0.8) ? 'fuzz' : junkValue(),
    response_url: chance(0.7) ? 'https://hooks.slack.com/commands/T0/1/x' : junkValue(),
    trigger_id: chance(0.8) ? `${int(1e9)}.${int(1e9)}` : junkValue(),
  });

  const contentTypes = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/json', 'text/plain', 'multipart/form-data', ''];

  function slashCommand(): FuzzRequest {
    const endpoint: FuzzEndpoint = '/slack/commands';
    const body = chance(0.15) ? junk(300) : form(slashFields());
    if (chance(0.25)) {
      const bad = badlySigned(body, 'application/x-www-form-urlencoded');
      return { endpoint, kind: `commands:${bad.kind}`, headers: bad.headers, body };
    }
    const contentType = chance(0.8) ? contentTypes[int(2)]! : pick(contentTypes);
    return { endpoint, kind: `commands:signed-${body.includes('command=') ? 'bad-command' : 'garbage'}`, headers: signed(body, contentType), body };
  }

  function rerunClick(): Record<string, unknown> {
    // Never a click netcheck can take: a stale value, a cluster it does not serve, or no channel/message.
    const value = pick([
      () => junk(60),
      () => JSON.stringify({ target: { kind: 'svc', name: 'Bad_Name', namespace: 'shop' }, cluster: 'demo' }),
      () => JSON.stringify({ target: { kind: 'svc', name: 'payments', namespace: 'shop' }, cluster: `gone-${int(1e6)}` }),
      () => JSON.stringify({ target: junkValue(), cluster: junkValue() }),
    ])();
    return {
      type: 'block_actions',
      user: chance(0.7) ? { id: `U0${int(1e6)}`, name: 'fuzz' } : junkValue(),
      api_app_id: 'A0LOCAL',
      token: 'x',
      team: { id: 'T0LOCAL', domain: 'local' },
      trigger_id: `${int(1e9)}.fuzz`,
      ...(chance(0.6) ? { channel: { id: `C0${int(1e6)}`, name: 'x' } } : {}),
      ...(chance(0.5) ? { message: { ts: `${int(2e9)}.${int(1e6)}`, text: 'x' } } : {}),
      response_url: 'http://127.0.0.1:9/unreachable',
      actions: [{ type: 'button', action_id: chance(0.8) ? 'netcheck_rerun' : junk(20), block_id: 'b', value, action_ts: '1.2' }],
    };
  }

  function eventBody(): { body: string; contentType: string; kind: string } {
    const variant = int(7);
    if (variant === 0) return { body: junk(400), contentType: pick(contentTypes), kind: 'garbage' };
    if (variant === 1) return { body: form({ payload: chance(0.5) ? junk(200) : rerunClick() }), contentType: 'application/x-www-form-urlencoded', kind: 'interactivity' };
    if (variant === 2) return { body: form({ ...slashFields() }), contentType: 'application/x-www-form-urlencoded', kind: 'slash-on-events' };
    if (variant === 3) {
      // channel_created for names that are no incident channel, or without an event id.
      const name = chance(0.5) ? `team-${junk(10)}` : `x${junk(20)}`;
      const event = { type: 'channel_created', channel: { id: chance(0.7) ? `C0${int(1e6)}` : junkValue(), name, created: int(2e9), creator: 'U0X' } };
      return {
        body: JSON.stringify({ type: 'event_callback', team_id: 'T0', api_app_id: 'A0', ...(chance(0.5) ? { event_id: `Ev${int(1e9)}` } : {}), event_time: int(2e9), event }),
        contentType: 'application/json',
        kind: 'channel-created',
      };
    }
    if (variant === 4) return { body: JSON.stringify({ type: 'url_verification', challenge: junkValue() }), contentType: 'application/json', kind: 'url-verification' };
    if (variant === 5)
      return {
        body: JSON.stringify({ type: pick(['event_callback', 'app_rate_limited', junk(10)]), event: junkValue(), [junk(6)]: junkValue() }),
        contentType: 'application/json',
        kind: 'odd-event',
      };
    return { body: JSON.stringify(junkValue()) ?? 'null', contentType: 'application/json', kind: 'json-value' };
  }

  function slackEvent(): FuzzRequest {
    const endpoint: FuzzEndpoint = '/slack/events';
    const { body, contentType, kind } = eventBody();
    if (chance(0.2)) {
      const bad = badlySigned(body, contentType);
      return { endpoint, kind: `events:${bad.kind}`, headers: bad.headers, body };
    }
    return { endpoint, kind: `events:signed-${kind}`, headers: signed(body, contentType), body };
  }

  function alertPayload(): { body: string; kind: string } {
    const valid = {
      version: '4',
      groupKey: `{}:{alertname="Fuzz${int(1e6)}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'netcheck',
      groupLabels: {},
      commonLabels: { alertname: 'Fuzz' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager',
      alerts: [
        {
          status: 'firing',
          labels: { service: 'payments', namespace: 'shop' },
          annotations: {},
          startsAt: '2026-11-26T08:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'f',
        },
      ],
    };
    const variant = int(6);
    if (variant === 0) return { body: junk(300), kind: 'not-json' };
    if (variant === 1) return { body: JSON.stringify(junkValue()) ?? 'null', kind: 'json-value' };
    if (variant === 2) {
      // One field broken at a time, so the rest of the payload is plausible.
      const broken: Record<string, unknown> = { ...valid };
      const field = pick(['version', 'groupKey', 'status', 'alerts', 'truncatedAlerts', 'commonLabels']);
      // Values the schema refuses, whatever the draw (a junk value could happen to be valid).
      const refused: Record<string, readonly unknown[]> = {
        version: ['3', 4, '', null],
        groupKey: ['', 'x'.repeat(5000), int(9), null],
        status: ['pending', '', 1, null],
        alerts: ['none', 7, { alerts: [] }, null],
        truncatedAlerts: [-1 - int(9), 1.5, 'many', null],
        commonLabels: [{ alertname: int(5) }, 'x', [1], null],
      };
      broken[field] = pick(refused[field]!);
      return { body: JSON.stringify(broken), kind: `broken-${field}` };
    }
    if (variant === 3) {
      const alerts = [{ ...valid.alerts[0], status: pick(['firing!', '', 'pending', junk(5)]) }];
      return { body: JSON.stringify({ ...valid, alerts }), kind: 'broken-alert-status' };
    }
    if (variant === 4) {
      // A schema-valid alert naming a channel that is no channel id: 422, nothing queued.
      return { body: JSON.stringify({ ...valid, commonLabels: { ...valid.commonLabels, slack_channel: `#${junk(12)}` } }), kind: 'bad-slack-channel' };
    }
    return { body: JSON.stringify({ ...valid, alerts: Array.from({ length: 10_001 }, () => 0) }), kind: 'too-many-alerts' };
  }

  function alert(): FuzzRequest {
    const endpoint: FuzzEndpoint = '/alerts';
    const { body, kind } = alertPayload();
    if (chance(0.25)) {
      const auth = pick([
        () => ({}),
        () => ({ authorization: `Bearer ${secrets.alertmanagerToken}x` }),
        () => ({ authorization: `Basic ${Buffer.from(`u:${junk(10)}`).toString('base64')}` }),
        () => ({ authorization: headerJunk(30) }),
      ])();
      return { endpoint, kind: 'alerts:bad-auth', headers: { 'content-type': 'application/json', ...auth }, body: kind === 'too-many-alerts' ? '{}' : body };
    }
    return { endpoint, kind: `alerts:${kind}`, headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.alertmanagerToken}` }, body };
  }

  return {
    next(): FuzzRequest {
      return pick([slashCommand, slackEvent, alert])();
    },
  };
}

export interface FuzzTally {
  requests: number;
  byStatus: Record<string, number>;
  byEndpoint: Record<string, Record<string, number>>;
  serverErrors: { kind: string; status: number; body: string }[];
}

/** Sends `count` fuzz requests, `concurrency` at a time, and counts the answers by status. */
export async function runFuzz(opts: { url: string; seed: number; count: number; concurrency: number; secrets: FuzzSecrets }): Promise<FuzzTally> {
  const fuzzer = createFuzzer(opts.seed, opts.secrets);
  const requests = Array.from({ length: opts.count }, () => fuzzer.next());
  const tally: FuzzTally = { requests: 0, byStatus: {}, byEndpoint: {}, serverErrors: [] };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const res = await fetch(`${opts.url}${request.endpoint}`, { method: 'POST', headers: request.headers, body: request.body });
      const text = await res.text();
      tally.requests += 1;
      tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
      const perEndpoint = (tally.byEndpoint[request.endpoint] ??= {});
      perEndpoint[res.status] = (perEndpoint[res.status] ?? 0) + 1;
      if (res.status >= 500) tally.serverErrors.push({ kind: request.kind, status: res.status, body: text.slice(0, 300) });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return tally;
}
