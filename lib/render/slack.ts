// Report → Slack thread. The parent says what is wrong and how to fix it in one screen; replies
// carry the evidence, one per problem, with the symptoms a cause explains folded into its reply.
// Every string from the cluster is escaped, and every message is fitted to Block Kit's limits.
import { codeBlock, escapeMrkdwn, formatDuration, inlineCode, link, mention, plural, truncate } from './mrkdwn.js';
import { countsLine, sourceLine, isProblem, primaryRemediation, serviceProblemLine, serviceVerificationTag, sweepUnverifiedLine, reportLabel, verdictLine, viewReport, type ProblemGroup } from './report-view.js';
import { button, context, fallbackText, header, MessageBuilder, section, SLACK_LIMITS, type Block, type SlackMessage, type SlackThread } from './slack-budget.js';
import type { Finding, FindingRef, Report, ReportStatus, ServiceResult, SweepReport } from '../model/index.js';

export type { Block, SlackMessage, SlackThread } from './slack-budget.js';

export const RERUN_ACTION_ID = 'netcheck_rerun';

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
  /** Value for the Re-run button; no button without it. */
  rerunValue?: string;
}

export function renderSlackThread(report: Report, ctx: ThreadContext): SlackThread {
  const view = viewReport(report);
  // The parent already says the root cause's verdict and fix: its reply does not say them again.
  const shown = { verdict: verdictLine(report), fix: report.status === 'ok' ? '' : primaryRemediation(report) };
  const replies = problemReplies(view.problems, shown);
  const passSkip = passSkipReply(view.passes, view.skips);
  if (passSkip) replies.push(passSkip);
  return { parent: reportParent(report, ctx), replies };
}

function reportParent(report: Report, ctx: ThreadContext): SlackMessage {
  const verdict = verdictLine(report);
  const builder = new MessageBuilder(0);
  builder.tryAdd(section(`${STATUS_EMOJI[report.status]} *${escapeMrkdwn(truncate(verdict, 1000))}*`));
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
  if (ctx.rerunValue !== undefined) builder.tryAdd(button('Re-run', RERUN_ACTION_ID, ctx.rerunValue));
  return builder.message(`${STATUS_WORD[report.status]}: ${verdict} (${reportLabel(target)}, cluster ${ctx.cluster})`);
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
  builder.tryAdd(section(detail ? `${findingHeadline(cause)}\n${escapeMrkdwn(truncate(detail, SLACK_LIMITS.sectionText - 400))}` : findingHeadline(cause)));
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

function passSkipReply(passes: Finding[], skips: Finding[]): SlackMessage | null {
  if (passes.length === 0 && skips.length === 0) return null;
  const builder = new MessageBuilder();
  if (passes.length > 0) {
    const codes = [...new Set(passes.map((f) => f.code))].map((c) => inlineCode(escapeMrkdwn(c))).join(', ');
    builder.tryAdd(section(`${STATUS_EMOJI.pass} *${plural(passes.length, 'check')} passed:* ${codes}`));
  }
  // What could not be checked ("unknown, because …") is listed; what does not apply is one line.
  const unknown = skips.filter((f) => /^unknown\b/i.test(f.detail));
  const notApplicable = skips.length - unknown.length;
  let listed = 0;
  if (unknown.length > 0) {
    const lines = unknown.map((f) => `• ${inlineCode(escapeMrkdwn(f.code))} — ${escapeMrkdwn(truncate(f.detail, 300))}`);
    listed = addLines(builder, `${STATUS_EMOJI.skip} *${plural(unknown.length, 'check')} could not run:*`, lines);
  }
  if (listed < unknown.length) builder.addOverflowNote(`…and ${unknown.length - listed} more could not run`);
  if (notApplicable > 0) builder.tryAdd(context(`${STATUS_EMOJI.skip} ${plural(notApplicable, 'check')} not applicable here (netcheck … -o json lists each with its reason)`));
  const parts = [passes.length > 0 ? `${passes.length} passed` : '', skips.length > 0 ? `${skips.length} skipped` : ''].filter(Boolean);
  return builder.message(`Checks: ${parts.join(', ')}`);
}

// ---- Cluster sweeps ----

export interface SummaryContext {
  cluster: string;
  title?: string;
  rerunValue?: string;
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
  const parts = [
    c.fail > 0 ? `${c.fail} failing` : '',
    c.error > 0 ? `${c.error} unchecked (errors)` : '',
    c.warn > 0 ? `${c.warn} warning` : '',
    c.unverified > 0 ? `${c.unverified} unverified` : '',
  ].filter(Boolean);
  const services = parts.length > 0 ? `${parts.join(', ')} of ${plural(c.services, 'service')}` : `${plural(c.services, 'service')} checked`;
  const cluster = clusterProblems.length > 0 ? ` · ${plural(clusterProblems.length, 'cluster-wide problem')}` : '';
  return services + cluster;
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

  const top = [
    ...clusterProblems.map((f) => `• ${STATUS_EMOJI[f.status]} *${escapeMrkdwn(truncate(f.title, 300))}* (cluster-wide)`),
    ...sweep.problems.map((p) => `• ${STATUS_EMOJI[p.status]} *${escapeMrkdwn(`${p.namespace}/${p.name}`)}*${verificationTag(p, sweep)} — ${escapeMrkdwn(truncate(serviceProblemLine(p), 300))}`),
  ];
  if (top.length > 0) {
    const shown = top.slice(0, TOP_PROBLEMS);
    const more = top.length - shown.length;
    builder.tryAdd(section(`*Top problems*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more in the thread` : ''}`));
  }
  builder.tryAdd(section(changesText(sweep.changes)));
  if (ctx.rerunValue !== undefined) builder.tryAdd(button('Re-run', RERUN_ACTION_ID, ctx.rerunValue));
  return builder.message(`${title}: ${headline}`);
}

function changesText(changes: SweepReport['changes']): string {
  if (!changes) return '*Changes:* first summary — nothing to compare with yet.';
  const since = escapeMrkdwn(changes.since);
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
  return [count('fail') ? `${count('fail')} failing` : '', count('error') ? `${count('error')} errors` : '', count('warn') ? `${count('warn')} warning` : ''].filter(Boolean).join(', ');
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
  | { kind: 'resolved'; alertName?: string; report: Report };

export function renderSlackFollowUp(followUp: SlackFollowUp): SlackMessage {
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
