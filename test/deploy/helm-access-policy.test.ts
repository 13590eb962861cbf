import { describe, expect, it } from '@jest/globals';
import { helmForFile } from '../support/chart.js';
import { stringify } from 'yaml';
import { accessPolicySchema, OPEN_POLICY, type AccessPolicyInput } from '../../lib/access/policy.js';
import { accessPolicyFrom, ConfigError } from '../../lib/config.js';

// The chart's `accessPolicy` value reaches the worker as NETCHECK_ACCESS_POLICY: rendered with the
// real helm v4 binary, passed the way the README's install step passes it (--set-file), and read
// back by the worker's own config loader, which parses it with the handlers' zod schema.

const REQUIRED = {
  clusterName: 'prod',
  aws: { region: 'eu-west-1', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/netcheck-prod-prod.fifo' },
  image: { repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/netcheck' },
};

/** Every part of the schema, and characters YAML and Go templates treat specially. */
const POLICY: AccessPolicyInput = {
  default: 'deny',
  contact: 'ask #netops — "platform" team, $HOME {{ not a template }} \'quoted\'',
  channels: {
    C0123ABCD: { clusters: ['prod'], namespaces: ['shop', { selector: { matchLabels: { team: 'payments' } } }], commands: ['svc', 'dns'] },
    G0SECRET1: { clusters: ['*'], namespaces: ['*'], commands: ['*'] },
  },
  users: { U0ADMIN01: { clusters: ['prod'], namespaces: [{ selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] } }] } },
  groups: { S0ONCALL1: { clusters: ['prod'], commands: ['cluster', 'node'] } },
  everyone: { clusters: ['prod'], namespaces: ['public'], commands: ['svc'] },
  newIncidentChannels: { clusters: ['prod'], namespaces: ['*'], commands: ['cluster'] },
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const helm = helmForFile();

/** helm template with REQUIRED as a values file, and the policy text (if any) through --set-file. */
async function render(policyText?: string): Promise<Json[]> {
  const args = ['-f', await helm.file('.yaml', stringify(REQUIRED))];
  if (policyText !== undefined) args.push('--set-file', `accessPolicy=${await helm.file('.json', policyText)}`);
  return helm.template(args);
}

async function renderError(policyText: string): Promise<string> {
  return render(policyText).then(
    () => '',
    (e: { stderr?: string }) => e.stderr ?? String(e),
  );
}

/** The worker container's environment, as the kubelet would hand it over. */
function workerEnv(objects: Json[]): Record<string, string | undefined> {
  const worker = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers.find((c: Json) => c.name === 'worker');
  return Object.fromEntries(worker.env.filter((e: Json) => 'value' in e).map((e: Json) => [e.name, e.value]));
}

describe('chart accessPolicy', () => {
  it('reaches the worker unchanged: the rendered env parses, with the worker loader, into the same policy', async () => {
    const text = JSON.stringify(POLICY, null, 2);
    const env = workerEnv(await render(text));
    expect(env.NETCHECK_ACCESS_POLICY).toBe(text);
    expect(accessPolicyFrom(env)).toEqual(accessPolicySchema.parse(POLICY));
  });

  it('without a value the worker gets no variable and runs the open policy', async () => {
    const env = workerEnv(await render());
    expect(env).not.toHaveProperty('NETCHECK_ACCESS_POLICY');
    expect(accessPolicyFrom(env)).toEqual(OPEN_POLICY);
  });

  it('refuses a value that is not JSON, naming accessPolicy', async () => {
    expect(await renderError('{"default":"deny",')).toMatch(/accessPolicy must be the JSON of the AccessPolicy stack output: unexpected end of JSON input/);
    expect(await renderError('default: deny')).toMatch(/at '\/accessPolicy': 'default: deny' does not match pattern/);
  });

  it('refuses a policy whose default is neither deny nor allow', async () => {
    expect(await renderError('{"default":"maybe","channels":{}}')).toMatch(/accessPolicy: "default" must be "deny" or "allow"/);
    expect(await renderError('{"channels":{}}')).toMatch(/accessPolicy: "default" must be "deny" or "allow"/);
  });

  it('a policy helm cannot judge renders, and the worker refuses to start on it, naming the problem', async () => {
    const env = workerEnv(await render(JSON.stringify({ default: 'deny', chanels: { C0123ABCD: { clusters: ['prod'] } } })));
    let error: unknown;
    try {
      accessPolicyFrom(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^NETCHECK_ACCESS_POLICY: access: Unrecognized key: "chanels"/)]);
  });
});
