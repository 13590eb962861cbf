import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadHandlerConfig, loadWorkerConfig } from '../../lib/config.js';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('handler config', () => {
  it('routes clusters to queues', () => {
    const config = loadHandlerConfig({
      NETCHECK_QUEUES: JSON.stringify({ prod: 'https://sqs.eu-west-1.amazonaws.com/1/netcheck-prod.fifo', staging: 'https://sqs.eu-west-1.amazonaws.com/1/netcheck-staging.fifo' }),
      NETCHECK_DEFAULT_CLUSTER: 'prod',
      NETCHECK_CHANNEL_CLUSTERS: JSON.stringify({ C123: 'staging' }),
    });
    expect(config.routing.defaultCluster).toBe('prod');
    expect(config.routing.channelClusters).toEqual({ C123: 'staging' });
    expect(config.incidentPrefixes).toEqual(['inc-', 'incident-']);
  });

  it('accepts a single queue URL', () => {
    const config = loadHandlerConfig({ NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo' });
    expect(config.routing.queues).toEqual({ default: 'http://127.0.0.1:1/q.fifo' });
  });

  it('names every bad variable', () => {
    expect(problems(() => loadHandlerConfig({}))).toEqual(['NETCHECK_QUEUES (or NETCHECK_QUEUE_URL) is required']);
    expect(problems(() => loadHandlerConfig({ NETCHECK_QUEUES: '{nope' }))[0]).toMatch(/^NETCHECK_QUEUES: must be JSON/);
    expect(problems(() => loadHandlerConfig({ NETCHECK_QUEUES: '{"Prod":"http://x/q"}' }))).toContain('NETCHECK_QUEUES: cluster name "Prod" must be a DNS label');
    expect(problems(() => loadHandlerConfig({ NETCHECK_QUEUES: '{"prod":"http://x/q"}', NETCHECK_DEFAULT_CLUSTER: 'dev', NETCHECK_CHANNEL_CLUSTERS: '{"C1":"qa"}' }))).toEqual([
      'NETCHECK_DEFAULT_CLUSTER: "dev" has no queue in NETCHECK_QUEUES',
      'NETCHECK_CHANNEL_CLUSTERS: channel C1 names unknown cluster "qa"',
    ]);
  });
});

describe('worker config', () => {
  it('has safe defaults', () => {
    const config = loadWorkerConfig({ NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo' });
    expect(config).toMatchObject({ cluster: 'default', agentPort: 9807, concurrency: 2, probes: true, clusterDomain: 'cluster.local' });
  });

  it('takes the external DNS name dns jobs ask (air-gapped clusters), and only a DNS name', () => {
    const base = { NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo' };
    expect(loadWorkerConfig(base).dnsExternalName).toBeUndefined();
    expect(loadWorkerConfig({ ...base, NETCHECK_DNS_EXTERNAL_NAME: 'registry.corp.example' }).dnsExternalName).toBe('registry.corp.example');
    expect(problems(() => loadWorkerConfig({ ...base, NETCHECK_DNS_EXTERNAL_NAME: 'a b' }))[0]).toMatch(/^NETCHECK_DNS_EXTERNAL_NAME: must be a DNS name/);
  });

  it('names the variable that is wrong', () => {
    const found = problems(() => loadWorkerConfig({ NETCHECK_QUEUE_URL: 'not a url', NETCHECK_AGENT_PORT: '99999', SLACK_BOT_TOKEN: 'abc' }));
    expect(found.some((p) => p.startsWith('NETCHECK_QUEUE_URL:'))).toBe(true);
    expect(found.some((p) => p.startsWith('NETCHECK_AGENT_PORT:'))).toBe(true);
    expect(found.some((p) => p.startsWith('SLACK_BOT_TOKEN: must be a Slack bot token'))).toBe(true);
    expect(problems(() => loadWorkerConfig({}))).toEqual(['NETCHECK_QUEUE_URL is required']);
  });

  it('reads cluster-wide unless the chart says namespaced, and then needs the namespaces', () => {
    const queue = { NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo' };
    expect(loadWorkerConfig(queue).readScope).toBeUndefined();
    expect(loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'cluster', NETCHECK_READ_NAMESPACES: 'shop' }).readScope).toBeUndefined();
    expect(loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'namespaced', NETCHECK_READ_NAMESPACES: 'shop, web' }).readScope).toEqual({
      namespaces: ['shop', 'web'],
      systemNamespaces: ['kube-system'],
    });
    expect(
      loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'namespaced', NETCHECK_READ_NAMESPACES: 'shop', NETCHECK_SYSTEM_NAMESPACES: 'kube-system,calico-system' }).readScope
        ?.systemNamespaces,
    ).toEqual(['kube-system', 'calico-system']);
    expect(problems(() => loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'namespaced' }))).toEqual(['NETCHECK_READ_NAMESPACES is required when NETCHECK_READ_SCOPE=namespaced']);
    expect(problems(() => loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'namespaced', NETCHECK_READ_NAMESPACES: 'shop,Web_1' }))[0]).toMatch(
      /^NETCHECK_READ_NAMESPACES: must be a comma-separated list of DNS labels/,
    );
    expect(problems(() => loadWorkerConfig({ ...queue, NETCHECK_READ_SCOPE: 'tenants' }))[0]).toMatch(/^NETCHECK_READ_SCOPE:/);
  });
});

describe('worker probe source', () => {
  it('reads the pod address and labels the chart passes', () => {
    const config = loadWorkerConfig({
      NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo',
      NETCHECK_POD_IP: '10.244.1.7',
      NETCHECK_POD_LABELS: 'app.kubernetes.io/name=netcheck,app.kubernetes.io/component=worker',
    });
    expect(config.podIP).toBe('10.244.1.7');
    expect(config.podLabels).toEqual({ 'app.kubernetes.io/name': 'netcheck', 'app.kubernetes.io/component': 'worker' });
  });

  it('names a malformed label list', () => {
    expect(problems(() => loadWorkerConfig({ NETCHECK_QUEUE_URL: 'http://127.0.0.1:1/q.fifo', NETCHECK_POD_LABELS: 'app' }))).toEqual([
      'NETCHECK_POD_LABELS: "app" is not key=value',
    ]);
  });
});
