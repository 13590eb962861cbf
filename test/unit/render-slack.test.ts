import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CODES, type Code, type Finding, type Report, type ServiceResult, type SweepReport } from '../../lib/model/index.js';
import { grouped, testFinding } from './report-fixtures.js';
import {
  messageBlocks,
  renderSlackAllChecks,
  renderSlackFollowUp,
  renderSlackJobFailure,
  renderSlackSummary,
  renderSlackThread,
  RERUN_ACTION_ID,
  STATUS_COLOR,
  type SlackMessage,
  type SlackThread,
} from '../../lib/render/slack.js';
import { truncateAtClause } from '../../lib/render/mrkdwn.js';
import { ACTION_IDS, actionValueSchemas, parseActionValue } from '../../lib/slack/actions.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { withContext } from '../support/with-context.js';

// Every message rendered here is also posted to our Slack API server, which enforces Block Kit's
// limits the way Slack does, so "fits" is checked by the same code that emulates the rejection.

let slack: SlackApiServer;
beforeAll(async () => {
  slack = await startSlackApiServer({ rateLimit: false });
});
afterAll(async () => {
  await slack.close();
});

async function expectAcceptedBySlack(thread: SlackThread): Promise<void> {
  for (const message of [thread.parent, ...thread.replies]) {
    const response = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0RENDER', text: message.text, blocks: message.blocks, attachments: message.attachments }),
    });
    const body = (await response.json()) as { ok: boolean; error?: string; response_metadata?: unknown };
    withContext(`Slack rejected "${message.text.slice(0, 80)}": ${JSON.stringify(body)}`, () => expect(body).toMatchObject({ ok: true }));
  }
}

function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + textLength(v), 0);
  if (!value || typeof value !== 'object') return 0;
  return Object.entries(value).reduce<number>((n, [k, v]) => n + (k === 'text' && typeof v === 'string' ? v.length : textLength(v)), 0);
}

/** Our own budget, asserted directly as well: 50 blocks, 3000 per section, 12,000 in total. */
function expectWithinBudget(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  const blocks = messageBlocks(message);
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const block of blocks) {
    if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
    if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(10);
  }
  expect(textLength(blocks)).toBeLessThanOrEqual(12_000);
}

function allText(message: SlackMessage): string {
  return JSON.stringify(messageBlocks(message));
}

const f = (code: Code, status: Finding['status'], extra: Partial<Finding> = {}): Finding => testFinding(code, status, extra);

function report(findings: Finding[], extra: Partial<Report> = {}): Report {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const finding of findings) counts[finding.status] += 1;
  return {
    kind: 'diagnosis',
    ...grouped(findings),
    target: { kind: 'svc', namespace: 'shop', name: 'payments', cluster: 'prod' },
    status: counts.fail > 0 ? 'fail' : counts.error > 0 ? 'error' : counts.warn > 0 ? 'warn' : 'ok',
    rootCause: null,
    counts,
    startedAt: '2026-11-26T07:00:00Z',
    durationMs: 2300,
    ...extra,
  };
}

function ipForwardReport(): Report {
  const cause = f('ip-forward-disabled', 'fail', {
    title: 'IP forwarding is off on node-2',
    detail: 'net.ipv4.ip_forward=0 on node-2: pods there cannot be reached from other nodes.',
    evidence: ['node-2: /proc/sys/net/ipv4/ip_forward = 0'],
    remediation: "ssh node-2 'sysctl -w net.ipv4.ip_forward=1'",
    subjects: [{ kind: 'node', name: 'node-2' }],
  });
  const symptoms = [1, 2, 3].map((i) =>
    f('endpoint-timeout', 'fail', { title: `10.244.2.${i}:8080 times out`, detail: `SYN to 10.244.2.${i}:8080 got no answer in 3 s`, explainedBy: 'ip-forward-disabled' }),
  );
  return report(
    [
      cause,
      ...symptoms,
      f('pods-not-ready', 'warn', { title: 'payments-7d9 restarted 4 times' }),
      f('selector-matches-no-pods', 'pass'),
      f('no-ready-endpoints', 'pass'),
      f('dns-service-name-failed', 'skip', { detail: 'no DNS probe requested for svc jobs' }),
      f('conntrack-table-full', 'skip', { detail: 'unknown, because the agent on node-3 did not answer' }),
    ],
    {
      rootCause: {
        id: cause.id,
        code: 'ip-forward-disabled',
        summary: 'IP forwarding is off on node-2, so 3 endpoints of shop/payments time out',
        remediation: "ssh node-2 'sysctl -w net.ipv4.ip_forward=1'",
        subjects: [{ kind: 'node', name: 'node-2' }],
        explains: ['endpoint-timeout'],
      },
    },
  );
}

describe('renderSlackThread', () => {
  it('says a healthy service is healthy, with a re-run button and the passes in one reply', async () => {
    const healthy = report([f('selector-matches-no-pods', 'pass'), f('no-ready-endpoints', 'pass')]);
    const thread = renderSlackThread(healthy, { cluster: 'prod', requester: 'U0ALICE', rerunValue: '{"target":"x"}' });
    expect(thread.parent.text).toContain('svc shop/payments looks healthy');
    expect(allText(thread.parent)).toContain(':white_check_mark:');
    expect(allText(thread.parent)).not.toContain('*Fix*');
    expect(allText(thread.parent)).toContain('<@U0ALICE>');
    const actions = messageBlocks(thread.parent).find((b) => b.type === 'actions');
    expect(actions).toMatchObject({ elements: [{ type: 'button', action_id: RERUN_ACTION_ID, value: '{"target":"x"}' }] });
    expect(thread.replies).toHaveLength(1);
    expect(allText(thread.replies[0]!)).toContain('2 checks passed');
    await expectAcceptedBySlack(thread);
  });

  it('leads with the root cause and its fix, and folds the symptoms it explains into its reply', async () => {
    const thread = renderSlackThread(ipForwardReport(), { cluster: 'prod', trigger: 'alert KubeServiceDown' });
    const parent = allText(thread.parent);
    expect(parent).toContain(':red_circle:');
    expect(parent).toContain('IP forwarding is off on node-2, so 3 endpoints of shop/payments time out');
    expect(parent).toContain("```ssh node-2 'sysctl -w net.ipv4.ip_forward=1'```");
    expect(parent).toContain('via alert KubeServiceDown');
    expect(thread.parent.text).toMatch(/^FAIL: IP forwarding is off on node-2/);

    // Root cause (with 3 symptoms), the unrelated warning, then passes + skips.
    expect(thread.replies).toHaveLength(3);
    const [rootReply, warnReply, passReply] = thread.replies.map(allText);
    // Its headline is what the parent does not say already: the reasoning, not the verdict again.
    expect(rootReply).toContain('Why netcheck says so');
    expect(rootReply).not.toContain('IP forwarding is off on node-2, so');
    expect(rootReply).toContain('net.ipv4.ip_forward=0 on node-2');
    expect(rootReply).toContain('Explains 3 symptoms');
    for (const i of [1, 2, 3]) expect(rootReply).toContain(`10.244.2.${i}:8080 times out`);
    expect(rootReply).toContain('<https://netcheck.dev/docs/ip-forward-disabled|docs>');
    expect(rootReply).toContain('/proc/sys/net/ipv4/ip_forward = 0');
    expect(thread.replies[0]!.text).toContain('explains 3 symptoms');
    expect(warnReply).toContain(':warning:');
    expect(warnReply).toContain('payments-7d9 restarted 4 times');
    // Passed and skipped are one collapsed line; what could not run is counted with its reason.
    expect(thread.replies[2]!.blocks).toHaveLength(1);
    expect(passReply).toContain('2 checks passed');
    expect(passReply).toContain('1 check not applicable');
    expect(passReply).not.toContain('no DNS probe requested for svc jobs');
    expect(passReply).toContain('1 check could not run — because the agent on node-3 did not answer');
    // The parent says the root cause's fix; its reply does not repeat it.
    expect(allText(thread.parent)).toContain('sysctl -w net.ipv4.ip_forward=1');
    expect(rootReply).not.toContain('sysctl -w net.ipv4.ip_forward=1');
    await expectAcceptedBySlack(thread);
  });

  it('omits the re-run button when no rerun value is given', () => {
    const thread = renderSlackThread(ipForwardReport(), { cluster: 'prod' });
    expect(messageBlocks(thread.parent).some((b) => b.type === 'actions')).toBe(false);
  });

  it('escapes cluster data so names cannot mention channels or forge links', async () => {
    const nasty = '<!channel> & <@U0BOSS> <https://evil.example|click>';
    const r = report([f('pods-not-ready', 'fail', { title: `pod ${nasty} not ready`, detail: nasty, evidence: [nasty], remediation: `kubectl delete pod '${nasty}'` })], {
      target: { kind: 'svc', namespace: 'shop', name: '<!here>', cluster: 'prod' },
    });
    const thread = renderSlackThread(r, { cluster: '<!everyone>', requester: '<!channel>' });
    for (const message of [thread.parent, ...thread.replies]) {
      const text = allText(message) + message.text;
      expect(text).not.toMatch(/<!(channel|here|everyone)>/);
      expect(text).not.toContain('<@U0BOSS>');
      expect(text).not.toContain('<https://evil.example');
    }
    expect(allText(thread.replies[0]!)).toContain('&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;');
    await expectAcceptedBySlack(thread);
  });

  it('keeps a pathological report (200 problems, 10 KB evidence) inside every Block Kit limit', async () => {
    const big = 'e'.repeat(10_240);
    const findings = [
      ...Array.from({ length: 200 }, (_, i) =>
        f(CODES[i % CODES.length] as Code, i % 3 === 0 ? 'warn' : 'fail', {
          title: `problem ${i} ${'t'.repeat(400)}`,
          detail: big,
          evidence: [big, ...Array.from({ length: 50 }, (_, j) => `line ${j}`)],
          remediation: big,
        }),
      ),
      ...Array.from({ length: 60 }, (_, i) => f(CODES[i % CODES.length] as Code, 'pass')),
      ...Array.from({ length: 80 }, (_, i) => f(CODES[i % CODES.length] as Code, 'skip', { detail: `unknown, because reason ${i} ${'r'.repeat(300)}` })),
    ];
    const thread = renderSlackThread(report(findings), { cluster: 'prod', rerunValue: 'v' });
    for (const message of [thread.parent, ...thread.replies]) expectWithinBudget(message);
    // Eight problems get their own reply; the other 192 share one, then passes and skips.
    expect(thread.replies).toHaveLength(10);
    const overflow = allText(thread.replies[8]!);
    expect(overflow).toContain('192 more problems');
    expect(overflow).toMatch(/…and \d+ more/);
    // Eighty different reasons are not summarised by one of them: the line counts and points on.
    expect(allText(thread.replies[9]!)).toContain('80 checks could not run · ');
    await expectAcceptedBySlack(thread);
  });

  it('lists as many explained symptoms as fit and counts the rest', async () => {
    const cause = f('kube-proxy-unhealthy', 'fail', { remediation: 'kubectl -n kube-system rollout restart ds/kube-proxy' });
    const symptoms = Array.from({ length: 300 }, (_, i) =>
      f('endpoint-timeout', 'fail', { title: `endpoint ${i} times out`, detail: 'd'.repeat(400), explainedBy: 'kube-proxy-unhealthy' }),
    );
    const thread = renderSlackThread(report([cause, ...symptoms]), { cluster: 'prod' });
    expect(thread.replies).toHaveLength(1);
    const reply = thread.replies[0]!;
    expectWithinBudget(reply);
    expect(allText(reply)).toContain('Explains 300 symptoms');
    expect(allText(reply)).toMatch(/…and \d+ more explained symptoms/);
    // The fix is the parent's; the reply does not say it twice.
    expect(allText(thread.parent)).toContain('kubectl -n kube-system rollout restart ds/kube-proxy');
    expect(allText(reply)).not.toContain('kubectl -n kube-system rollout restart ds/kube-proxy');
    expect(allText(reply)).toContain('<https://netcheck.dev/docs/kube-proxy-unhealthy|docs>');
    await expectAcceptedBySlack(thread);
  });

  it('explains an error report (we could not read something) without claiming health', async () => {
    const r = report([
      f('api-access-denied', 'error', {
        title: 'cannot list pods in shop',
        detail: 'pods is forbidden: User "system:serviceaccount:netcheck:netcheck" cannot list resource "pods"',
      }),
    ]);
    const thread = renderSlackThread(r, { cluster: 'prod' });
    expect(thread.parent.text).toMatch(/^ERROR: could not finish checking svc shop\/payments: cannot list pods in shop/);
    expect(allText(thread.parent)).toContain(':exclamation:');
    await expectAcceptedBySlack(thread);
  });
});

type Button = { type: string; action_id: string; value?: string; url?: string; text: { text: string } };
const buttonsOf = (message: SlackMessage): Button[] => messageBlocks(message).flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as Button[]) : []));

describe('the parent message', () => {
  const target = { kind: 'svc' as const, namespace: 'shop', name: 'payments' };
  const withNode = () => {
    const r = ipForwardReport();
    return { ...r, findings: r.findings.map((x) => (x.code === 'ip-forward-disabled' ? { ...x, subjects: [{ kind: 'node' as const, name: 'node-2' }] } : x)) };
  };

  it('has a header with the verdict, a colour bar for the status, the fix as code, the context and every button', async () => {
    const thread = renderSlackThread(withNode(), { cluster: 'prod', requester: 'U0ALICE', trigger: 'alert', buttons: { target, cluster: 'prod', incidentThread: 'thr-1' } });
    const { parent } = thread;
    expect(parent.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: ':red_circle: IP forwarding is off on node-2, so 3 endpoints of shop/payments time out', emoji: true } },
    ]);
    expect(parent.attachments).toHaveLength(1);
    expect(parent.attachments![0]!.color).toBe(STATUS_COLOR.fail);
    const inBar = JSON.stringify(parent.attachments![0]!.blocks);
    expect(inBar).toContain("*Fix*\\n```ssh node-2 'sysctl -w net.ipv4.ip_forward=1'```");
    for (const part of ['*svc shop/payments*', 'cluster `prod`', '2.3 s', 'requested by <@U0ALICE>', 'via alert']) expect(inBar).toContain(part);
    const buttons = buttonsOf(parent);
    expect(buttons.map((b) => b.action_id)).toEqual([
      ACTION_IDS.rerun,
      ACTION_IDS.docs,
      ACTION_IDS.showChecks,
      `${ACTION_IDS.silence}_1h`,
      `${ACTION_IDS.silence}_1d`,
      `${ACTION_IDS.silence}_7d`,
      ACTION_IDS.acknowledge,
      ACTION_IDS.resolve,
    ]);
    expect(buttons.find((b) => b.action_id === ACTION_IDS.docs)?.url).toBe('https://netcheck.dev/docs/ip-forward-disabled');
    // Silence holds the root cause's code on what it is about: node-2, not the whole code.
    const silence = parseActionValue(actionValueSchemas.silence, buttons.find((b) => b.action_id === `${ACTION_IDS.silence}_1d`)!.value!);
    expect(silence).toEqual({ target, cluster: 'prod', scope: { code: 'ip-forward-disabled', kind: 'node', name: 'node-2' }, duration: '1d' });
    expect(parseActionValue(actionValueSchemas.incident, buttons.find((b) => b.action_id === ACTION_IDS.acknowledge)!.value!)).toEqual({
      target,
      cluster: 'prod',
      thread: 'thr-1',
    });
    expect(parseActionValue(actionValueSchemas.target, buttons[0]!.value!)).toEqual({ target, cluster: 'prod' });
    await expectAcceptedBySlack(thread);
  });

  it('colours by status and offers no Acknowledge outside incidents, no Silence without a subject to hold', () => {
    const healthy = renderSlackThread(report([f('no-ready-endpoints', 'pass')]), { cluster: 'prod', buttons: { target, cluster: 'prod' } });
    expect(healthy.parent.attachments![0]!.color).toBe(STATUS_COLOR.ok);
    expect(buttonsOf(healthy.parent).map((b) => b.action_id)).toEqual([ACTION_IDS.rerun, ACTION_IDS.showChecks]);
    const warn = renderSlackThread(report([f('pods-not-ready', 'warn')]), { cluster: 'prod', buttons: { target, cluster: 'prod' } });
    expect(warn.parent.attachments![0]!.color).toBe(STATUS_COLOR.warn);
    // A finding that names nothing cannot be silenced narrowly: no button rather than a channel-wide mute.
    expect(buttonsOf(warn.parent).some((b) => b.action_id.startsWith(ACTION_IDS.silence))).toBe(false);
  });

  it('keeps 253-character names and a 10 KB verdict inside the header, button and value limits', async () => {
    const node = `n${'x'.repeat(251)}z`;
    const cause = f('ip-forward-disabled', 'fail', { title: `IP forwarding is off on ${node}`, detail: 'd'.repeat(10_000), subjects: [{ kind: 'node', name: node }] });
    const r = report([cause], {
      target: { kind: 'node', name: node, cluster: 'prod' },
      rootCause: { id: cause.id, code: cause.code, summary: 's'.repeat(10_000), remediation: 'r'.repeat(10_000), subjects: cause.subjects, explains: [] },
    });
    const thread = renderSlackThread(r, { cluster: 'prod', buttons: { target: { kind: 'node', name: node }, cluster: 'prod', incidentThread: 't'.repeat(32) } });
    for (const message of [thread.parent, ...thread.replies]) expectWithinBudget(message);
    for (const b of buttonsOf(thread.parent)) expect((b.value ?? '').length).toBeLessThanOrEqual(2000);
    // The header is cut at 150; the whole verdict follows it in the bar.
    expect(JSON.stringify(thread.parent.attachments![0]!.blocks)).toContain('s'.repeat(900));
    await expectAcceptedBySlack(thread);
  });

  it('names what silences hold and which silences ran out', () => {
    const held = f('pods-not-ready', 'fail', { silenced: { silenceId: 's-1', reason: 'known', expiresAt: '2026-11-27T08:14:00Z' } });
    const r = report([held, f('no-ready-endpoints', 'pass')], {
      silences: { silenced: 1, expired: [{ silenceId: 's-0', reason: 'old deploy', expiredAt: '2026-11-25T00:00:00Z' }] },
    });
    const text = allText(renderSlackThread(r, { cluster: 'prod' }).parent);
    expect(text).toContain(':no_bell: 1 problem silenced here: `pods-not-ready` until Nov 27 08:14 UTC');
    expect(text).toContain('silence `s-0` (old deploy) expired Nov 25 00:00 UTC');
  });
});

describe('renderSlackAllChecks', () => {
  it('lists every passed and skipped check with its reason, and says the run is fresh', async () => {
    const message = renderSlackAllChecks(ipForwardReport());
    const text = allText(message);
    expect(text).toContain('All checks for svc shop/payments* — fresh run at Nov 26 07:00 UTC');
    expect(text).toContain('`selector-matches-no-pods` — selector-matches-no-pods title');
    expect(text).toContain('no DNS probe requested for svc jobs');
    expect(text).toContain('unknown, because the agent on node-3 did not answer');
    expectWithinBudget(message);
    await expectAcceptedBySlack({ parent: message, replies: [] });
  });
});

function service(namespace: string, name: string, status: ServiceResult['status'], summary: string): ServiceResult {
  return {
    namespace,
    name,
    status,
    rootCause: {
      id: 'no-ready-endpoints:no ready endpoints',
      code: 'no-ready-endpoints',
      summary,
      remediation: `kubectl -n ${namespace} describe svc ${name}`,
      subjects: [],
      explains: [],
    },
    findings: [f('no-ready-endpoints', status === 'warn' ? 'warn' : 'fail', { title: summary })],
    verified: true,
  };
}

function sweep(extra: Partial<SweepReport> = {}): SweepReport {
  return {
    kind: 'sweep',
    cluster: 'prod',
    status: 'fail',
    startedAt: '2026-11-26T08:00:00Z',
    durationMs: 41_000,
    apiRequests: 37,
    counts: { namespaces: 12, services: 140, nodes: 6, pods: 900, ok: 136, unverified: 0, warn: 1, fail: 3, error: 0 },
    clusterFindings: [f('cluster-dns-down', 'fail', { title: 'CoreDNS has 0 of 2 pods ready' }), f('kube-proxy-unhealthy', 'pass')],
    problems: [
      service('shop', 'payments', 'fail', 'no ready endpoints: all 3 pods CrashLoopBackOff'),
      service('shop', 'cart', 'fail', 'selector app=cartt matches no pods'),
      service('billing', 'invoices', 'fail', 'targetPort 8080 is not open on any pod'),
      service('billing', 'ledger', 'warn', '1 of 3 endpoints not ready'),
    ],
    verification: { probed: 140, limit: 200 },
    changes: {
      since: '2026-11-25T08:00:00Z',
      added: [{ code: 'no-ready-endpoints', subject: 'shop/payments', status: 'fail', title: 'no ready endpoints' }],
      resolved: [{ code: 'pods-not-ready', subject: 'web/frontend', status: 'fail', title: 'pods not ready' }],
    },
    ...extra,
  };
}

describe('renderSlackSummary', () => {
  it('gives counts, the top problems, and what changed; replies per cluster findings and namespace', async () => {
    const thread = renderSlackSummary(sweep(), { cluster: 'prod', rerunValue: 'sweep' });
    const parent = allText(thread.parent);
    expect(thread.parent.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Network summary — prod' } });
    expect(parent).toContain('3 failing, 1 warning of 140 services');
    expect(parent).toContain('1 cluster-wide problem');
    expect(parent).toContain('12 namespaces · 140 services · 6 nodes · 900 pods');
    expect(parent).toContain('CoreDNS has 0 of 2 pods ready');
    expect(parent).toContain('*shop/payments* — no ready endpoints: all 3 pods CrashLoopBackOff');
    expect(parent).toContain('Changes since Nov 25 08:00 UTC');
    expect(parent).toContain(':heavy_plus_sign: *1 new*');
    expect(parent).toContain('*web/frontend*');
    expect(parent).toContain(RERUN_ACTION_ID);
    expect(thread.replies.map((r) => r.text)).toEqual(['Cluster-wide: 1 problem', 'shop: 2 failing', 'billing: 1 failing, 1 warning']);
    expect(allText(thread.replies[1]!)).toContain('kubectl -n shop describe svc cart');
    await expectAcceptedBySlack(thread);
  });

  it('says "first summary" when there is nothing to compare with, and "all healthy" for a clean cluster', async () => {
    const clean = sweep({
      status: 'ok',
      problems: [],
      clusterFindings: [f('kube-proxy-unhealthy', 'pass')],
      changes: undefined,
      counts: { namespaces: 3, services: 10, nodes: 2, pods: 30, ok: 10, unverified: 0, warn: 0, fail: 0, error: 0 },
    });
    const thread = renderSlackSummary(clean, { cluster: 'prod', title: 'Incident baseline' });
    expect(allText(thread.parent)).toContain('All 10 services look healthy');
    expect(allText(thread.parent)).toContain('first summary');
    expect(thread.replies).toEqual([]);
    await expectAcceptedBySlack(thread);
  });

  it('counts unprobed services as unverified, not healthy, and tags unverified problems', async () => {
    const unprobed = sweep({
      status: 'ok',
      problems: [],
      clusterFindings: [],
      counts: { namespaces: 3, services: 10, nodes: 2, pods: 30, ok: 0, unverified: 10, warn: 0, fail: 0, error: 0 },
      verification: { probed: 0, limit: 0, reason: 'probes disabled' },
    });
    const clean = allText(renderSlackSummary(unprobed, { cluster: 'prod' }).parent);
    expect(clean).not.toContain('look healthy');
    expect(clean).toContain('No problem found in 10 services, 10 of them unverified');
    expect(clean).toContain('0 ok · 10 unverified · 0 warn');
    expect(clean).toContain('10 services pass the API checks but are unverified — probes disabled');

    const base = sweep();
    const partly = sweep({
      counts: { ...base.counts, ok: 100, unverified: 36 },
      problems: [base.problems[0]!, { ...base.problems[3]!, verified: false, unverifiedReason: 'not among the 20 services this sweep probes' }],
      verification: { probed: 104, limit: 20, reason: 'not among the 20 services this sweep probes' },
    });
    const thread = renderSlackSummary(partly, { cluster: 'prod' });
    const parent = allText(thread.parent);
    expect(parent).toContain('3 failing, 1 warning, 36 unverified of 140 services');
    expect(parent).toContain('*billing/ledger* _(unverified)_ — 1 of 3 endpoints not ready');
    expect(parent).toContain('*shop/payments* — no ready endpoints');
    expect(allText(thread.replies.find((r) => r.text.startsWith('billing'))!)).toContain('*ledger* _(unverified)_');
    await expectAcceptedBySlack(thread);
  });

  it('says since when a problem earlier summaries saw has been failing, and nothing for a new one', () => {
    const thread = renderSlackSummary(sweep(), {
      cluster: 'prod',
      firstSeen: (code, subject) => (subject === 'shop/payments' ? '2026-11-20T08:00:00Z' : subject === 'shop/cart' ? '2026-11-26T08:00:00Z' : undefined),
    });
    const text = allText(thread.parent);
    expect(text).toContain('all 3 pods CrashLoopBackOff · _failing since Nov 20 08:00 UTC_');
    // First seen by this very sweep: new, not "since".
    expect(text).not.toMatch(/cartt matches no pods · _failing since/);
  });

  it('lists the silences of its channel, each with an Unsilence button, and what they hold', async () => {
    const silenced = sweep({ silences: { silenced: 2, expired: [], services: ['shop/cart'] } });
    const thread = renderSlackSummary(silenced, {
      cluster: 'prod',
      silences: [{ id: 's-abc', code: 'selector-matches-no-pods', scope: 'svc shop/cart', expiresAt: '2026-11-27T08:00:00Z', createdBy: 'U0ALICE' }],
    });
    const text = allText(thread.parent);
    expect(text).toContain('1 silence in this channel* — holding 2 problems; 1 service fully silenced (shop/cart)');
    expect(text).toContain('`selector-matches-no-pods` on *svc shop/cart* until Nov 27 08:00 UTC · by <@U0ALICE>');
    const unsilence = messageBlocks(thread.parent).flatMap((b) => (b.type === 'section' && b.accessory ? [b.accessory as unknown as Button] : []));
    expect(unsilence).toHaveLength(1);
    expect(parseActionValue(actionValueSchemas.unsilence, unsilence[0]!.value!)).toEqual({ target: { kind: 'cluster' }, cluster: 'prod', silenceId: 's-abc' });
    expect(thread.parent.attachments![0]!.color).toBe(STATUS_COLOR.fail);
    await expectAcceptedBySlack(thread);
  });

  it('stays inside the limits for 40 namespaces of 30 failing services and 100 changes', async () => {
    const problems = Array.from({ length: 40 * 30 }, (_, i) => service(`ns-${Math.floor(i / 30)}`, `svc-${i}`, 'fail', `problem ${'p'.repeat(500)}`));
    const refs = Array.from({ length: 100 }, (_, i) => ({ code: 'c', subject: `ns/s${i}`, status: 'fail' as const, title: 't'.repeat(300) }));
    const thread = renderSlackSummary(sweep({ problems, changes: { since: 'yesterday', added: refs, resolved: refs } }), { cluster: 'prod' });
    for (const message of [thread.parent, ...thread.replies]) expectWithinBudget(message);
    expect(thread.replies).toHaveLength(1 + 15 + 1);
    expect(allText(thread.replies[16]!)).toContain('25 more namespaces with problems');
    expect(allText(thread.parent)).toContain('…and 95 more new');
    await expectAcceptedBySlack(thread);
  });
});

describe('renderSlackFollowUp', () => {
  it('notes more alerts in the group, and closes with the fresh verdict when resolved', async () => {
    const more = renderSlackFollowUp({ kind: 'more-alerts', count: 3, alertNames: ['KubeServiceDown', 'KubeServiceDown', '<!channel>'] });
    expect(more.text).toBe('3 more alerts in this group');
    expect(allText(more)).toContain('(KubeServiceDown, &lt;!channel&gt;)');
    const resolved = renderSlackFollowUp({ kind: 'resolved', alertName: 'KubeServiceDown', report: report([f('no-ready-endpoints', 'pass')]) });
    expect(allText(resolved)).toContain('KubeServiceDown resolved');
    expect(allText(resolved)).toContain('svc shop/payments looks healthy');
    await expectAcceptedBySlack({ parent: more, replies: [resolved] });
  });
});

describe('an unchanged problem in a follow-up', () => {
  it('says since when and which notification, instead of the whole thread again', async () => {
    const note = renderSlackFollowUp({
      kind: 'unchanged',
      since: '2026-11-26T08:14:00Z',
      notification: 3,
      status: 'fail',
      verdict: 'Selector app=payment matches no pods',
      alertNames: ['PaymentsDown'],
    });
    expect(note.text).toBe('PaymentsDown: still failing since Nov 26 08:14 UTC, 3rd notification — nothing new');
    expect(note.blocks).toHaveLength(1);
    await expectAcceptedBySlack({ parent: note, replies: [] });
  });
});

describe('renderSlackJobFailure', () => {
  it('says what could not be checked and why, escaped and within limits', async () => {
    const failure = renderSlackJobFailure({ target: 'svc shop/payments', cluster: 'prod', reason: `API said <!channel> ${'x'.repeat(5000)}` });
    expect(failure.text).toMatch(/^netcheck could not check svc shop\/payments on cluster prod: API said &lt;!channel&gt; x+…$/);
    expect(allText(failure)).toContain(':exclamation: netcheck could not check svc shop/payments on cluster prod: API said &lt;!channel&gt;');
    expectWithinBudget(failure);
    await expectAcceptedBySlack({ parent: failure, replies: [] });
  });
});

describe('a header too long for Slack (150 characters)', () => {
  const verdict = 'IP forwarding is off on node-2: the kernel drops packets routed to pods there, so connections to its pods time out (SYN sent, no SYN-ACK). Check the node.';

  it('ends where a clause ends, never inside a parenthesis', () => {
    expect(truncateAtClause(verdict, 150)).toBe('IP forwarding is off on node-2: the kernel drops packets routed to pods there, so connections to its pods time out…');
  });

  it('cuts mid-text only when no clause ends in the second half, and always fits', () => {
    const unbroken = `${'x'.repeat(60)}, ${'y'.repeat(200)}`;
    expect(truncateAtClause(unbroken, 150)).toBe(`${unbroken.slice(0, 149)}…`);
    for (const text of [verdict, unbroken, 'short']) expect(truncateAtClause(text, 150).length).toBeLessThanOrEqual(150);
    expect(truncateAtClause('short', 150)).toBe('short');
  });
});
