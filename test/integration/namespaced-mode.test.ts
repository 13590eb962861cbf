import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { run, type EngineDeps } from '../../lib/engine.js';
import { createJob } from '../../lib/jobs/schema.js';
import type { ReadScope } from '../../lib/model/index.js';
import { createSlackPoster } from '../../lib/post/slack.js';
import { sweepToJson } from '../../lib/render/json.js';
import { renderSlackSummary } from '../../lib/render/slack.js';
import { renderSummaryText } from '../../lib/render/terminal.js';
import { createStateRegistry } from '../../lib/state/registry.js';
import { createMemoryStateStore } from '../../lib/state/store.js';
import { serviceObject } from '../../lib/testkit/kube-objects.js';
import { startSlackApiServer, type SlackApiServer } from '../../lib/testkit/slack-api-server.js';
import { runJob, type RunJobDeps } from '../../lib/worker/run-job.js';
import { extractHelm, grantsOfChart, type Helm } from '../support/chart.js';
import { isAnswered, textOf } from '../support/slack-messages.js';
import { withContext } from '../support/with-context.js';
import { workerEngineDeps } from '../support/demo-engine.js';

// Namespaced mode end to end over real sockets: the chart is rendered by the real helm with
// rbac.scope=namespaced, our API server enforces exactly the Roles it renders, and the unmodified
// client reads through a kubeconfig. A diagnosis and a sweep still work and say what they could
// not see; a job about another namespace is refused before any read of it.

const SCOPE: ReadScope = { namespaces: ['shop', 'web'], systemNamespaces: ['kube-system', 'kube-flannel'] };
const VALUES = [
  'clusterName=demo',
  'aws.region=eu-west-1',
  'aws.queueUrl=https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo',
  'image.repository=example/netcheck',
  'rbac.scope=namespaced',
  `rbac.namespaces={${SCOPE.namespaces.join(',')}}`,
  `rbac.systemNamespaces={${SCOPE.systemNamespaces.join(',')}}`,
];

let demo: DemoCluster;
let slack: SlackApiServer;
let helm: Helm;
let engine: EngineDeps;
let deps: RunJobDeps;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  helm = await extractHelm();
  demo = await startDemoCluster();
  slack = await startSlackApiServer({ rateLimit: false });
  for (const namespace of ['web', 'billing']) {
    demo.api.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } } });
    // The same name in a namespace netcheck may read and in one it may not.
    demo.api.upsert(
      serviceObject({ namespace, name: 'invoices', clusterIP: namespace === 'web' ? '10.96.50.1' : '10.96.50.2', selector: { app: 'invoices' }, ports: [{ port: 80 }] }),
    );
  }
  const objects = await helm.render(VALUES);
  demo.api.setRbac(grantsOfChart(objects, { name: 'netcheck-worker', namespace: 'netcheck' }));
  engine = { ...workerEngineDeps(demo), readScope: SCOPE };

  deps = {
    cluster: 'demo',
    engine,
    poster: createSlackPoster({ token: slack.token, slackApiUrl: slack.url }),
    state: createStateRegistry(createMemoryStateStore()),
    logger: silent,
    maxAttempts: 3,
  };
}, 90_000);
afterAll(async () => {
  await slack?.close();
  await demo?.close();
  await helm?.close();
});

const forbidden = () => demo.api.requests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`);

describe('namespaced mode under the chart’s own Roles', () => {
  it('diagnoses a service in a listed namespace as in cluster mode, with no read refused', async () => {
    demo.api.requests.length = 0;
    const report = await run({ kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'demo' }, engine);
    withContext('requests the Roles refused', () => expect(forbidden()).toEqual([]));
    expect(report.rootCause?.code).toBe('selector-matches-no-pods');
    expect(report.findings.find((f) => f.code === 'api-access-denied')?.status).toBe('pass');
  });

  it('suggests the same name only where it may look, and says the rest is unknown', async () => {
    demo.api.requests.length = 0;
    const report = await run({ kind: 'svc', name: 'invoices', namespace: 'shop', cluster: 'demo' }, engine);
    expect(forbidden()).toEqual([]);
    const notFound = report.findings.find((f) => f.code === 'service-not-found')!;
    expect(notFound.status).toBe('fail');
    expect(notFound.detail).toContain('a service named invoices exists in namespace web');
    expect(notFound.detail).not.toContain('billing');
    expect(notFound.evidence).toContain(
      'a service named invoices in any other namespace: unknown, because netcheck runs namespaced (namespaces shop, web) and may not read the other namespaces',
    );
    withContext('no request reached the namespace outside the scope', () => expect(demo.api.requests.filter((r) => r.path.includes('/namespaces/billing'))).toEqual([]));
  });

  it('sweeps the listed namespaces only, and says what it could not see', async () => {
    demo.api.requests.length = 0;
    const sweep = await run({ kind: 'cluster', cluster: 'demo' }, { ...engine, probes: { ...engine.probes, enabled: false, skipReason: 'probes off in this test' } });
    withContext('requests the Roles refused', () => expect(forbidden()).toEqual([]));
    expect(sweep.clusterFindings.filter((f) => f.code === 'api-access-denied')).toEqual([]);
    const namespaces = new Set(sweep.problems.map((p) => p.namespace));
    expect([...namespaces].filter((n) => !SCOPE.namespaces.includes(n))).toEqual([]);
    expect(sweep.problems.map((p) => `${p.namespace}/${p.name}`)).toContain('shop/payments');
    const unseen =
      'unknown, because netcheck runs namespaced (namespaces shop, web) and may not read the other namespaces, so their services were not swept, nor the cluster-wide network policies';
    expect(sweep.unseen).toBe(unseen);
    expect(sweepToJson(sweep).unseen).toBe(unseen);
    expect(renderSummaryText(sweep, { color: false })).toContain(`? ${unseen}`);
    expect(JSON.stringify(renderSlackSummary(sweep, { cluster: 'demo' }).parent)).toContain(`:grey_question: ${unseen}`);
  });

  it('refuses a job about a namespace outside the scope, reading nothing there, and tells the requester why', async () => {
    demo.api.requests.length = 0;
    const job = createJob({
      trigger: 'slash',
      target: { kind: 'svc', name: 'invoices', namespace: 'billing' },
      cluster: 'demo',
      requester: { source: 'test' },
      reply: { channel: 'C0OUTSIDE', responseUrl: slack.responseUrl('outside-1') },
    });
    const outcome = await runJob(job, 1, deps);
    expect(outcome.status).toBe('refused');
    const [answer] = slack.responses('outside-1');
    expect(answer?.body.response_type).toBe('ephemeral');
    expect(String(answer?.body.text)).toContain(
      'netcheck will not run this job: it runs namespaced on this cluster and may read only namespaces shop, web, and namespace billing is outside them',
    );
    expect(demo.api.requests.filter((r) => r.path.includes('billing'))).toEqual([]);
    // Answered: a redelivery does not ask again.
    expect((await runJob(job, 2, deps)).status).toBe('duplicate');
  });

  it('runs a job in a listed namespace through the worker and posts its thread', async () => {
    const job = createJob({
      trigger: 'slash',
      target: { kind: 'svc', name: 'payments', namespace: 'shop' },
      cluster: 'demo',
      requester: { source: 'test' },
      reply: { channel: 'C0INSIDE' },
    });
    demo.api.requests.length = 0;
    expect((await runJob(job, 1, deps)).status).toBe('fail');
    expect(forbidden()).toEqual([]);
    const parent = slack.messages('C0INSIDE').find(isAnswered);
    expect(parent && textOf(parent)).toMatch(/Selector app=payment matches no pods/);
  });
});
