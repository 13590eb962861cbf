// The sweep and the single diagnosis must agree (issue #12). Every scenario fixture whose target
// is a service is run both ways over the same facts: the sweep's per-service evaluation (API checks
// only, then the flagged services diagnosed in full, as the engine does with probes) and the single
// diagnosis `netcheck svc` makes. Without probes the sweep may not agree — so it must say
// "unverified", never ok; with them its status, root cause and subjects are the single diagnosis's.

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { explains, runChecks } from '../../lib/checks/index.js';
import type { ObjectFacts } from '../../lib/gather/types.js';
import type { Facts, Report, ServiceResult, SweepReport } from '../../lib/model/index.js';
import { ClusterSweep, probeFlagged, SERVICE_CODES, type ServiceKey } from '../../lib/summary/sweep.js';
import { buildReport } from '../../lib/verdict/verdict.js';
import { loadScenario, type Scenario } from '../scenarios/load.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => loadScenario(join(dir, f)))
  .filter((s) => s.facts.target.kind === 'svc');

const PROBE_LIMIT = 20;
const PROBLEM_STATUSES = ['fail', 'warn', 'error'];

/** What `netcheck svc` decides from these facts (the engine's diagnose() after its gather). */
function singleDiagnosis(facts: Facts): Report {
  return buildReport(facts, runChecks(facts), { startedAt: facts.collectedAt, durationMs: 0 }, explains);
}

/** The sweep over a fixture's facts, fed as the engine feeds it: lists first, then each namespace's pods. */
function apiSweep(facts: Facts, probeLimit: number): { sweeper: ClusterSweep; report: SweepReport } {
  const { target: _target, collectedAt, probes, nodeAgents, ...objects } = facts;
  const sweeper = new ClusterSweep({ cluster: facts.target.cluster, startedAt: collectedAt, probeLimit });
  sweeper.begin(objects as ObjectFacts);
  const byNamespace = new Map<string, Facts['pods']>();
  for (const pod of facts.pods) byNamespace.set(pod.namespace, [...(byNamespace.get(pod.namespace) ?? []), pod]);
  for (const [namespace, pods] of byNamespace) sweeper.namespace(namespace, pods);
  // The sweep's own probes are the cluster-level DNS lookups only.
  const dnsProbes = probes.dns.filter((p) => p.purpose === 'kubernetes-default');
  return { sweeper, report: sweeper.finish({ nodeAgents, ...(probes.enabled ? { dnsProbes } : {}) }) };
}

function targetOf(scenario: Scenario): ServiceKey {
  const target = scenario.facts.target;
  if (target.kind !== 'svc') throw new Error('not a service fixture');
  return { namespace: target.namespace, name: target.name };
}

const entryOf = (sweep: SweepReport, key: ServiceKey): ServiceResult | undefined => sweep.problems.find((p) => p.namespace === key.namespace && p.name === key.name);

function countsAddUp(sweep: SweepReport): void {
  const c = sweep.counts;
  withContext('every service counted once', () => expect(c.ok + c.unverified + c.warn + c.fail + c.error).toBe(c.services));
}

describe('sweep and single diagnosis agree on every service fixture', () => {
  it('has service fixtures to compare', () => {
    expect(scenarios.length).toBeGreaterThan(40);
  });

  for (const scenario of scenarios) {
    const key = targetOf(scenario);
    const exists = scenario.facts.services.some((s) => s.namespace === key.namespace && s.name === key.name);

    if (!exists) {
      it(`${scenario.file}: a service that does not exist is no sweep entry`, () => {
        expect(singleDiagnosis(scenario.facts).rootCause?.code).toBe('service-not-found');
        const { sweeper, report } = apiSweep(scenario.facts, PROBE_LIMIT);
        expect(entryOf(report, key)).toBeUndefined();
        expect(sweeper.toProbe(report)).not.toContainEqual(key);
        countsAddUp(report);
      });
      continue;
    }

    it(`${scenario.file}: without probes the sweep says unverified, never ok`, () => {
      const { report } = apiSweep(scenario.facts, 0);
      const entry = entryOf(report, key);
      if (entry) {
        expect(entry.verified).toBe(false);
        expect(entry.unverifiedReason).toMatch(/not probed/);
      } else {
        withContext('an API-healthy service is counted unverified', () => expect(report.counts.unverified).toBeGreaterThan(0));
      }
      withContext('nothing unprobed is counted ok', () => expect(report.counts.ok).toBe(0));
      expect(report.verification).toEqual({ probed: 0, limit: 0, reason: expect.stringMatching(/not probed/) });
      countsAddUp(report);
    });

    // A sweep's view keeps problems only: that may spare a pass or a skip its wording (and turn a
    // policy pass it need not weigh beyond NetworkPolicy into a skip), never change a problem.
    it(`${scenario.file}: keeping problems only changes no problem and no other status`, () => {
      const full = runChecks(scenario.facts, { codes: SERVICE_CODES });
      const swept = runChecks({ ...scenario.facts, keeps: 'problems' }, { codes: SERVICE_CODES });
      expect(swept.map((f) => f.code)).toEqual(full.map((f) => f.code));
      full.forEach((f, i) => {
        const s = swept[i]!;
        if (f.status === 'pass') withContext(f.code, () => expect(s.status === 'pass' || (f.code === 'network-policy-denies' && s.status === 'skip')).toBe(true));
        else if (f.status === 'skip') withContext(f.code, () => expect(s.status).toBe('skip'));
        else withContext(f.code, () => expect(s).toEqual(f));
      });
    });

    // Without probes or agents the sweep's API checks see what the single diagnosis's see, so each
    // problem one reports the other reports too: a sweep sees the namespace's pods, the policies and
    // the events as a single diagnosis does, not a cut of them. Probed fixtures are compared with
    // their probes and agents taken away.
    it(`${scenario.file}: the API checks' problems are the single diagnosis's`, () => {
      const apiOnly: Facts = { ...scenario.facts, probes: { enabled: false, skipReason: 'API only', tcp: [], dns: [] }, nodeAgents: [] };
      const problemsOf = (findings: readonly { code: string; status: string }[]) =>
        findings
          .filter((f) => (SERVICE_CODES as readonly string[]).includes(f.code) && PROBLEM_STATUSES.includes(f.status))
          .map((f) => `${f.code}: ${f.status}`)
          .sort();
      const sweepEntry = entryOf(apiSweep(apiOnly, 0).report, key);
      expect(problemsOf(sweepEntry?.findings ?? [])).toEqual(problemsOf(singleDiagnosis(apiOnly).findings));
    });

    it(`${scenario.file}: with probes the flagged service gets the single diagnosis's status, root cause and subjects`, async () => {
      const single = singleDiagnosis(scenario.facts);
      const { sweeper, report } = apiSweep(scenario.facts, PROBE_LIMIT);
      const flagged = sweeper.toProbe(report);
      withContext('the fixture target is flagged for a full diagnosis', () => expect(flagged).toContainEqual(key));

      const probed = await probeFlagged(sweeper, report, {
        limit: PROBE_LIMIT,
        concurrency: 2,
        // The fixture's probes and agents were gathered for its target; any other service of it
        // has no facts of its own to be diagnosed with.
        diagnose: async (service) => {
          if (service.namespace !== key.namespace || service.name !== key.name) throw new Error(`the fixture holds probe facts for ${key.namespace}/${key.name} only`);
          return singleDiagnosis(scenario.facts);
        },
      });

      const entry = entryOf(probed, key);
      if (single.status === 'ok') {
        withContext('a service the single diagnosis finds healthy is no problem', () => expect(entry).toBeUndefined());
        expect(probed.counts.ok).toBe(1);
      } else {
        withContext('the service is listed', () => expect(entry).toBeDefined());
        expect({ status: entry!.status, rootCause: entry!.rootCause?.code ?? null, subjects: entry!.rootCause?.subjects ?? [] }).toEqual({
          status: single.status,
          rootCause: single.rootCause?.code ?? null,
          subjects: single.rootCause?.subjects ?? [],
        });
        expect(entry!.verified).toBe(true);
        expect(entry!.unverifiedReason).toBeUndefined();
      }
      // The fixture's other services could not be diagnosed: they stay unverified, with that reason.
      for (const other of probed.problems.filter((p) => p.namespace !== key.namespace || p.name !== key.name)) {
        expect(other.verified).toBe(false);
        expect(other.unverifiedReason).toMatch(/its diagnosis failed: the fixture holds probe facts/);
      }
      expect(probed.counts.ok).toBe(single.status === 'ok' ? 1 : 0);
      expect(probed.verification.probed).toBe(1);
      if (probed.counts.unverified > 0 || probed.problems.some((p) => !p.verified)) {
        // Every flagged service was tried (fewer than the limit): what is left unverified failed.
        expect(probed.verification.reason).toMatch(/of the diagnoses failed \(its diagnosis failed: the fixture holds probe facts/);
      } else {
        expect(probed.verification.reason).toBeUndefined();
      }
      countsAddUp(probed);
    });
  }

  // Issue #14: the sweep reads the events too, so a cause only the events name is named without probes.
  const eventCaused = scenarios.filter((s) => singleDiagnosis(s.facts).rootCause?.code === 'pod-network-setup-failed');
  it('has fixtures whose root cause only the events name', () => expect(eventCaused.length).toBeGreaterThan(0));
  for (const scenario of eventCaused) {
    it(`${scenario.file}: the API-only sweep names the event-decided root cause and its subjects, as the single diagnosis does`, () => {
      const key = targetOf(scenario);
      const single = singleDiagnosis(scenario.facts);
      const entry = entryOf(apiSweep(scenario.facts, 0).report, key);
      expect({ rootCause: entry?.rootCause?.code, subjects: entry?.rootCause?.subjects }).toEqual({ rootCause: single.rootCause?.code, subjects: single.rootCause?.subjects });
      // The events decide it: without them the sweep could not.
      const { events: _unread, ...withoutEvents } = scenario.facts;
      expect(entryOf(apiSweep(withoutEvents, 0).report, key)?.rootCause?.code).not.toBe('pod-network-setup-failed');
    });
  }
});
