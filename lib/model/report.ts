import type { Code, Finding, Subject } from './finding.js';
import type { ExpiredSilence } from './silence.js';
import type { Target } from './target.js';

// What the engine hands the renderers: the verdict's decisions, already made. Renderers format
// groups and lines; they never re-derive which symptom belongs to which cause.

export type ReportStatus = 'ok' | 'warn' | 'fail' | 'error';

export interface RootCause {
  /** The id of the root-cause finding in `findings`. */
  id: string;
  code: Code;
  /** One line a person can act on: cause, where, and what it breaks. */
  summary: string;
  remediation: string;
  subjects: Subject[];
  /** Codes of the symptoms this cause explains. */
  explains: Code[];
  /** One line per explained symptom: "3 of 3 endpoint connections time out — explained by ip-forward-disabled on node-2". */
  symptoms?: string[];
}

/** A cause and the symptoms the verdict filed under it, by finding id, in reading order. */
export interface CauseGroup {
  cause: string;
  symptoms: string[];
}

/** Where the probes started and which node their packets left from. */
export interface ProbeOrigin {
  description: string;
  node?: string;
  pod?: { namespace: string; name: string; ip?: string };
}

export interface Report {
  kind: 'diagnosis';
  target: Target;
  status: ReportStatus;
  rootCause: RootCause | null;
  /** Ordered by causality: root cause first, the symptoms it explains next, then the rest. */
  findings: Finding[];
  /** Problems (fail, warn, error) grouped by cause, root cause first; every problem not silenced is in exactly one group. */
  groups: CauseGroup[];
  counts: Record<Finding['status'], number>;
  /** The probing source and its node, when probes ran. */
  source?: ProbeOrigin;
  startedAt: string;
  durationMs: number;
  apiRequests?: number;
  /** Present when silences were given: how many problems they hold, and those that have expired. */
  silences?: SilenceSummary;
}

export interface SilenceSummary {
  /** Problems the silences hold. */
  silenced: number;
  expired: ExpiredSilence[];
  /** Sweeps: services whose every problem is silenced ("ns/name"), left out of `problems`. */
  services?: string[];
}

/** One service's outcome inside a cluster sweep. */
export interface ServiceResult {
  namespace: string;
  name: string;
  status: ReportStatus;
  rootCause: RootCause | null;
  /** Non-pass findings only: a sweep of 10k services must stay small. */
  findings: Finding[];
  /**
   * True when the service was diagnosed in full (probes, its path's node agents, the cluster
   * components), so `status` and `rootCause` are what `netcheck svc` says. False: the API checks
   * alone, which cannot see the data plane — an unverified warning may be a failure, and an
   * unverified root cause may sit on a node or in DNS.
   */
  verified: boolean;
  /** Why it was not verified ("probes disabled with --no-probes", "beyond the 20 services the sweep probes"). */
  unverifiedReason?: string;
}

/** Which services the sweep diagnosed in full, and why the others were not. */
export interface SweepVerification {
  /** Services diagnosed in full (probed). */
  probed: number;
  /** At most this many services are probed per sweep (0: none). */
  limit: number;
  /** Why the services that were not probed were not; absent when every service was probed. */
  reason?: string;
}

/** A finding identified across runs: same code on the same subject = the same problem. */
export interface FindingRef {
  /** A string, not a Code: refs are stored, and a stored summary outlives the version that wrote it. */
  code: string;
  /** "shop/payments", "node-2", "kube-system/kube-proxy". */
  subject: string;
  status: Finding['status'];
  title: string;
}

export interface SweepReport {
  kind: 'sweep';
  cluster: string;
  status: ReportStatus;
  startedAt: string;
  durationMs: number;
  apiRequests: number;
  /**
   * `ok` counts only services verified healthy; `unverified` those whose API checks pass but that
   * were not probed (never counted ok). ok + unverified + warn + fail + error = services.
   */
  counts: { namespaces: number; services: number; nodes: number; pods: number; ok: number; unverified: number; warn: number; fail: number; error: number };
  /** Cluster-wide findings: DNS, kube-proxy, CNI, nodes, node kernels, access errors. */
  clusterFindings: Finding[];
  /** Services that are not ok, worst first. */
  problems: ServiceResult[];
  verification: SweepVerification;
  /**
   * What the sweep could not see, as one "unknown, because …" (namespaced mode: the other
   * namespaces and the cluster-wide policies). Absent: it read the whole cluster.
   */
  unseen?: string;
  /** What changed since the previous summary; absent on the first run or for ad-hoc baselines. */
  changes?: { since: string; added: FindingRef[]; resolved: FindingRef[] };
  silences?: SilenceSummary;
}

export type AnyReport = Report | SweepReport;

/** The status a set of findings adds up to; silenced problems do not count. */
export function reportStatus(all: readonly Pick<Finding, 'status' | 'silenced'>[]): ReportStatus {
  const findings = all.filter((f) => !f.silenced);
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  if (findings.some((f) => f.status === 'warn')) return 'warn';
  if (findings.some((f) => f.status === 'error')) return 'error';
  return 'ok';
}
