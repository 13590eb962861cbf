import type { Finding, Subject } from '../checks/types.js';
import type { Target } from '../facts/types.js';

export type ReportStatus = 'ok' | 'warn' | 'fail' | 'error';

export interface RootCause {
  code: string;
  /** One line a person can act on: cause, where, and what it breaks. */
  summary: string;
  remediation: string;
  subjects: Subject[];
  /** Codes of the symptoms this cause explains. */
  explains: string[];
  /** One line per explained symptom: "3 of 3 endpoint connections time out — explained by ip-forward-disabled on node-2". */
  symptoms?: string[];
}

export interface Report {
  target: Target;
  status: ReportStatus;
  rootCause: RootCause | null;
  /** Ordered by causality: root cause first, the symptoms it explains next, then the rest. */
  findings: Finding[];
  counts: Record<Finding['status'], number>;
  startedAt: string;
  durationMs: number;
  apiRequests?: number;
}
