// Report → GitHub-flavoured Markdown, for a pull-request or ticket comment (`-o markdown`).
// Cluster strings are stripped of control characters and escaped, so an object name cannot
// inject markup, links or mentions into the comment.
import { formatDuration, plural, stripControl, truncate } from './mrkdwn.js';
import { countsLine, isProblem, primaryRemediation, reportLabel, serviceProblemLine, serviceRef, sourceLine, sweepServiceCounts, verdictLine, viewReport } from './report-view.js';
import { expiredNote, silenceCountsLine, silencedFindings, silenceNote } from './silences.js';
import type { AnyReport, Finding, Report, ReportStatus, SweepReport } from '../model/index.js';

const STATUS_EMOJI: Record<ReportStatus | Finding['status'], string> = { ok: '✅', pass: '✅', warn: '⚠️', fail: '❌', error: '❗', skip: '⏭️' };
const EVIDENCE_LINES = 10;

/** Inline text: Markdown's punctuation escaped, `@` defused so nobody is pinged, one line. */
export function escapeMarkdown(value: string): string {
  return stripControl(value)
    .replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b')
    .replace(/\r?\n/g, ' ');
}

/** A fenced block whose fence is longer than any backtick run inside. */
function fenced(text: string, lang = ''): string {
  const clean = stripControl(text);
  const longest = Math.max(2, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${clean}\n${fence}`;
}

function findingLines(finding: Finding, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const lines = [`${pad}- ${STATUS_EMOJI[finding.status]} **${escapeMarkdown(finding.title)}** \`${escapeMarkdown(finding.code).replace(/\\/g, '')}\``];
  if (finding.silenced) lines.push(`${pad}  - 🔕 ${escapeMarkdown(silenceNote(finding.silenced))}`);
  for (const line of finding.evidence.slice(0, EVIDENCE_LINES)) lines.push(`${pad}  - ${escapeMarkdown(truncate(line, 500))}`);
  if (finding.evidence.length > EVIDENCE_LINES) lines.push(`${pad}  - …and ${finding.evidence.length - EVIDENCE_LINES} more lines`);
  return lines;
}

function silenceSection(report: AnyReport): string[] {
  const out: string[] = [];
  const silenced = report.kind === 'diagnosis' ? silencedFindings(report) : report.clusterFindings.filter((f) => f.silenced);
  if (silenced.length > 0) {
    out.push('', `### 🔕 Silenced (${plural(silenced.length, 'problem')}, not counted towards the status)`, '');
    for (const finding of silenced) out.push(...findingLines(finding));
  }
  const quiet = report.silences?.services ?? [];
  if (quiet.length > 0) out.push('', `Every problem silenced: ${quiet.map((s) => escapeMarkdown(s)).join(', ')}`);
  const expired = report.silences?.expired ?? [];
  if (expired.length > 0) {
    out.push('', '### ⏰ Expired silences', '');
    for (const e of expired) out.push(`- ${escapeMarkdown(expiredNote(e))}`);
  }
  return out;
}

function diagnosisMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`## ${STATUS_EMOJI[report.status]} ${escapeMarkdown(verdictLine(report))}`, '');
  const meta = [reportLabel(report.target), `cluster ${report.target.cluster}`, formatDuration(report.durationMs), countsLine(report.counts)];
  if (report.silences) meta.push(silenceCountsLine(report.silences));
  if (report.source) meta.push(sourceLine(report));
  out.push(`<sub>${meta.map(escapeMarkdown).join(' · ')}</sub>`);
  const fix = report.status === 'ok' ? '' : primaryRemediation(report);
  if (fix !== '') out.push('', '**Fix**', '', fenced(fix, 'sh'));

  const view = viewReport(report);
  if (view.problems.length > 0) {
    out.push('', `### Problems`, '');
    for (const group of view.problems) {
      out.push(...findingLines(group.cause));
      if (group.symptoms.length > 0) {
        out.push(`  - explains ${plural(group.symptoms.length, 'symptom')}:`);
        for (const symptom of group.symptoms) out.push(...findingLines(symptom, 2));
      }
    }
  }
  out.push(...silenceSection(report));
  if (view.passes.length > 0 || view.skips.length > 0) {
    out.push('', `<details><summary>${plural(view.passes.length, 'check')} passed, ${view.skips.length} skipped</summary>`, '');
    if (view.passes.length > 0) out.push(`Passed: ${[...new Set(view.passes.map((f) => `\`${f.code}\``))].join(', ')}`, '');
    for (const skip of view.skips) out.push(`- \`${skip.code}\`: ${escapeMarkdown(skip.detail)}`);
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}

function sweepMarkdown(sweep: SweepReport): string {
  const c = sweep.counts;
  const out: string[] = [];
  out.push(`## ${STATUS_EMOJI[sweep.status]} cluster ${escapeMarkdown(sweep.cluster)}: ${sweepServiceCounts(c)}`, '');
  const meta = [plural(c.namespaces, 'namespace'), plural(c.nodes, 'node'), plural(c.pods, 'pod'), formatDuration(sweep.durationMs)];
  if (sweep.silences) meta.push(silenceCountsLine(sweep.silences));
  out.push(`<sub>${meta.map(escapeMarkdown).join(' · ')}</sub>`);
  const clusterProblems = sweep.clusterFindings.filter((f) => isProblem(f) && !f.silenced);
  if (clusterProblems.length > 0) {
    out.push('', '### Cluster-wide', '');
    for (const f of clusterProblems) out.push(...findingLines(f));
  }
  if (sweep.problems.length > 0) {
    out.push('', '### Services', '', '| | Service | Problem | Fix |', '| --- | --- | --- | --- |');
    for (const p of sweep.problems) {
      const fix = p.rootCause?.remediation ? `\`${stripControl(p.rootCause.remediation).replace(/[`|\n]/g, ' ')}\`` : '';
      out.push(`| ${STATUS_EMOJI[p.status]} | ${escapeMarkdown(serviceRef(p))} | ${escapeMarkdown(serviceProblemLine(p))} | ${fix} |`);
    }
  }
  out.push(...silenceSection(sweep));
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(report: AnyReport): string {
  return report.kind === 'diagnosis' ? diagnosisMarkdown(report) : sweepMarkdown(report);
}
