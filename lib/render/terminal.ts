// Report → terminal text for the CLI and local mode. Colour is the caller's decision (NO_COLOR,
// non-TTY); this module only takes the flag. Cluster strings are stripped of control characters
// so an object name cannot smuggle escape sequences into someone's terminal.
import { formatDuration, mrkdwnToPlain, plural, stripControl, truncate } from './mrkdwn.js';
import {
  countsLine,
  sourceLine,
  isProblem,
  primaryRemediation,
  serviceProblemLine,
  serviceRef,
  serviceVerificationTag,
  sweepServiceCounts,
  sweepUnverifiedLine,
  reportLabel,
  verdictLine,
  viewReport,
  type ProblemGroup,
} from './report-view.js';
import { messageBlocks, type Block, type SlackMessage, type SlackThread } from './slack-budget.js';
import { expiredNote, silenceCountsLine, silencedFindings, silenceNote } from './silences.js';
import type { AnyReport, Finding, Report, ReportStatus, SweepReport } from '../model/index.js';

export interface TextOptions {
  color: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, magenta: 35, dim: 2, bold: 1 } as const;
type Style = keyof typeof ANSI;

function painter(color: boolean) {
  return (style: Style, text: string) => (color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
}

const STATUS_MARK: Record<ReportStatus | Finding['status'], { mark: string; style: Style }> = {
  ok: { mark: '✔', style: 'green' },
  pass: { mark: '✔', style: 'green' },
  warn: { mark: '⚠', style: 'yellow' },
  fail: { mark: '✖', style: 'red' },
  error: { mark: '!', style: 'magenta' },
  skip: { mark: '-', style: 'dim' },
};

const EVIDENCE_LINES = 10;
/** A terminal is read, not searched: longer evidence and detail are cut (the JSON keeps them whole). */
const EVIDENCE_LINE_CHARS = 1000;
const DETAIL_CHARS = 4000;

function clean(value: string): string {
  return stripControl(value);
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

export function renderText(report: Report, opts: TextOptions): string {
  const paint = painter(opts.color);
  const status = STATUS_MARK[report.status];
  const out: string[] = [];
  out.push(`${paint(status.style, `${status.mark} ${report.status.toUpperCase()}`)}  ${paint('bold', clean(verdictLine(report)))}`);
  out.push(
    paint(
      'dim',
      `${clean(reportLabel(report.target))} · cluster ${clean(report.target.cluster)} · ${formatDuration(report.durationMs)} · ${countsLine(report.counts)}${report.silences ? ` · ${silenceCountsLine(report.silences)}` : ''}${report.source ? ` · ${clean(sourceLine(report))}` : ''}`,
    ),
  );
  const fix = report.status === 'ok' ? '' : primaryRemediation(report);
  if (fix !== '') out.push('', paint('bold', 'Fix:'), indent(clean(fix), '  '));

  const view = viewReport(report);
  const rootCode = report.rootCause?.code;
  const root = view.problems.find((g) => g.cause.code === rootCode);
  const others = view.problems.filter((g) => g !== root);
  if (root) out.push('', paint('bold', 'Root cause'), problemText(root, paint));
  if (others.length > 0) {
    out.push('', paint('bold', root ? 'Other problems' : 'Problems'));
    for (const group of others) out.push(problemText(group, paint));
  }
  out.push(...silencesText(report, paint));
  if (view.passes.length > 0) {
    const codes = [...new Set(view.passes.map((f) => clean(f.code)))].join(', ');
    out.push('', `${paint('green', `✔ ${plural(view.passes.length, 'check')} passed`)}: ${codes}`);
  }
  if (view.skips.length > 0) {
    out.push('', paint('dim', `- ${plural(view.skips.length, 'check')} skipped:`));
    for (const skip of view.skips) out.push(paint('dim', `    ${clean(skip.code)}: ${clean(skip.detail)}`));
  }
  return `${out.join('\n')}\n`;
}

/** Silenced problems stay in sight (their own section), and expired silences say they lapsed. */
function silencesText(report: AnyReport, paint: ReturnType<typeof painter>): string[] {
  const out: string[] = [];
  // A sweep lists its service findings under each service; only cluster-wide ones need a place here.
  const silenced = report.kind === 'diagnosis' ? silencedFindings(report) : report.clusterFindings.filter((f) => f.silenced);
  if (silenced.length > 0) {
    out.push('', paint('bold', `Silenced (${plural(silenced.length, 'problem')}; shown, not counted towards the status)`));
    for (const finding of silenced) out.push(...findingText(finding, paint, '  ', { brief: true }));
  }
  const quiet = report.silences?.services ?? [];
  if (quiet.length > 0) out.push('', paint('bold', `Silenced services (every problem silenced): ${quiet.map(clean).join(', ')}`));
  for (const expired of report.silences?.expired ?? []) out.push(paint('yellow', `⚠ ${clean(expiredNote(expired))}`));
  return out;
}

function findingText(finding: Finding, paint: ReturnType<typeof painter>, prefix: string, opts: { brief?: boolean } = {}): string[] {
  const mark = STATUS_MARK[finding.status];
  const lines = [`${prefix}${paint(mark.style, mark.mark)} ${paint('bold', clean(finding.title))} ${paint('dim', `[${clean(finding.code)}]`)}`];
  if (finding.silenced) lines.push(paint('dim', `${prefix}    ${clean(silenceNote(finding.silenced))}`));
  if (opts.brief) return lines;
  if (finding.detail !== '') lines.push(indent(clean(truncate(finding.detail, DETAIL_CHARS)), `${prefix}    `));
  const shown = finding.evidence.slice(0, EVIDENCE_LINES);
  for (const line of shown) lines.push(paint('dim', `${prefix}    | ${clean(truncate(line, EVIDENCE_LINE_CHARS))}`));
  if (finding.evidence.length > shown.length) lines.push(paint('dim', `${prefix}    | …and ${finding.evidence.length - shown.length} more lines`));
  return lines;
}

function problemText(group: ProblemGroup, paint: ReturnType<typeof painter>): string {
  const lines = findingText(group.cause, paint, '  ');
  if (group.cause.remediation !== '') lines.push(`    ${paint('bold', 'fix:')} ${indent(clean(group.cause.remediation), '      ').trimStart()}`);
  if (group.cause.docs) lines.push(paint('dim', `    docs: ${clean(group.cause.docs)}`));
  if (group.symptoms.length > 0) {
    lines.push(`    explains ${plural(group.symptoms.length, 'symptom')}:`);
    for (const symptom of group.symptoms) lines.push(...findingText(symptom, paint, '      '));
  }
  return lines.join('\n');
}

export function renderSummaryText(sweep: SweepReport, opts: TextOptions): string {
  const paint = painter(opts.color);
  const status = STATUS_MARK[sweep.status];
  const c = sweep.counts;
  const clusterProblems = sweep.clusterFindings.filter((f) => isProblem(f) && !f.silenced);
  const out: string[] = [];
  const headline =
    sweep.status === 'ok' && clusterProblems.length === 0
      ? c.unverified === 0
        ? `all ${plural(c.services, 'service')} look healthy`
        : `no problem found in ${plural(c.services, 'service')}, ${c.unverified} of them unverified`
      : sweepServiceCounts(c);
  out.push(`${paint(status.style, `${status.mark} ${sweep.status.toUpperCase()}`)}  ${paint('bold', `cluster ${clean(sweep.cluster)}: ${headline}`)}`);
  out.push(
    paint(
      'dim',
      `${plural(c.namespaces, 'namespace')} · ${plural(c.services, 'service')} · ${plural(c.nodes, 'node')} · ${plural(c.pods, 'pod')} · ${formatDuration(sweep.durationMs)} · ${plural(sweep.apiRequests, 'API request')}${sweep.silences ? ` · ${silenceCountsLine(sweep.silences)}` : ''}`,
    ),
  );
  const unverifiedLine = sweepUnverifiedLine(sweep);
  if (unverifiedLine) out.push(`${paint('yellow', '?')} ${clean(unverifiedLine)}`);
  if (sweep.unseen) out.push(`${paint('yellow', '?')} ${clean(sweep.unseen)}`);
  if (clusterProblems.length > 0) {
    out.push('', paint('bold', 'Cluster-wide'));
    for (const f of clusterProblems) {
      out.push(...findingText(f, paint, '  '));
      if (f.remediation !== '') out.push(`    ${paint('bold', 'fix:')} ${indent(clean(f.remediation), '      ').trimStart()}`);
    }
  }
  if (sweep.problems.length > 0) {
    out.push('', paint('bold', 'Services'));
    for (const p of sweep.problems) {
      const mark = STATUS_MARK[p.status];
      const tag = serviceVerificationTag(p, sweep);
      out.push(`  ${paint(mark.style, mark.mark)} ${paint('bold', clean(serviceRef(p)))}${tag ? ` ${paint('yellow', `(${clean(tag)})`)}` : ''} — ${clean(serviceProblemLine(p))}`);
      const fix = p.rootCause?.remediation ?? '';
      if (fix !== '') out.push(`    ${paint('bold', 'fix:')} ${indent(clean(fix), '      ').trimStart()}`);
      const silenced = p.findings.filter((f) => f.silenced);
      if (silenced.length > 0) out.push(paint('dim', `    ${plural(silenced.length, 'problem')} silenced: ${silenced.map((f) => clean(f.code)).join(', ')}`));
    }
  }
  out.push(...silencesText(sweep, paint));
  out.push('', paint('bold', 'Changes'));
  if (!sweep.changes) out.push('  first summary — nothing to compare with yet');
  else if (sweep.changes.added.length === 0 && sweep.changes.resolved.length === 0) out.push(`  none since ${clean(sweep.changes.since)}`);
  else {
    out.push(`  since ${clean(sweep.changes.since)}:`);
    for (const r of sweep.changes.added) out.push(`  ${paint('red', '+')} ${clean(r.code)} on ${clean(r.subject)} — ${clean(r.title)}`);
    for (const r of sweep.changes.resolved) out.push(`  ${paint('green', '-')} ${clean(r.code)} on ${clean(r.subject)} — ${clean(r.title)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Prints a Slack thread for a terminal: local mode shows what would have been posted. */
export function renderThreadText(thread: SlackThread): string {
  const parts = [messageText(thread.parent, '')];
  for (const reply of thread.replies) parts.push(replyText(reply));
  return `${parts.join('\n\n')}\n`;
}

/** One reply on its own, as it appears under a parent. */
export function replyText(message: SlackMessage): string {
  return `  ↳ ${messageText(message, '    ').trimStart()}`;
}

function messageText(message: SlackMessage, prefix: string): string {
  const blocks = messageBlocks(message);
  const body =
    blocks.length > 0
      ? blocks
          .map(blockText)
          .filter((t) => t !== '')
          .join('\n')
      : mrkdwnToPlain(message.text);
  return indent(clean(body), prefix);
}

function blockText(block: Block): string {
  switch (block.type) {
    case 'header':
      return mrkdwnToPlain(block.text.text);
    case 'section': {
      const text = block.text ? mrkdwnToPlain(block.text.text) : '';
      const fields = (block.fields ?? []).map((f) => mrkdwnToPlain(f.text)).join('\n');
      const accessory =
        block.accessory && 'text' in block.accessory && block.accessory.text && typeof block.accessory.text === 'object' && 'text' in block.accessory.text
          ? ` [${mrkdwnToPlain(block.accessory.text.text)}]`
          : '';
      return [text + accessory, fields].filter(Boolean).join('\n');
    }
    case 'context':
      return block.elements
        .map((e) => ('text' in e && typeof e.text === 'string' ? mrkdwnToPlain(e.text) : ''))
        .filter(Boolean)
        .join(' · ');
    case 'actions':
      return block.elements
        .map((e) => ('text' in e && e.text && typeof e.text === 'object' && 'text' in e.text ? `[${mrkdwnToPlain(e.text.text)}]` : ''))
        .filter(Boolean)
        .join(' ');
    case 'divider':
      return '────────';
    case 'markdown':
      return block.text;
    default:
      return '';
  }
}
