import { describe, expect, it } from '@jest/globals';
import { jobFromSchedule, scheduleDefaultsFromEnv } from '../../lib/jobs/schedule.js';

const routing = { queues: { prod: 'http://127.0.0.1:1/prod.fifo', edge: 'http://127.0.0.1:1/edge.fifo' }, defaultCluster: 'prod', channelClusters: {} };

describe('jobFromSchedule', () => {
  it('derives the job and deduplication id from the cluster and the scheduled time', () => {
    const out = jobFromSchedule({ cluster: 'edge', channel: 'C0EDGE', time: '2026-11-26T09:00:00+01:00' }, { routing, now: new Date('2026-11-26T08:00:02Z') });
    expect(out.deduplicationId).toBe('summary-edge-2026-11-26T08:00:00Z');
    expect(out.job).toMatchObject({ id: out.deduplicationId, cluster: 'edge', requestedAt: '2026-11-26T08:00:02.000Z', reply: { channel: 'C0EDGE' } });
  });

  it('uses the current hour when the input has no time, so retries seconds apart collapse', () => {
    const at = (iso: string) => jobFromSchedule({ channel: 'C0X' }, { routing, now: new Date(iso) }).deduplicationId;
    expect(at('2026-11-26T08:00:00.500Z')).toBe(at('2026-11-26T08:00:41Z'));
    expect(at('2026-11-26T08:00:41Z')).not.toBe(at('2026-11-27T08:00:41Z'));
  });

  it('takes NETCHECK_SUMMARY_CLUSTER before the default cluster', () => {
    const out = jobFromSchedule({ channel: 'C0X' }, { routing, summaryCluster: 'edge' });
    expect(out.job.cluster).toBe('edge');
  });
});

describe('scheduleDefaultsFromEnv', () => {
  it('validates the summary channel and cluster variables by name', () => {
    expect(scheduleDefaultsFromEnv({ NETCHECK_SUMMARY_CHANNEL: 'C0NET', NETCHECK_SUMMARY_CLUSTER: 'edge' })).toEqual({ summaryChannel: 'C0NET', summaryCluster: 'edge' });
    expect(scheduleDefaultsFromEnv({ NETCHECK_SUMMARY_CHANNEL: '' })).toEqual({ summaryChannel: undefined, summaryCluster: undefined });
    expect(() => scheduleDefaultsFromEnv({ NETCHECK_SUMMARY_CHANNEL: '#net' })).toThrow(/NETCHECK_SUMMARY_CHANNEL "#net" is not a Slack channel id/);
    expect(() => scheduleDefaultsFromEnv({ NETCHECK_SUMMARY_CLUSTER: 'Edge' })).toThrow(/NETCHECK_SUMMARY_CLUSTER "Edge" is not a DNS label/);
  });
});
