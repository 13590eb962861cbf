import type { Code, Facts, Finding, Layer, TargetKind } from '../model/index.js';

export interface Check {
  code: Code;
  title: string;
  /** Title of a passing finding: what was verified, not what would be wrong. */
  passTitle?: string;
  layer: Layer;
  docs: string;
  /** Reads per-target node-agent answers (kube-proxy's rules for this Service): a sweep does not gather those. */
  needsPathAgents?: boolean;
  /** Target kinds this check runs for. */
  appliesTo: readonly TargetKind[];
  /**
   * Codes of symptoms this check can explain when it fails. The verdict links cause → symptom
   * when both fail/warn and `explainsFinding` (default: shared subjects) agrees.
   */
  explains?: readonly Code[];
  explainsFinding?: (cause: Finding, symptom: Finding, facts: Facts) => boolean;
  /** Pure: no I/O, no clock, no randomness. */
  run(facts: Facts): Finding[];
}
