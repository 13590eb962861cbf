import type { AnyReport, ExpiredSilence, Finding, SilenceMark, SilenceSummary } from '../model/index.js';

// How silences read in the CLI's outputs (text, Markdown, JUnit; JSON carries the marks as data):
// a silenced problem is listed with who silenced it, why and until when; an expired silence says
// that it no longer holds. Shared so the three formats cannot disagree.

export function silenceNote(mark: SilenceMark): string {
  const until = mark.expiresAt ? ` until ${mark.expiresAt.slice(0, 10)}` : '';
  const by = mark.createdBy ? ` (${mark.createdBy})` : '';
  return `silenced by ${mark.silenceId}${by}${until}: ${mark.reason}`;
}

export function expiredNote(expired: ExpiredSilence): string {
  return `silence ${expired.silenceId} expired ${expired.expiredAt.slice(0, 10)} and no longer holds (${expired.reason}): renew or remove it`;
}

/** Every silenced problem of a report: a diagnosis's findings, or a sweep's cluster and service findings. */
export function silencedFindings(report: AnyReport): Finding[] {
  const all = report.kind === 'diagnosis' ? report.findings : [...report.clusterFindings, ...report.problems.flatMap((p) => p.findings)];
  return all.filter((f) => f.silenced !== undefined);
}

/** "2 silenced · 1 expired silence", or '' when no silence was in play. */
export function silenceCountsLine(summary: SilenceSummary | undefined): string {
  if (!summary) return '';
  const parts = [`${summary.silenced} silenced`];
  if (summary.expired.length) parts.push(`${summary.expired.length} expired ${summary.expired.length === 1 ? 'silence' : 'silences'}`);
  return parts.join(' · ');
}
