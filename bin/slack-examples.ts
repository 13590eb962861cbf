// `npm run examples:slack` — writes docs/slack-messages.md: every kind of Slack message netcheck
// posts, rendered from fixture reports (the scenario fixtures through the real checks and verdict)
// as the Block Kit JSON sent to Slack and the text preview. test/unit/slack-examples.test.ts fails
// when the file is stale, so the page always shows what the renderer produces today.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explains, runChecks } from '../lib/checks/index.js';
import { applySilences, type Report, type SweepReport } from '../lib/model/index.js';
import {
  renderSlackAllChecks,
  renderSlackFollowUp,
  renderSlackJobFailure,
  renderSlackSummary,
  renderSlackThread,
  type SlackMessage,
  type SlackThread,
} from '../lib/render/slack.js';
import { renderThreadText, replyText } from '../lib/render/terminal.js';
import { buildReport } from '../lib/verdict/verdict.js';
import { loadScenario } from '../test/scenarios/load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLES_PATH = join(root, 'docs', 'slack-messages.md');

const STARTED_AT = '2026-12-01T08:14:00.000Z';

function scenarioReport(file: string, opts: { silenceCode?: string } = {}): Report {
  const scenario = loadScenario(join(root, 'test', 'scenarios', file));
  const checked = runChecks(scenario.facts);
  const silences = opts.silenceCode
    ? [{ id: 's-1a2b3c4d', codes: [opts.silenceCode], reason: 'silenced from Slack for 1d', expiresAt: '2026-12-02T08:20:00.000Z', createdBy: 'U0ALICE', channel: 'C0INCIDENT' }]
    : [];
  const silencing = applySilences(checked, silences, { now: new Date(STARTED_AT), channel: 'C0INCIDENT' });
  const report = buildReport(scenario.facts, silencing.findings, { startedAt: STARTED_AT, durationMs: 1840 }, explains);
  return opts.silenceCode ? { ...report, silences: { silenced: silencing.silenced, expired: silencing.expired } } : report;
}

function sweepFixture(): SweepReport {
  const typo = scenarioReport('selector-matches-no-pods--typo-ip-forward-off-elsewhere.yaml');
  const targetPort = scenarioReport('target-port-mismatch--numeric-refused.yaml');
  const problems = (report: Report, namespace: string, name: string) => ({
    namespace,
    name,
    status: report.status,
    rootCause: report.rootCause,
    verified: true,
    findings: report.findings.filter((f) => f.status !== 'pass' && f.status !== 'skip'),
  });
  return {
    kind: 'sweep',
    cluster: 'prod',
    status: 'fail',
    startedAt: STARTED_AT,
    durationMs: 41_300,
    apiRequests: 37,
    counts: { namespaces: 12, services: 140, nodes: 6, pods: 912, ok: 118, unverified: 20, warn: 0, fail: 2, error: 0 },
    verification: { probed: 22, limit: 20, reason: 'not among the 20 services this sweep probes' },
    clusterFindings: [],
    problems: [problems(typo, 'shop', 'payments'), problems(targetPort, 'shop', 'inventory')],
    changes: {
      since: '2026-11-30T08:00:00.000Z',
      added: [{ code: 'target-port-mismatch', subject: 'shop/inventory', status: 'fail', title: 'targetPort 8081 is not open on any pod' }],
      resolved: [{ code: 'pods-not-ready', subject: 'web/frontend', status: 'fail', title: '1 of 3 pods not ready' }],
    },
    silences: { silenced: 1, expired: [], services: ['shop/orders'] },
  };
}

const json = (message: SlackMessage) =>
  JSON.stringify({ text: message.text, blocks: message.blocks, ...(message.attachments ? { attachments: message.attachments } : {}) }, null, 2);

function threadSection(title: string, intro: string, thread: SlackThread): string {
  const messages = [thread.parent, ...thread.replies];
  const jsons = messages.map((m, i) => `${i === 0 ? 'Parent' : `Reply ${i}`}:\n\n\`\`\`json\n${json(m)}\n\`\`\``).join('\n\n');
  return `## ${title}\n\n${intro}\n\nText preview:\n\n\`\`\`\n${renderThreadText(thread).trimEnd()}\n\`\`\`\n\n<details><summary>Block Kit JSON (${messages.length} messages)</summary>\n\n${jsons}\n\n</details>\n`;
}

function replySection(title: string, intro: string, message: SlackMessage): string {
  return `## ${title}\n\n${intro}\n\nText preview:\n\n\`\`\`\n${replyText(message).trimEnd()}\n\`\`\`\n\n<details><summary>Block Kit JSON</summary>\n\n\`\`\`json\n${json(message)}\n\`\`\`\n\n</details>\n`;
}

export function slackExamplesMarkdown(): string {
  const svc = { kind: 'svc' as const, name: 'payments', namespace: 'shop' };
  const typo = scenarioReport('selector-matches-no-pods--typo-ip-forward-off-elsewhere.yaml');
  const ipForward = scenarioReport('ip-forward-disabled--only-endpoint-node.yaml');
  const healthy = scenarioReport('healthy--clusterip.yaml');
  const silenced = scenarioReport('selector-matches-no-pods--typo-ip-forward-off-elsewhere.yaml', { silenceCode: 'selector-matches-no-pods' });
  const sections = [
    threadSection(
      'Diagnosis from /netcheck',
      'A header with the verdict, a colour bar for the status, the fix as a code block, the context line and the buttons. One reply per cause with its evidence and the symptoms it explains; passed and skipped checks are one collapsed line.',
      renderSlackThread(typo, { cluster: 'prod', requester: 'U0ALICE', trigger: 'slash', buttons: { target: svc, cluster: 'prod' } }),
    ),
    threadSection(
      'Incident report from an Alertmanager notification',
      "The same parent plus Acknowledge and Resolved, which act on the alert group's thread.",
      renderSlackThread(ipForward, { cluster: 'prod', trigger: 'alert', buttons: { target: svc, cluster: 'prod', incidentThread: 'Yk3v9QdX2mR8tLw0aJ5nE1cH7uZ4pB6s' } }),
    ),
    threadSection(
      'Healthy',
      'Green bar, no fix, no Silence (nothing to hold).',
      renderSlackThread(healthy, { cluster: 'prod', requester: 'U0ALICE', trigger: 'slash', buttons: { target: svc, cluster: 'prod' } }),
    ),
    threadSection(
      'A report with a silenced problem',
      'The silenced root cause is kept and named, but no longer sets the status or the verdict.',
      renderSlackThread(silenced, { cluster: 'prod', trigger: 'alert', buttons: { target: svc, cluster: 'prod', incidentThread: 'Yk3v9QdX2mR8tLw0aJ5nE1cH7uZ4pB6s' } }),
    ),
    replySection('Show all checks', 'Posted into the thread when someone clicks Show all checks: a fresh run, every check with its reason.', renderSlackAllChecks(typo)),
    replySection(
      'Alert follow-up: nothing new',
      'Another notification for the group whose re-check finds only problems the thread already announced (stable finding ids): one line instead of the thread again.',
      renderSlackFollowUp({
        kind: 'unchanged',
        since: STARTED_AT,
        notification: 3,
        status: 'fail',
        verdict: typo.rootCause?.summary ?? '',
        alertNames: ['PaymentsDown'],
        count: 4,
        silenced: 0,
        acknowledgedBy: 'U0ALICE',
      }),
    ),
    replySection(
      'Alert follow-up: more alerts',
      'New problems arrived: this line, then the new report in the same thread.',
      renderSlackFollowUp({ kind: 'more-alerts', count: 12, alertNames: ['PaymentsDown', 'KubeServiceDown'] }),
    ),
    replySection(
      'Alert resolved',
      'Alertmanager says resolved: a fresh re-check closes the thread.',
      renderSlackFollowUp({ kind: 'resolved', alertName: 'PaymentsDown', report: healthy }),
    ),
    threadSection(
      'Daily summary',
      'Counts, top problems (a problem earlier summaries saw says since when), what changed since the last summary, and the silences of this channel, each with an Unsilence button.',
      renderSlackSummary(sweepFixture(), {
        cluster: 'prod',
        title: 'Daily network summary',
        rerunValue: JSON.stringify({ target: { kind: 'cluster' }, cluster: 'prod' }),
        firstSeen: (code, subject) => (code === 'selector-matches-no-pods' && subject === 'shop/payments' ? '2026-11-28T08:00:00.000Z' : undefined),
        silences: [{ id: 's-1a2b3c4d', code: 'selector-matches-no-pods', scope: 'svc shop/orders', expiresAt: '2026-12-02T08:20:00.000Z', createdBy: 'U0ALICE' }],
      }),
    ),
    replySection(
      'A job that could not run',
      'What the requester sees when the worker gives up (last attempt).',
      renderSlackJobFailure({ target: 'svc payments in shop', cluster: 'prod', reason: 'cannot reach the Kubernetes API server: connect ECONNREFUSED 10.0.0.1:443' }),
    ),
  ];
  return `# netcheck in Slack: every message, rendered\n\nGenerated by \`npm run examples:slack\` from fixture reports (the scenario fixtures in \`test/scenarios/\` through the real checks and verdict); \`test/unit/slack-examples.test.ts\` fails when this file is stale. Each section shows the text preview (what the terminal poster prints) and the Block Kit JSON netcheck sends. Buttons: Re-run, Docs (a link), Show all checks, Silence 1 h / 1 d / 7 d (the lead problem's code on the target, in this channel), and on incident reports Acknowledge / Resolved.\n\n${sections.join('\n')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(EXAMPLES_PATH, slackExamplesMarkdown());
  process.stdout.write(`wrote ${EXAMPLES_PATH}\n`);
}
