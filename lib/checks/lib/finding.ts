import type { Check, Finding, FindingStatus, Subject } from '../types.js';

type FindingInput = {
  status: FindingStatus;
  detail: string;
  title?: string;
  evidence?: string[];
  remediation?: string;
  subjects?: Subject[];
};

/** Build a finding for `check`, filling code, docs and the default title. */
export function finding(check: Pick<Check, 'code' | 'title' | 'docs'>, input: FindingInput): Finding {
  return {
    code: check.code,
    status: input.status,
    title: input.title ?? check.title,
    detail: input.detail,
    evidence: input.evidence ?? [],
    remediation: input.status === 'pass' || input.status === 'skip' ? '' : (input.remediation ?? ''),
    docs: check.docs,
    subjects: input.subjects ?? [],
  };
}

/** A check that has nothing to look at for this target says so instead of passing. */
export function skipped(check: Pick<Check, 'code' | 'title' | 'docs'>, reason: string): Finding {
  return finding(check, { status: 'skip', detail: reason });
}
