// Report → Slack thread. The parent says what is wrong and how to fix it in one screen; replies
// carry the evidence, one per problem, with the symptoms a cause explains folded into its reply.
// Every string from the cluster is escaped, and every message is fitted to Block Kit's limits.
import { codeBlock, escapeMrkdwn, formatDuration, inlineCode, link, mention, plural, stripControl, truncate } from './mrkdwn.js';
import {
  countsLine,
  sourceLine,
  isProblem,
  leadFinding,
  primaryRemediation,
  serviceProblemLine,
  serviceVerificationTag,
  sweepServiceCounts,
  sweepUnverifiedLine,
  reportLabel,
  verdictLine,
  viewReport,
  type ProblemGroup,
} from './report-view.js';
import {
  actions,
  button,
  context,
  fallbackText,
  header,
  MessageBuilder,
  section,
  sectionWithButton,
  SLACK_LIMITS,
  type Block,
  type ButtonSpec,
  type SlackMessage,
  type SlackThread,
} from './slack-budget.js';
import { ACTION_IDS, encodeActionValue, silenceScopeFor } from '../slack/actions.js';
import type { Finding, FindingRef, Report, ReportStatus, ServiceResult, SilenceSummary, SweepReport, TargetSpec } from '../model/index.js';

export type { Block, SlackAttachment, SlackMessage, SlackThread } from './slack-budget.js';
export { messageBlocks } from './slack-budget.js';

export const RERUN_ACTION_ID = ACTION_IDS.rerun;

/** The colour bar beside a message, by status: Slack's own green, yellow and red, grey for "could not tell". */
export const STATUS_COLOR: Record<ReportStatus, string> = { ok: '#2eb67d', warn: '#ecb22e', fail: '#e01e5a', error: '#868686' };

/** Problems beyond this many are listed together in one reply instead of one reply each. */
const MAX_PROBLEM_REPLIES = 8;
/** Namespaces beyond this many share one overflow reply in a summary. */
const MAX_NAMESPACE_REPLIES = 15;
const EVIDENCE_LINES = 20;
const EVIDENCE_LINE_CHARS = 300;
const EVIDENCE_CHARS = 1500;
const FIX_CHARS = 2000;
const TOP_PROBLEMS = 5;
const CHANGES_LISTED = 5;
const SILENCES_LISTED = 10;

const STATUS_EMOJI: Record<ReportStatus | Finding['status'], string> = {
  ok: ':white_check_mark:',
  pass: ':white_check_mark:',
  warn: ':warning:',
  fail: ':red_circle:',
  error: ':exclamation:',
  skip: ':fast_forward:',
};

const STATUS_WORD: Record<ReportStatus, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', error: 'ERROR' };

export interface ThreadContext {
  cluster: string;
  /** Slack user id (rendered as a mention) or a plain name. */
  requester?: string;
  /** What started the run, e.g. "alert KubeServiceDown" or "daily schedule". */
  trigger?: string;
  /** Value for the Re-run button alone (older callers); `buttons` gives the full set. */
  rerunValue?: string;
  /** The check behind the message: with it the parent carries Re-run, Docs, Show all checks and Silence. */
  buttons?: { target: TargetSpec; cluster: string; /** Set on incident reports: Acknowledge and Resolved act on this alert thread. */ incidentThread?: string };
}

export function renderSlackThread(report: Report, ctx: ThreadContext): SlackThread {
  const view = viewReport(report);
  // The parent already says the root cause's verdict and fix: its reply does not say them again.
  const shown = { verdict: verdictLine(report), fix: report.status === 'ok' ? '' : primaryRemediation(report) };
  const replies = problemReplies(view.problems, shown);
  const passSkip = passSkipReply(view.passes, view.skips, ctx.buttons !== undefined);
  if (passSkip) replies.push(passSkip);
  return { parent: reportParent(report, ctx), replies };
}

/** The finding the parent's Docs and Silence buttons are about: the root cause, else the first problem. */
function leadProblem(report: Report): Finding | undefined {
  const id = report.rootCause?.id;
  return (id ? report.findings.find((f) => f.id === id) : undefined) ?? report.findings.find((f) => isProblem(f) && !f.silenced);
}

function parentButtons(report: Report, ctx: ThreadContext): ButtonSpec[] {
  if (!ctx.buttons) return ctx.rerunValue !== undefined ? [{ text: 'Re-run', actionId: ACTION_IDS.rerun, value: ctx.rerunValue }] : [];
  const { target, cluster, incidentThread } = ctx.buttons;
  const targetValue = encodeActionValue({ target, cluster });
  const lead = leadProblem(report);
  const specs: ButtonSpec[] = [{ text: ':repeat: Re-run', actionId: ACTION_IDS.rerun, value: targetValue }];
  if (lead?.docs && /^https?:\/\/\S+$/.test(lead.docs) && lead.docs.length <= SLACK_LIMITS.buttonUrl)
    specs.push({ text: ':book: Docs', actionId: ACTION_IDS.docs, url: lead.docs });
  specs.push({ text: ':mag: Show all checks', actionId: ACTION_IDS.showChecks, value: targetValue });
  const scope = lead ? silenceScopeFor(lead, target) : undefined;
  if (scope) {
    for (const duration of ['1h', '1d', '7d'] as const) {
      specs.push({
        text: `:no_bell: Silence ${duration.replace(/^(\d+)/, '$1 ')}`,
        actionId: `${ACTION_IDS.silence}_${duration}`,
        value: encodeActionValue({ target, cluster, scope, duration }),
      });
    }
  }
  if (incidentThread) {
    const value = encodeActionValue({ target, cluster, thread: incidentThread });
    specs.push(
      { text: ':raised_hand: Acknowledge', actionId: ACTION_IDS.acknowledge, value, style: 'primary' },
      { text: ':white_check_mark: Resolved', actionId: ACTION_IDS.resolve, value },
    );
  }
  return specs;
}

function reportParent(report: Report, ctx: ThreadContext): SlackMessage {
  const verdict = verdictLine(report);
  const builder = new MessageBuilder(0);
  // plain_text is never parsed for mentions, but cluster text keeps no angle brackets there either.
  const headline = `${STATUS_EMOJI[report.status]} ${stripControl(verdict).replace(/</g, '‹').replace(/>/g, '›')}`;
  builder.tryAdd(header(headline));
  // A verdict too long for the header (150) is said whole right under it.
  if (headline.length > SLACK_LIMITS.headerText) builder.tryAdd(section(`*${escapeMrkdwn(truncate(verdict, 1000))}*`));
  const fix = report.status === 'ok' ? '' : primaryRemediation(report);
  if (fix !== '') builder.tryAdd(section(`*Fix*\n${codeBlock(escapeMrkdwn(fix), SLACK_LIMITS.sectionText - 10)}`));
  const target = report.target;
  builder.tryAdd(
    context(
      `*${escapeMrkdwn(reportLabel(target))}*`,
      `cluster ${inlineCode(escapeMrkdwn(ctx.cluster))}`,
      target.kind === 'dns' ? `namespace ${inlineCode(escapeMrkdwn(target.namespace))}` : '',
      formatDuration(report.durationMs),
      countsLine(report.counts),
      report.source ? escapeMrkdwn(sourceLine(report)) : '',
      ctx.requester ? `requested by ${mention(ctx.requester)}` : '',
      ctx.trigger ? `via ${escapeMrkdwn(ctx.trigger)}` : '',
    ),
  );
  const silenced = silencedLine(report.findings, report.silences);
  if (silenced) builder.tryAdd(context(silenced));
  const specs = parentButtons(report, ctx);
  if (specs.length > 0) builder.tryAdd(actions(specs, 'netcheck_actions'));
  return builder.coloured(`${STATUS_WORD[report.status]}: ${verdict} (${reportLabel(target)}, cluster ${ctx.cluster})`, STATUS_COLOR[report.status]);
}

/** "🔕 2 problems silenced in this channel: …", and silences that ran out: nothing is muted unseen. */
function silencedLine(findings: readonly Finding[], summary: SilenceSummary | undefined): string {
  const held = findings.filter((f) => f.silenced);
  const parts: string[] = [];
  if (held.length > 0) {
    const shown = held.slice(0, 3).map((f) => {
      const until = f.silenced?.expiresAt ? ` until ${escapeMrkdwn(shortTime(f.silenced.expiresAt))}` : '';
      return `${inlineCode(escapeMrkdwn(f.code))}${until}`;
    });
    parts.push(`:no_bell: ${plural(held.length, 'problem')} silenced here: ${shown.join(', ')}${held.length > shown.length ? ` +${held.length - shown.length}` : ''}`);
  }
  for (const e of (summary?.expired ?? []).slice(0, 3))
    parts.push(`:alarm_clock: silence ${inlineCode(escapeMrkdwn(e.silenceId))} (${escapeMrkdwn(truncate(e.reason, 100))}) expired ${escapeMrkdwn(shortTime(e.expiredAt))}`);
  return parts.join(' · ');
}

/** "Dec 1 08:14 UTC": a moment people can compare with their own clock. */
export function shortTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const month = at.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${at.getUTCDate()} ${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')} UTC`;
}

interface ShownInParent {
  verdict: string;
  fix: string;
}

function problemReplies(groups: ProblemGroup[], shown: ShownInParent): SlackMessage[] {
  const individual = groups.slice(0, MAX_PROBLEM_REPLIES).map((group, i) => problemReply(group, i === 0 ? shown : undefined));
  const rest = groups.slice(MAX_PROBLEM_REPLIES);
  if (rest.length > 0) individual.push(moreProblemsReply(rest));
  return individual;
}

function findingHeadline(finding: Finding): string {
  return `${STATUS_EMOJI[finding.status]} *${escapeMrkdwn(truncate(finding.title, 300))}*`;
}

function problemReply(group: ProblemGroup, shown?: ShownInParent): SlackMessage {
  const { cause, symptoms } = group;
  const builder = new MessageBuilder();
  const [firstLine = '', ...moreLines] = cause.detail.split('\n');
  const detail = shown && firstLine === shown.verdict ? moreLines.join('\n').trim() : cause.detail;
  // The root cause's title is already the start of the parent's header: its reply opens with what is new.
  const headline =
    shown && shown.verdict.startsWith(cause.title) ? `${STATUS_EMOJI[cause.status]} *Why netcheck says so* ${inlineCode(escapeMrkdwn(cause.code))}` : findingHeadline(cause);
  builder.tryAdd(section(detail ? `${headline}\n${escapeMrkdwn(truncate(detail, SLACK_LIMITS.sectionText - 400))}` : headline));
  if (cause.remediation !== '' && cause.remediation !== shown?.fix) builder.tryAdd(section(`*Fix*\n${codeBlock(escapeMrkdwn(cause.remediation), FIX_CHARS)}`));
  const evidence = evidenceBlock(cause.evidence);
  if (evidence) builder.tryAdd(section(`*Evidence*\n${evidence}`));
  const footer = context(...findingFooter(cause));
  const symptomLines = symptoms.map((s) => `• ${findingHeadline(s)} — ${escapeMrkdwn(truncate(s.detail, 240))}`);
  const heading = `*Explains ${plural(symptoms.length, 'symptom')}:*`;
  const listed = symptoms.length > 0 ? addLines(builder, heading, symptomLines, footer) : 0;
  builder.tryAdd(footer);
  if (listed < symptoms.length) builder.addOverflowNote(`…and ${symptoms.length - listed} more explained symptoms`);

  const explained = symptoms.length > 0 ? ` — explains ${plural(symptoms.length, 'symptom')}` : '';
  return builder.message(`${cause.status.toUpperCase()}: ${cause.title}${explained}`);
}

function findingFooter(finding: Finding): string[] {
  const subjects = finding.subjects
    .slice(0, 3)
    .map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`)
    .join(', ');
  return [
    inlineCode(escapeMrkdwn(finding.code)),
    subjects ? escapeMrkdwn(truncate(subjects, 300)) + (finding.subjects.length > 3 ? ` +${finding.subjects.length - 3}` : '') : '',
    finding.docs ? link(finding.docs, 'docs') : '',
  ];
}

function evidenceBlock(evidence: string[]): string | null {
  if (evidence.length === 0) return null;
  const shown = evidence.slice(0, EVIDENCE_LINES).map((line) => truncate(line, EVIDENCE_LINE_CHARS));
  const more = evidence.length - shown.length;
  const body = shown.join('\n') + (more > 0 ? `\n…and ${more} more lines` : '');
  return codeBlock(escapeMrkdwn(body), EVIDENCE_CHARS);
}

/** Packs lines into texts of at most `max` characters each; an over-long line is shortened. */
function chunkLines(lines: string[], max: number): { text: string; count: number }[] {
  const chunks: { text: string; count: number }[] = [];
  let current: string[] = [];
  let length = 0;
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current.length > 0 && length + 1 + line.length > max) {
      chunks.push({ text: current.join('\n'), count: current.length });
      current = [];
      length = 0;
    }
    length += (current.length > 0 ? 1 : 0) + line.length;
    current.push(line);
  }
  if (current.length > 0) chunks.push({ text: current.join('\n'), count: current.length });
  return chunks;
}

/**
 * Fills a builder with bulleted lines under a heading, leaving room for `keepRoomFor` (a block
 * that must still follow); returns how many lines made it.
 */
function addLines(builder: MessageBuilder, heading: string, lines: string[], keepRoomFor?: Block): number {
  let listed = 0;
  for (const chunk of chunkLines(lines, SLACK_LIMITS.sectionText - heading.length - 1)) {
    const text = listed === 0 ? `${heading}\n${chunk.text}` : chunk.text;
    if (!builder.tryAdd(section(text), keepRoomFor)) break;
    listed += chunk.count;
  }
  return listed;
}

function moreProblemsReply(groups: ProblemGroup[]): SlackMessage {
  const builder = new MessageBuilder();
  const lines = groups.map((g) => {
    const symptoms = g.symptoms.length > 0 ? ` (explains ${plural(g.symptoms.length, 'symptom')})` : '';
    return `• ${findingHeadline(g.cause)} ${inlineCode(escapeMrkdwn(g.cause.code))}${symptoms} — ${escapeMrkdwn(truncate(g.cause.detail, 200))}`;
  });
  const listed = addLines(builder, `*${plural(groups.length, 'more problem')}:*`, lines);
  if (listed < groups.length) builder.addOverflowNote(`…and ${groups.length - listed} more`);
  return builder.message(`${plural(groups.length, 'more problem')}`);
}

/** "unknown, because no node agent reported (…)" → "no node agent reported": what one reason reads like in a tally. */
function skipReason(detail: string): string {
  return truncate(
    detail
      .replace(/^unknown,?\s*(because\s*)?/i, '')
      .split(/[.;\n]/)[0]!
      .trim(),
    120,
  );
}

/**
 * Passed and skipped checks as one collapsed line: how many passed, how many could not run and
 * the commonest reason (an unknown is never hidden, only summarised), how many do not apply.
 * Show all checks (or the JSON output) lists each with its reason.
 */
function passSkipReply(passes: Finding[], skips: Finding[], canShowAll: boolean): SlackMessage | null {
  if (passes.length === 0 && skips.length === 0) return null;
  const unknown = skips.filter((f) => /^unknown\b/i.test(f.detail));
  const notApplicable = skips.length - unknown.length;
  const parts: string[] = [];
  if (passes.length > 0) parts.push(`${STATUS_EMOJI.pass} ${plural(passes.length, 'check')} passed`);
  if (unknown.length > 0) {
    const reasons = new Map<string, number>();
    for (const f of unknown) reasons.set(skipReason(f.detail), (reasons.get(skipReason(f.detail)) ?? 0) + 1);
    const [reason, count] = [...reasons].sort((x, y) => y[1] - x[1])[0]!;
    // One reason shared by several is worth naming; six different ones are for Show all checks.
    const why = !reason || (count === 1 && unknown.length > 1) ? '' : ` — ${count === unknown.length ? '' : `${count} `}because ${escapeMrkdwn(reason)}`;
    parts.push(`${STATUS_EMOJI.skip} ${plural(unknown.length, 'check')} could not run${why}`);
  }
  if (notApplicable > 0) parts.push(`${plural(notApplicable, 'check')} not applicable`);
  parts.push(canShowAll ? '*Show all checks* lists each with its reason' : '`netcheck … -o json` lists each with its reason');
  const counts = [
    passes.length > 0 ? `${passes.length} passed` : '',
    unknown.length > 0 ? `${unknown.length} could not run` : '',
    notApplicable > 0 ? `${notApplicable} not applicable` : '',
  ].filter(Boolean);
  return { text: fallbackText(`Checks: ${counts.join(', ')}`), blocks: [context(parts.join(' · '))] };
}

/**
 * Every passed and skipped check with its reason: what the Show all checks button posts. The
 * report is a fresh run (the thread is never read back), and says when it ran.
 */
export function renderSlackAllChecks(report: Report): SlackMessage {
  const view = viewReport(report);
  const builder = new MessageBuilder();
  const label = reportLabel(report.target);
  builder.tryAdd(section(`:mag: *All checks for ${escapeMrkdwn(label)}* — fresh run at ${escapeMrkdwn(shortTime(report.startedAt))}: ${countsLine(report.counts)}`));
  const problems = report.findings
    .filter(isProblem)
    .map((f) => `• ${STATUS_EMOJI[f.status]} ${inlineCode(escapeMrkdwn(f.code))} — ${escapeMrkdwn(truncate(f.title, 200))}${f.silenced ? ' (silenced)' : ''}`);
  const passes = view.passes.map((f) => `• ${inlineCode(escapeMrkdwn(f.code))} — ${escapeMrkdwn(truncate(f.title, 200))}`);
  const unknown = view.skips.filter((f) => /^unknown\b/i.test(f.detail));
  const notApplicable = view.skips.filter((f) => !/^unknown\b/i.test(f.detail));
  const skipLine = (f: Finding) => `• ${inlineCode(escapeMrkdwn(f.code))} — ${escapeMrkdwn(truncate(f.detail, 240))}`;
  const sections: [string, string[]][] = [
    [`${STATUS_EMOJI.fail} *${plural(problems.length, 'problem')}* (each has its reply above):`, problems],
    [`${STATUS_EMOJI.pass} *${plural(passes.length, 'check')} passed:*`, passes],
    [`${STATUS_EMOJI.skip} *${plural(unknown.length, 'check')} could not run:*`, unknown.map(skipLine)],
    [`*${plural(notApplicable.length, 'check')} not applicable here:*`, notApplicable.map(skipLine)],
  ];
  let left = 0;
  for (const [heading, lines] of sections) {
    if (lines.length === 0) continue;
    left += lines.length - addLines(builder, heading, lines);
  }
  if (left > 0) builder.addOverflowNote(`…and ${left} more (\`netcheck … -o json\` lists every check)`);
  return builder.message(`All checks for ${label}: ${countsLine(report.counts)}`);
}

// ---- Cluster sweeps ----

export interface SummaryContext {
  cluster: string;
  title?: string;
  rerunValue?: string;
  /** The silences that hold in the summary's channel, each listed with an Unsilence button. */
  silences?: SilenceListing[];
  /** When summaries first saw a problem (code on "ns/name" or a node): older ones read "failing since …". */
  firstSeen?: (code: string, subject: string) => string | undefined;
}

/** A stored silence as the summary lists it. */
export interface SilenceListing {
  id: string;
  code: string;
  /** "svc shop/payments". */
  scope: string;
  expiresAt?: string;
  createdBy?: string;
}

export function renderSlackSummary(sweep: SweepReport, ctx: SummaryContext): SlackThread {
  const replies: SlackMessage[] = [];
  const clusterProblems = sweep.clusterFindings.filter(isProblem);
  if (clusterProblems.length > 0) replies.push(clusterFindingsReply(clusterProblems));
  const byNamespace = groupByNamespace(sweep.problems);
  const namespaces = [...byNamespace.entries()];
  for (const [namespace, results] of namespaces.slice(0, MAX_NAMESPACE_REPLIES)) replies.push(namespaceReply(namespace, results, sweep));
  const restNamespaces = namespaces.slice(MAX_NAMESPACE_REPLIES);
  if (restNamespaces.length > 0) replies.push(moreNamespacesReply(restNamespaces));
  return { parent: summaryParent(sweep, ctx, clusterProblems), replies };
}

function summaryHeadline(sweep: SweepReport, clusterProblems: Finding[]): string {
  const c = sweep.counts;
  if (sweep.status === 'ok' && clusterProblems.length === 0) {
    return c.unverified === 0 ? `All ${plural(c.services, 'service')} look healthy` : `No problem found in ${plural(c.services, 'service')}, ${c.unverified} of them unverified`;
  }
  const services = sweepServiceCounts(c);
  const cluster = clusterProblems.length > 0 ? ` · ${plural(clusterProblems.length, 'cluster-wide problem')}` : '';
  return services + cluster;
}

/** " · failing since Nov 28 08:00 UTC" for a problem an earlier summary already saw; nothing for a new one. */
function sinceNote(result: ServiceResult, sweep: SweepReport, ctx: SummaryContext): string {
  const lead = leadFinding(result);
  const first = lead ? ctx.firstSeen?.(lead.code, `${result.namespace}/${result.name}`) : undefined;
  if (!first || Date.parse(first) >= Date.parse(sweep.startedAt)) return '';
  return ` · _${result.status === 'warn' ? 'warning' : 'failing'} since ${escapeMrkdwn(shortTime(first))}_`;
}

function summaryParent(sweep: SweepReport, ctx: SummaryContext, clusterProblems: Finding[]): SlackMessage {
  const builder = new MessageBuilder(0);
  const title = ctx.title ?? `Network summary — ${ctx.cluster}`;
  const headline = summaryHeadline(sweep, clusterProblems);
  builder.tryAdd(header(title));
  builder.tryAdd(section(`${STATUS_EMOJI[sweep.status]} *${escapeMrkdwn(headline)}*`));
  const c = sweep.counts;
  builder.tryAdd(
    context(
      `cluster ${inlineCode(escapeMrkdwn(ctx.cluster))}`,
      `${plural(c.namespaces, 'namespace')} · ${plural(c.services, 'service')} · ${plural(c.nodes, 'node')} · ${plural(c.pods, 'pod')}`,
      `${c.ok} ok · ${c.unverified} unverified · ${c.warn} warn · ${c.fail} fail · ${c.error} error`,
      `checked in ${formatDuration(sweep.durationMs)} with ${plural(sweep.apiRequests, 'API request')}`,
    ),
  );
  const unverifiedLine = sweepUnverifiedLine(sweep);
  if (unverifiedLine) builder.tryAdd(context(`:grey_question: ${escapeMrkdwn(truncate(unverifiedLine, 500))}`));
  if (sweep.unseen) builder.tryAdd(context(`:grey_question: ${escapeMrkdwn(truncate(sweep.unseen, 500))}`));

  const top = [
    ...clusterProblems.map((f) => `• ${STATUS_EMOJI[f.status]} *${escapeMrkdwn(truncate(f.title, 300))}* (cluster-wide)`),
    ...sweep.problems.map(
      (p) =>
        `• ${STATUS_EMOJI[p.status]} *${escapeMrkdwn(`${p.namespace}/${p.name}`)}*${verificationTag(p, sweep)} — ${escapeMrkdwn(truncate(serviceProblemLine(p), 300))}${sinceNote(p, sweep, ctx)}`,
    ),
  ];
  if (top.length > 0) {
    const shown = top.slice(0, TOP_PROBLEMS);
    const more = top.length - shown.length;
    builder.tryAdd(section(`*Top problems*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more in the thread` : ''}`));
  }
  builder.tryAdd(section(changesText(sweep.changes)));
  addSilenceListing(builder, sweep, ctx);
  if (ctx.rerunValue !== undefined) builder.tryAdd(button(':repeat: Re-run', RERUN_ACTION_ID, ctx.rerunValue));
  return builder.coloured(`${title}: ${headline}`, STATUS_COLOR[sweep.status]);
}

/** One row per silence with its Unsilence button; `/netcheck silences` lists them all. */
function addSilenceRows(builder: MessageBuilder, listed: SilenceListing[], cluster: string, max: number): void {
  let shown = 0;
  for (const silence of listed.slice(0, max)) {
    const until = silence.expiresAt ? ` until ${escapeMrkdwn(shortTime(silence.expiresAt))}` : '';
    const by = silence.createdBy ? ` · by ${mention(silence.createdBy)}` : '';
    const value = encodeActionValue({ target: { kind: 'cluster' }, cluster, silenceId: silence.id });
    const text = `${inlineCode(escapeMrkdwn(silence.code))} on *${escapeMrkdwn(truncate(silence.scope, 300))}*${until}${by} · ${inlineCode(escapeMrkdwn(silence.id))}`;
    if (!builder.tryAdd(sectionWithButton(text, { text: 'Unsilence', actionId: ACTION_IDS.unsilence, value }))) break;
    shown += 1;
  }
  if (listed.length > shown) builder.addOverflowNote(`…and ${listed.length - shown} more silences (\`/netcheck silences\` lists them all)`);
}

/** `/netcheck silences`: this channel's silences, each removable. */
export function renderSlackSilences(listed: SilenceListing[], cluster: string): SlackMessage {
  if (listed.length === 0)
    return {
      text: fallbackText(`No silences in this channel (cluster ${cluster})`),
      blocks: [context(`:bell: No silences in this channel on cluster ${inlineCode(escapeMrkdwn(cluster))}: every problem counts.`)],
    };
  const builder = new MessageBuilder();
  builder.tryAdd(section(`:no_bell: *${plural(listed.length, 'silence')} in this channel* on cluster ${inlineCode(escapeMrkdwn(cluster))}`));
  addSilenceRows(builder, listed, cluster, SLACK_LIMITS.blocksPerMessage);
  return builder.message(`${plural(listed.length, 'silence')} in this channel`);
}

/** What the silences of this channel hold in this sweep, then each silence with its Unsilence button. */
function addSilenceListing(builder: MessageBuilder, sweep: SweepReport, ctx: SummaryContext): void {
  const listed = ctx.silences ?? [];
  const held = sweep.silences?.silenced ?? 0;
  const quiet = sweep.silences?.services ?? [];
  const expired = sweep.silences?.expired ?? [];
  if (listed.length === 0 && held === 0 && expired.length === 0) return;
  const heldText =
    held > 0
      ? ` — holding ${plural(held, 'problem')}${
          quiet.length > 0
            ? `; ${plural(quiet.length, 'service')} fully silenced (${quiet
                .slice(0, 5)
                .map((q) => escapeMrkdwn(q))
                .join(', ')}${quiet.length > 5 ? ', …' : ''})`
            : ''
        }`
      : '';
  builder.tryAdd(section(`:no_bell: *${plural(listed.length, 'silence')} in this channel*${heldText}`));
  addSilenceRows(builder, listed, ctx.cluster, SILENCES_LISTED);
  for (const e of expired.slice(0, 3))
    builder.tryAdd(
      context(
        `:alarm_clock: silence ${inlineCode(escapeMrkdwn(e.silenceId))} (${escapeMrkdwn(truncate(e.reason, 100))}) expired ${escapeMrkdwn(shortTime(e.expiredAt))}: what it held is counted again`,
      ),
    );
}

function changesText(changes: SweepReport['changes']): string {
  if (!changes) return '*Changes:* first summary — nothing to compare with yet.';
  const since = escapeMrkdwn(shortTime(changes.since));
  if (changes.added.length === 0 && changes.resolved.length === 0) return `*Changes since ${since}:* none.`;
  const ref = (r: FindingRef) => `${inlineCode(escapeMrkdwn(r.code))} on *${escapeMrkdwn(r.subject)}* — ${escapeMrkdwn(truncate(r.title, 200))}`;
  const list = (refs: FindingRef[], emoji: string, word: string) => {
    if (refs.length === 0) return '';
    const shown = refs.slice(0, CHANGES_LISTED).map((r) => `${emoji} ${ref(r)}`);
    const more = refs.length - shown.length;
    return `${emoji} *${refs.length} ${word}*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more ${word}` : ''}`;
  };
  return [`*Changes since ${since}:*`, list(changes.added, ':heavy_plus_sign:', 'new'), list(changes.resolved, ':heavy_minus_sign:', 'resolved')].filter(Boolean).join('\n');
}

function clusterFindingsReply(findings: Finding[]): SlackMessage {
  const builder = new MessageBuilder();
  builder.tryAdd(section(`*Cluster-wide: ${plural(findings.length, 'problem')}*`));
  let listed = 0;
  for (const f of findings) {
    const fix = f.remediation !== '' ? `\n${codeBlock(escapeMrkdwn(f.remediation), 800)}` : '';
    const text = `${findingHeadline(f)} ${inlineCode(escapeMrkdwn(f.code))}\n${escapeMrkdwn(truncate(f.detail, 1200))}${fix}`;
    if (!builder.tryAdd(section(text))) break;
    listed += 1;
  }
  if (listed < findings.length) builder.addOverflowNote(`…and ${findings.length - listed} more cluster-wide problems`);
  return builder.message(`Cluster-wide: ${plural(findings.length, 'problem')}`);
}

function groupByNamespace(problems: ServiceResult[]): Map<string, ServiceResult[]> {
  const groups = new Map<string, ServiceResult[]>();
  for (const p of problems) {
    const list = groups.get(p.namespace) ?? [];
    list.push(p);
    groups.set(p.namespace, list);
  }
  return groups;
}

function statusCounts(results: ServiceResult[]): string {
  const count = (s: ReportStatus) => results.filter((r) => r.status === s).length;
  return [count('fail') ? `${count('fail')} failing` : '', count('error') ? `${count('error')} errors` : '', count('warn') ? `${count('warn')} warning` : '']
    .filter(Boolean)
    .join(', ');
}

/** " _(unverified)_" after a service the sweep did not diagnose in full. */
function verificationTag(result: ServiceResult, sweep: SweepReport): string {
  const tag = serviceVerificationTag(result, sweep);
  return tag ? ` _(${escapeMrkdwn(truncate(tag, 200))})_` : '';
}

function namespaceReply(namespace: string, results: ServiceResult[], sweep: SweepReport): SlackMessage {
  const builder = new MessageBuilder();
  builder.tryAdd(section(`*Namespace ${inlineCode(escapeMrkdwn(namespace))}* — ${statusCounts(results)}`));
  let listed = 0;
  for (const r of results) {
    const fixSource = r.rootCause?.remediation || r.findings.find((f) => f.remediation !== '')?.remediation || '';
    const fix = fixSource !== '' ? `\n${codeBlock(escapeMrkdwn(fixSource), 600)}` : '';
    const text = `${STATUS_EMOJI[r.status]} *${escapeMrkdwn(r.name)}*${verificationTag(r, sweep)} — ${escapeMrkdwn(truncate(serviceProblemLine(r), 600))}${fix}`;
    if (!builder.tryAdd(section(text))) break;
    listed += 1;
  }
  if (listed < results.length) builder.addOverflowNote(`…and ${results.length - listed} more services in ${escapeMrkdwn(namespace)}`);
  return builder.message(`${namespace}: ${statusCounts(results)}`);
}

function moreNamespacesReply(namespaces: [string, ServiceResult[]][]): SlackMessage {
  const builder = new MessageBuilder();
  const lines = namespaces.map(([ns, results]) => `• ${inlineCode(escapeMrkdwn(ns))} — ${statusCounts(results)}`);
  const listed = addLines(builder, `*${plural(namespaces.length, 'more namespace')} with problems:*`, lines);
  if (listed < namespaces.length) builder.addOverflowNote(`…and ${namespaces.length - listed} more`);
  return builder.message(`${plural(namespaces.length, 'more namespace')} with problems`);
}

// ---- Alert follow-ups ----

export type SlackFollowUp =
  /** More alerts arrived for a group whose thread already exists. */
  | { kind: 'more-alerts'; count: number; alertNames: string[] }
  /** The alert resolved; `report` is the fresh re-check. */
  | { kind: 'resolved'; alertName?: string; report: Report }
  /** Another notification, and the re-check found no problem the thread has not announced already. */
  | {
      kind: 'unchanged';
      since: string;
      notification: number;
      status: ReportStatus;
      verdict: string;
      alertNames: string[];
      count?: number;
      silenced?: number;
      acknowledgedBy?: string;
    };

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function renderSlackFollowUp(followUp: SlackFollowUp): SlackMessage {
  if (followUp.kind === 'unchanged') {
    const state = followUp.status === 'ok' ? 'still quiet' : followUp.status === 'error' ? 'still unchecked' : 'still failing';
    const alert = followUp.alertNames[0] ? `${escapeMrkdwn(truncate(followUp.alertNames[0], 100))}: ` : '';
    const alerts = followUp.count !== undefined ? ` (${plural(followUp.count, 'alert')})` : '';
    const held =
      (followUp.silenced ? ` · :no_bell: ${followUp.silenced} silenced here` : '') +
      (followUp.acknowledgedBy ? ` · :raised_hand: acknowledged by ${mention(followUp.acknowledgedBy)}` : '');
    const line = `:repeat: ${alert}${state} since ${escapeMrkdwn(shortTime(followUp.since))}, ${ordinal(followUp.notification)} notification${alerts} — nothing new: ${STATUS_EMOJI[followUp.status]} ${escapeMrkdwn(truncate(followUp.verdict, 1000))}${held}`;
    return {
      text: fallbackText(
        `${followUp.alertNames[0] ? `${followUp.alertNames[0]}: ` : ''}${state} since ${shortTime(followUp.since)}, ${ordinal(followUp.notification)} notification — nothing new`,
      ),
      blocks: [context(line)],
    };
  }
  if (followUp.kind === 'more-alerts') {
    const names = [...new Set(followUp.alertNames)];
    const shown = names.slice(0, 5).map((n) => escapeMrkdwn(truncate(n, 100)));
    const list = shown.length > 0 ? ` (${shown.join(', ')}${names.length > shown.length ? '…' : ''})` : '';
    const text = `:bell: ${plural(followUp.count, 'more alert')} in this group${list}`;
    return { text: fallbackText(`${plural(followUp.count, 'more alert')} in this group`), blocks: [context(text)] };
  }
  const { report } = followUp;
  const alert = followUp.alertName ? `${escapeMrkdwn(truncate(followUp.alertName, 200))} resolved` : 'Alert resolved';
  const verdict = verdictLine(report);
  const text = `:white_check_mark: *${alert}.* Fresh re-check: ${STATUS_EMOJI[report.status]} ${escapeMrkdwn(truncate(verdict, 1000))}`;
  return { text: fallbackText(`${followUp.alertName ?? 'Alert'} resolved. Re-check: ${STATUS_WORD[report.status]} ${verdict}`), blocks: [section(text)] };
}

/**
 * The answer when a job cannot produce a report (misrouted, out of retries): the reason may quote
 * cluster or API text, so it is escaped like any other cluster data.
 */
export function renderSlackJobFailure(failure: { target: string; cluster: string; reason: string }): SlackMessage {
  const line = `netcheck could not check ${failure.target} on cluster ${failure.cluster}: ${failure.reason}`;
  return { text: fallbackText(line), blocks: [section(`${STATUS_EMOJI.error} ${escapeMrkdwn(truncate(line, SLACK_LIMITS.sectionText - 20))}`)] };
}

/** A short note in a thread for what a button did (acknowledged, resolved, silenced, unsilenced). */
export function renderSlackNote(mrkdwn: string, fallback: string): SlackMessage {
  return { text: fallbackText(fallback), blocks: [context(truncate(mrkdwn, SLACK_LIMITS.sectionText))] };
}
