import { findingId, type FindingStatus, type Subject, type Finding } from '../../model/index.js';
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
