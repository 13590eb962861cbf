import type { Facts, TargetKind } from '../facts/types.js';

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

/** Something a finding is about; the verdict links causes to symptoms through shared subjects. */
export interface Subject {
  kind: 'service' | 'pod' | 'node' | 'port' | 'namespace' | 'networkpolicy' | 'daemonset' | 'dns';
  name: string;
  namespace?: string;
}

export interface Finding {
  /** Stable kebab-case code; never renamed once released (users silence and route by it). */
  code: string;
  status: FindingStatus;
  title: string;
  detail: string;
  evidence: string[];
  /** Copy-pasteable fix; empty for pass/skip. */
  remediation: string;
  docs: string;
  subjects: Subject[];
  /** Filled by the verdict: the code of the finding that explains this one. */
  explainedBy?: string;
}

/**
 * Where a check sits in the causal chain. A lower rank is closer to the root: when two failing
 * findings could explain each other, the verdict prefers the lower rank.
 */
export type Layer =
  | 'access' // we could not read something
  | 'object' // the Service object itself
  | 'workload' // selector, pods, ports
  | 'node' // node conditions
  | 'kernel' // node agent facts
  | 'system' // kube-proxy, CNI, cluster DNS
  | 'policy' // NetworkPolicy
  | 'endpoint' // EndpointSlices
  | 'dataplane' // probe outcomes (symptoms)
  | 'dns'; // DNS probe outcomes

export interface Check {
  code: string;
  title: string;
  layer: Layer;
  docs: string;
  /** Target kinds this check runs for. */
  appliesTo: readonly TargetKind[];
  /**
   * Codes of symptoms this check can explain when it fails. The verdict links cause → symptom
   * when both fail/warn and `explainsFinding` (default: shared subjects, or a service-level
   * cause) agrees.
   */
  explains?: readonly string[];
  explainsFinding?: (cause: Finding, symptom: Finding, facts: Facts) => boolean;
  /** Pure: no I/O, no clock, no randomness. */
  run(facts: Facts): Finding[];
}
