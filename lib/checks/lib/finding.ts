import { findingId, type Facts, type FindingStatus, type Subject, type Finding } from '../../model/index.js';
import type { Check } from '../types.js';

type FindingInput = {
  status: FindingStatus;
  detail: string;
  title?: string;
  evidence?: string[];
  remediation?: string;
  subjects?: Subject[];
};

type CheckIdentity = Pick<Check, 'code' | 'title' | 'docs' | 'layer' | 'passTitle'>;

/** Build a finding for `check`, filling code, layer, docs, the id and the default title. */
export function finding(check: CheckIdentity, input: FindingInput): Finding {
  const subjects = input.subjects ?? [];
  const defaultTitle = input.status === 'pass' && check.passTitle ? check.passTitle : check.title;
  return {
    id: findingId(check.code, subjects),
    code: check.code,
    layer: check.layer,
    status: input.status,
    title: input.title ?? defaultTitle,
    detail: input.detail,
    evidence: input.evidence ?? [],
    remediation: input.status === 'pass' || input.status === 'skip' ? '' : (input.remediation ?? ''),
    docs: check.docs,
    subjects,
  };
}

/** A check that has nothing to look at for this target says so instead of passing. */
export function skipped(check: CheckIdentity, reason: string): Finding {
  return finding(check, { status: 'skip', detail: reason });
}

/** Each check's bare pass and skip, made once: shared by every Service of a sweep, so never written to. */
const bare = new Map<string, Finding>();

/** What a sweep's per-Service view gets in place of a worded pass or skip of `check`. */
export function unworded(check: CheckIdentity, status: 'pass' | 'skip'): Finding {
  const key = `${status} ${check.code}`;
  let found = bare.get(key);
  if (!found) bare.set(key, (found = Object.freeze(finding(check, { status, detail: `${status === 'pass' ? 'passed' : 'not judged'} (a sweep reports problems only)` }))));
  return found;
}

/**
 * The check passed. A sweep's per-Service view (`keeps: 'problems'`) drops passes unread, so it
 * gets the check's bare pass, and `word` (the detail, evidence and subjects, built from template
 * strings) runs only for a report that shows passes: a sweep would otherwise word 10k of them
 * per check and throw every one away.
 */
export function passed(check: CheckIdentity, facts: Pick<Facts, 'keeps'>, word: () => Omit<FindingInput, 'status'>): Finding {
  return facts.keeps === 'problems' ? unworded(check, 'pass') : finding(check, { status: 'pass', ...word() });
}

/** The check could not judge, for `reason`: worded, like a pass, only for a report that shows skips. */
export function skippedBecause(check: CheckIdentity, facts: Pick<Facts, 'keeps'>, reason: () => string): Finding {
  return facts.keeps === 'problems' ? unworded(check, 'skip') : skipped(check, reason());
}
