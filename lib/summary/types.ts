import type { Finding } from '../checks/types.js';
import type { ReportStatus, RootCause } from '../verdict/types.js';

/** One service's outcome inside a cluster sweep. */
export interface ServiceResult {
  namespace: string;
  name: string;
  status: ReportStatus;
  rootCause: RootCause | null;
  /** Non-pass findings only: a sweep of 10k services must stay small. */
  findings: Finding[];
}

/** A finding identified across runs: same code on the same subject = the same problem. */
export interface FindingRef {
  code: string;
  /** "shop/payments", "node-2", "kube-system/kube-proxy". */
  subject: string;
  status: Finding['status'];
  title: string;
}

export interface SweepReport {
  cluster: string;
  status: ReportStatus;
  startedAt: string;
  durationMs: number;
  apiRequests: number;
  counts: { namespaces: number; services: number; nodes: number; pods: number; ok: number; warn: number; fail: number; error: number };
  /** Cluster-wide findings: DNS, kube-proxy, CNI, nodes, node kernels, access errors. */
  clusterFindings: Finding[];
  /** Services that are not ok, worst first. */
  problems: ServiceResult[];
  /** What changed since the previous summary; absent on the first run or for ad-hoc baselines. */
  changes?: { since: string; added: FindingRef[]; resolved: FindingRef[] };
}
