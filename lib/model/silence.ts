import type { Facts, Labels } from './facts.js';
import type { Finding, Subject, SubjectKind } from './finding.js';

// Silences: a person decided a known problem should not page or fail CI for a while. A silenced
// finding is kept, marked and counted — never dropped — and it stops counting towards the status
// and the root cause. An expired silence is reported as expired, so nothing is muted for ever by
// accident. The CLI reads silences from a config file, the worker from the same format in the
// chart, and Slack's Silence button stores them in the state store: all three meet here.

export interface Silence {
  /** Stable and unique within its source: how a person removes it again. */
  id: string;
  /** Codes it covers; absent or empty covers every code. Plain strings: a stored silence outlives a release. */
  codes?: string[];
  /** Subject matchers; every one given must hold for one and the same subject of the finding. */
  kind?: SubjectKind;
  namespace?: string;
  /** An exact name, or `/regex/` (anchored by the author, not by us). */
  name?: string;
  /** Every label must be on the subject's object (a service, pod, node or namespace). */
  labels?: Labels;
  reason: string;
  /** ISO 8601; absent means until removed. */
  expiresAt?: string;
  /** Who or what made it: "file .netcheck.yaml", "<@U123> in #C42". */
  createdBy?: string;
  createdAt?: string;
  /** Slack silences hold in one channel only; absent holds everywhere. */
  channel?: string;
}

/** On a finding: which silence holds it and until when. */
export interface SilenceMark {
  silenceId: string;
  reason: string;
  expiresAt?: string;
  createdBy?: string;
}

export interface ExpiredSilence {
  silenceId: string;
  reason: string;
  expiredAt: string;
}

export interface SilenceContext {
  now: Date;
  /** The channel the report goes to; channel-bound silences hold only there. */
  channel?: string;
  /** The labels of a subject's object, when the facts have it. */
  labelsOf?: (subject: Subject) => Labels | undefined;
}

export interface SilenceOutcome<F extends Finding = Finding> {
  findings: F[];
  /** Problems now marked silenced. */
  silenced: number;
  /** Silences that would have matched a problem but are past their expiry: say so. */
  expired: ExpiredSilence[];
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    try {
      return new RegExp(pattern.slice(1, -1)).test(name);
    } catch {
      // An unparsable pattern is rejected when the silence is loaded; here it simply never matches.
      return false;
    }
  }
  return pattern === name;
}

function subjectMatches(silence: Silence, subject: Subject, context: SilenceContext): boolean {
  if (silence.kind && subject.kind !== silence.kind) return false;
  if (silence.namespace !== undefined && (subject.kind === 'namespace' ? subject.name : subject.namespace) !== silence.namespace) return false;
  if (silence.name !== undefined && !nameMatches(silence.name, subject.name)) return false;
  if (silence.labels && Object.keys(silence.labels).length) {
    const labels = context.labelsOf?.(subject);
    if (!labels) return false;
    if (!Object.entries(silence.labels).every(([key, value]) => labels[key] === value)) return false;
  }
  return true;
}

/** Whether a silence covers a finding, ignoring expiry. */
export function silenceCovers(silence: Silence, finding: Pick<Finding, 'code' | 'subjects'>, context: SilenceContext): boolean {
  if (silence.channel && silence.channel !== context.channel) return false;
  if (silence.codes?.length && !silence.codes.includes(finding.code)) return false;
  const matchesSubjects = silence.kind !== undefined || silence.namespace !== undefined || silence.name !== undefined || (silence.labels && Object.keys(silence.labels).length > 0);
  if (!matchesSubjects) return true;
  return finding.subjects.some((subject) => subjectMatches(silence, subject, context));
}

export function isExpired(silence: Silence, now: Date): boolean {
  return silence.expiresAt !== undefined && Date.parse(silence.expiresAt) <= now.getTime();
}

const isProblem = (finding: Finding) => finding.status === 'fail' || finding.status === 'warn' || finding.status === 'error';

/** Mark the problems the live silences cover; passes and skips are left alone (nothing to mute). */
export function applySilences<F extends Finding>(findings: readonly F[], silences: readonly Silence[], context: SilenceContext): SilenceOutcome<F> {
  const live = silences.filter((s) => !isExpired(s, context.now));
  const stale = silences.filter((s) => isExpired(s, context.now));
  const expired = new Map<string, ExpiredSilence>();
  let silenced = 0;
  const out = findings.map((finding) => {
    if (!isProblem(finding)) return finding;
    for (const silence of stale) {
      if (silenceCovers(silence, finding, context)) expired.set(silence.id, { silenceId: silence.id, reason: silence.reason, expiredAt: silence.expiresAt as string });
    }
    const holding = live.find((s) => silenceCovers(s, finding, context));
    if (!holding) return finding;
    silenced++;
    const mark: SilenceMark = {
      silenceId: holding.id,
      reason: holding.reason,
      ...(holding.expiresAt ? { expiresAt: holding.expiresAt } : {}),
      ...(holding.createdBy ? { createdBy: holding.createdBy } : {}),
    };
    return { ...finding, silenced: mark };
  });
  return { findings: out, silenced, expired: [...expired.values()] };
}

/** Labels of a subject's object in these facts: what label matchers read. */
export function labelsFromFacts(facts: Pick<Facts, 'services' | 'pods' | 'nodes' | 'namespaces'>): (subject: Subject) => Labels | undefined {
  return (subject) => {
    switch (subject.kind) {
      case 'service':
        return facts.services.find((s) => s.namespace === subject.namespace && s.name === subject.name)?.labels;
      case 'pod':
        return facts.pods.find((p) => p.namespace === subject.namespace && p.name === subject.name)?.labels;
      case 'node':
        return facts.nodes.find((n) => n.name === subject.name)?.labels;
      case 'namespace':
        return facts.namespaces.find((n) => n.name === subject.name)?.labels;
      default:
        return undefined;
    }
  };
}
