import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { withContext } from '../support/with-context.js';

// Packages the real serverless.yml offline with osls and reads the CloudFormation it would
// deploy. The service is copied to a temp dir so the run never writes .esbuild/ or .serverless/
// into the shared checkout; a second cluster is appended to prove the per-cluster generation.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const generator = require(join(repo, 'deploy/serverless/netcheck.cjs')) as {
  resources: (context: unknown) => Promise<unknown>;
  accessPolicyJson: (context: unknown) => Promise<string>;
};

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const STAGING_OIDC = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const FUNCTIONS = { slackCommands: 'SlackCommands', slack: 'Slack', alerts: 'Alerts', schedule: 'Schedule' } as const;
/** Handler file of each function (serverless names functions in camelCase, files are kebab-case). */
const handlerFile = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json & { Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown[];
  Condition?: Json;
}

let workDir = '';
let outDir = '';
let resources: Record<string, Resource> = {};
let outputs: Record<string, { Value: unknown }> = {};

const byType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const actionsOf = (statement: Statement) => [statement.Action].flat();
const policyStatements = (roleId: string) => (resources[roleId]?.Properties.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);

/** Evaluates the few intrinsics our templates use, with fake queue URLs for Refs. */
function evaluate(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const intrinsic = value as Json;
  if ('Ref' in intrinsic) return `https://sqs.test/${String(intrinsic.Ref)}`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(evaluate).join(separator);
  }
  return value;
}

describe('packaged CloudFormation template', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'netcheck-sls-'));
    outDir = join(workDir, 'package');
    for (const entry of ['package.json', 'tsconfig.json', 'deploy/serverless', 'handlers', 'lib']) {
      await cp(join(repo, entry), join(workDir, entry), { recursive: true });
    }
    await symlink(join(repo, 'node_modules'), join(workDir, 'node_modules'), 'dir');
    const config = parse(await readFile(join(repo, 'serverless.yml'), 'utf8')) as {
      custom: { netcheck: Json & { clusters: Json[] } };
    };
    Object.assign(config.custom.netcheck, { alertChannels: { 'team-network': 'C0NETWORK1' } });
    config.custom.netcheck.clusters.push({
      name: 'staging-eu',
      schedule: 'cron(30 6 ? * * *)',
      summaryChannel: 'C0STAGING1',
      oidcProvider: STAGING_OIDC,
    });
    await writeFile(join(workDir, 'serverless.yml'), stringify(config));

    // serverless-esbuild leaves per-function build folders in the temp dir; keep them in workDir.
    const tmp = join(workDir, 'tmp');
    await mkdir(tmp);
    await run(join(repo, 'node_modules/.bin/osls'), ['package', '--package', outDir, '--stage', 'test', `--param=ssmKmsKeyArn=${KMS_KEY}`, '--param=summaryChannel=C0SUMMARY1'], {
      cwd: workDir,
      env: { ...process.env, TMPDIR: tmp, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 120_000,
    });
    const template = JSON.parse(await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: typeof resources;
      Outputs: typeof outputs;
    };
    resources = template.Resources;
    outputs = template.Outputs;
  }, 180_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('deploys the four handlers on nodejs24.x, each with its own role', () => {
    for (const [name, id] of Object.entries(FUNCTIONS)) {
      const fn = resources[`${id}LambdaFunction`];
      expect(fn?.Properties.Runtime).toBe('nodejs24.x');
      expect(fn?.Properties.Handler).toBe(`handlers/${handlerFile(name)}.handler`);
      expect(fn?.Properties.Role).toEqual({ 'Fn::GetAtt': [`${id}FunctionRole`, 'Arn'] });
    }
    expect(resources).not.toHaveProperty('IamRoleLambdaExecution');
  });

  it('creates a FIFO job queue with a FIFO dead-letter queue after 3 receives, per cluster', () => {
    for (const [cluster, id] of [
      ['prod', 'Prod'],
      ['staging-eu', 'StagingEu'],
    ]) {
      const queue = resources[`${id}JobQueue`]?.Properties;
      const deadLetters = resources[`${id}DeadLetterQueue`]?.Properties;
      expect(queue).toMatchObject({ QueueName: `netcheck-test-${cluster}.fifo`, FifoQueue: true });
      expect(deadLetters).toMatchObject({ QueueName: `netcheck-test-${cluster}-dlq.fifo`, FifoQueue: true });
      expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(300);
      expect(queue?.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [`${id}DeadLetterQueue`, 'Arn'] },
        maxReceiveCount: 3,
      });
    }
    expect(byType('AWS::SQS::Queue')).toHaveLength(5);
  });

  it('alarms on any visible message in each dead-letter queue', () => {
    const alarms = byType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    expect(alarms).toHaveLength(3);
    for (const queue of ['ProdDeadLetterQueue', 'StagingEuDeadLetterQueue', 'ScheduleFailureQueue']) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    }
  });

  it('gives every handler the queue map, built from the queue URLs', () => {
    for (const id of Object.values(FUNCTIONS)) {
      const variables = (resources[`${id}LambdaFunction`]?.Properties.Environment as { Variables: Json }).Variables;
      expect(JSON.parse(String(evaluate(variables.NETCHECK_QUEUES)))).toEqual({
        prod: 'https://sqs.test/ProdJobQueue',
        'staging-eu': 'https://sqs.test/StagingEuJobQueue',
      });
      expect(variables.NETCHECK_DEFAULT_CLUSTER).toBe('prod');
      expect(JSON.parse(String(variables.NETCHECK_CHANNEL_CLUSTERS))).toEqual({});
      expect(variables.NETCHECK_INCIDENT_PREFIXES).toBe('inc-,incident-');
    }
  });

  it('passes secrets by SSM parameter name, never by value', () => {
    const variables = (name: string) => (resources[`${name}LambdaFunction`]?.Properties.Environment as { Variables: Json }).Variables;
    expect(variables('Slack')).toMatchObject({ SLACK_SIGNING_SECRET_PARAM: '/netcheck/test/slack-signing-secret' });
    expect(variables('Alerts')).toMatchObject({ ALERTMANAGER_TOKEN_PARAM: '/netcheck/test/alertmanager-token' });
    expect(JSON.parse(String(variables('Alerts').NETCHECK_ALERT_CHANNELS))).toEqual({ 'team-network': 'C0NETWORK1' });
    for (const id of Object.values(FUNCTIONS)) {
      for (const secret of ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'ALERTMANAGER_TOKEN']) {
        expect(variables(id)).not.toHaveProperty(secret);
      }
    }
    expect(byType('AWS::SSM::Parameter')).toEqual([]);
  });

  it('gives each handler exactly the secret parameters its code resolves', async () => {
    for (const [name, id] of Object.entries(FUNCTIONS)) {
      const code = await readFile(join(workDir, 'handlers', `${handlerFile(name)}.ts`), 'utf8');
      const resolved = [...code.matchAll(/resolveSecret\(\s*'([A-Z_]+)'/g)].map((match) => match[1]).sort();
      const variables = (resources[`${id}LambdaFunction`]?.Properties.Environment as { Variables: Json }).Variables;
      const parameters = Object.keys(variables)
        .filter((key) => key.endsWith('_PARAM'))
        .map((key) => key.slice(0, -'_PARAM'.length))
        .sort();
      withContext(`${name}: *_PARAM variables vs resolveSecret() calls`, () => expect(parameters).toEqual(resolved));
    }
  });

  it('scopes each role to exact resources with no wildcard action or resource', () => {
    const queues = [{ 'Fn::GetAtt': ['ProdJobQueue', 'Arn'] }, { 'Fn::GetAtt': ['StagingEuJobQueue', 'Arn'] }];
    const parameter = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/netcheck/test/${name}`,
    });
    const expectedParameters: Record<string, unknown[]> = {
      SlackCommands: [parameter('slack-signing-secret')],
      Slack: [parameter('slack-signing-secret')],
      Alerts: [parameter('alertmanager-token')],
      Schedule: [],
    };

    for (const id of Object.values(FUNCTIONS)) {
      const statements = policyStatements(`${id}FunctionRole`);
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        for (const resource of statement.Resource) {
          if (typeof resource === 'string') expect(resource).not.toContain('*');
        }
      }
      const granted = (action: string) => statements.filter((statement) => actionsOf(statement).includes(action));
      const failures = id === 'Schedule' ? [{ 'Fn::GetAtt': ['ScheduleFailureQueue', 'Arn'] }] : [];
      expect(granted('sqs:SendMessage').flatMap((statement) => statement.Resource)).toEqual([...queues, ...failures]);
      expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
      expect(granted('ssm:GetParameter').flatMap((statement) => statement.Resource)).toEqual(expectedParameters[id]);
      // The only ARN that ends in ":*" is the function's own log group (its streams).
      expect(granted('logs:PutLogEvents').flatMap((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [`${id}LogGroup`, 'Arn'] }]);
      const decrypt = granted('kms:Decrypt');
      if (expectedParameters[id]?.length) {
        expect(decrypt).toEqual([
          expect.objectContaining({
            Resource: [KMS_KEY],
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
          }),
        ]);
      } else {
        expect(decrypt).toEqual([]);
      }
    }
  });

  it('creates the worker IRSA role only where an OIDC provider is configured, for its own queue', () => {
    expect(resources).not.toHaveProperty('ProdWorkerRole');
    const role = resources.StagingEuWorkerRole?.Properties as Json & {
      AssumeRolePolicyDocument: { Statement: Statement[] };
    };
    expect(role.AssumeRolePolicyDocument.Statement[0]?.Condition).toEqual({
      StringEquals: {
        [`${STAGING_OIDC}:sub`]: 'system:serviceaccount:netcheck:netcheck-worker',
        [`${STAGING_OIDC}:aud`]: 'sts.amazonaws.com',
      },
    });
    const statements = policyStatements('StagingEuWorkerRole');
    expect(statements.flatMap((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': ['StagingEuJobQueue', 'Arn'] }]);
    expect(statements.flatMap(actionsOf)).not.toContain('sqs:SendMessage');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ProdQueueUrl', 'StagingEuQueueUrl', 'StagingEuWorkerRoleArn']));
  });

  it('keeps 30 days of logs per function', () => {
    const logGroups = byType('AWS::Logs::LogGroup');
    expect(logGroups.map(([id]) => id).sort()).toEqual(['AlertsLogGroup', 'ScheduleLogGroup', 'SlackCommandsLogGroup', 'SlackLogGroup']);
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('schedules one sweep per cluster with a 6-field cron and the cluster as input', () => {
    const rules = byType('AWS::Events::Rule').map(([, rule]) => rule.Properties);
    const inputs = rules.map((rule) => JSON.parse(String((rule.Targets as Json[])[0]?.Input)) as unknown);
    expect(inputs).toEqual([{ cluster: 'prod' }, { cluster: 'staging-eu', channel: 'C0STAGING1' }]);
    const variables = (resources.ScheduleLambdaFunction?.Properties.Environment as { Variables: Json }).Variables;
    expect(variables.NETCHECK_SUMMARY_CHANNEL).toBe('C0SUMMARY1');
    for (const rule of rules) {
      const fields = /^cron\((.*)\)$/.exec(String(rule.ScheduleExpression))?.[1]?.split(' ') ?? [];
      expect(fields).toHaveLength(6);
      expect(fields[2] === '?' || fields[4] === '?').toBe(true);
      expect((rule.Targets as Json[])[0]?.Arn).toEqual({ 'Fn::GetAtt': ['ScheduleLambdaFunction', 'Arn'] });
    }
  });

  it('parks a scheduled invocation that still fails after two retries', () => {
    const [[, invokeConfig] = []] = byType('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig?.Properties).toMatchObject({
      FunctionName: { Ref: 'ScheduleLambdaFunction' },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ScheduleFailureQueue', 'Arn'] } } },
    });
  });

  it('routes POST /slack/commands, POST /slack/events and POST /alerts on the HTTP API', () => {
    const routes = byType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey);
    expect(routes.sort()).toEqual(['POST /alerts', 'POST /slack/commands', 'POST /slack/events']);
  });

  it('ships each handler as one ESM bundle that loads in a fresh Node process, as an async handler without a callback', async () => {
    const sizes: string[] = [];
    for (const name of Object.keys(FUNCTIONS)) {
      const unpacked = join(workDir, `unpacked-${name}`);
      await run('python3', ['-m', 'zipfile', '-e', join(outDir, `${name}.zip`), unpacked]);
      expect(await readdir(join(unpacked, 'handlers'))).toEqual([`${handlerFile(name)}.mjs`]);
      const bundle = join(unpacked, 'handlers', `${handlerFile(name)}.mjs`);
      sizes.push(`${name} ${((await stat(bundle)).size / 1024).toFixed(0)} KB`);
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(bundle)}); console.log(typeof m.handler, m.handler.constructor.name, m.handler.length);`],
        {
          cwd: unpacked,
          timeout: 30_000,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'eu-west-1',
            NETCHECK_QUEUES: '{"prod":"http://127.0.0.1:9/queue/prod.fifo"}',
            NETCHECK_DEFAULT_CLUSTER: 'prod',
            SLACK_SIGNING_SECRET: 'test-signing-secret',
            SLACK_BOT_TOKEN: 'xoxb-test',
            ALERTMANAGER_TOKEN: 'test-alert-token',
          },
        },
      );
      // nodejs24.x refuses callback-style handlers (a third parameter): each must be async and take (event, context) at most.
      expect(stdout.trim()).toMatch(/^function AsyncFunction [012]$/);
    }
    console.info(`bundle sizes: ${sizes.join(', ')}`);
  });

  it('answers Slack through the deployed Bolt bundle without touching the receivers left out of it', async () => {
    const unpacked = join(workDir, 'unpacked-slack');
    const bundle = join(unpacked, 'handlers', 'slack.mjs');
    if (!existsSync(bundle)) await run('python3', ['-m', 'zipfile', '-e', join(outDir, 'slack.zip'), unpacked]);
    // url_verification, /netcheck help, and a Re-run click with a stale value: none needs SQS, all go through Bolt.
    const script = `
      import { createHmac } from 'node:crypto';
      const { handler } = await import(${JSON.stringify(bundle)});
      const send = async (body, contentType) => {
        const ts = Math.floor(Date.now() / 1000);
        const signature = 'v0=' + createHmac('sha256', 'test-signing-secret').update('v0:' + ts + ':' + body).digest('hex');
        const res = await handler({ version: '2.0', routeKey: 'POST /slack/events', rawPath: '/slack/events', rawQueryString: '', isBase64Encoded: false, body,
          headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature }, requestContext: { http: { method: 'POST' } } }, {});
        return res.statusCode + ' ' + res.body;
      };
      const click = { type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: '1',
        container: { type: 'message', message_ts: '1.1', channel_id: 'C1' }, channel: { id: 'C1' }, message: { ts: '1.1', text: '' },
        response_url: 'http://127.0.0.1:9/respond', actions: [{ type: 'button', action_id: 'netcheck_rerun', block_id: 'b', value: 'not json', action_ts: '1' }] };
      console.log(await send(JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }), 'application/json'));
      console.log(await send(new URLSearchParams({ command: '/netcheck', text: 'help', channel_id: 'C1', user_id: 'U1' }).toString(), 'application/x-www-form-urlencoded'));
      console.log(await send(new URLSearchParams({ payload: JSON.stringify(click) }).toString(), 'application/x-www-form-urlencoded'));
    `;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: unpacked,
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        NETCHECK_QUEUES: '{"prod":"http://127.0.0.1:9/queue/prod.fifo"}',
        NETCHECK_DEFAULT_CLUSTER: 'prod',
        SLACK_SIGNING_SECRET: 'test-signing-secret',
      },
    });
    const [verification, help, rerun] = stdout.trim().split('\n');
    expect(verification).toBe('200 {"challenge":"c-123"}');
    expect(help).toMatch(/^200 .*Usage: \/netcheck/);
    expect(rerun).toMatch(/^200/);
    expect(stderr).not.toMatch(/left out of the netcheck Lambda bundle/);
  });
});

describe('cluster configuration errors', () => {
  const context = (netcheck: Json) => ({
    resolveConfigurationProperty: async ([first]: string[]) => (first === 'service' ? 'netcheck' : netcheck),
    resolveVariable: async () => 'test',
  });
  const valid = {
    clusters: [{ name: 'prod', schedule: 'cron(0 7 ? * MON-FRI *)', summaryChannel: 'C0PROD0001' }],
    defaultCluster: 'prod',
    ssmPrefix: '/netcheck/test',
    ssmKmsKeyArn: KMS_KEY,
    workerNamespace: 'netcheck',
    workerServiceAccount: 'netcheck-worker',
  };

  for (const [override, message] of [
    [{ clusters: [] }, /at least one cluster/],
    [{ clusters: [{ name: 'Prod_1' }] }, /clusters\[0\]\.name must be a DNS label.*"Prod_1"/],
    [{ clusters: [{ name: 'prod', schedule: 'cron(0 7 ? * MON-FRI *)' }] }, /clusters\[0\] \("prod"\) has a schedule but no summaryChannel/],
    [{ summaryChannel: '#general' }, /summaryChannel "#general" is not a Slack channel id/],
    [{ clusters: [{ name: 'prod', schedule: 'cron(0 7 * * MON-FRI *)' }] }, /needs "\?" in day-of-month or day-of-week/],
    [{ clusters: [{ name: 'prod', schedule: 'cron(0 7 * * ?)' }] }, /has 5 fields; EventBridge cron takes 6/],
    [{ clusters: [{ name: 'prod', schedule: 'rate(1 day)' }] }, /must look like cron/],
    [{ clusters: [{ name: 'prod-eu' }, { name: 'prodeu' }], defaultCluster: 'prod-eu' }, /collides with "prod-eu"/],
    [{ defaultCluster: 'staging' }, /defaultCluster "staging" is not one of the clusters \(prod\)/],
    [{ channelClusters: { C0123ABCD: 'staging' } }, /channelClusters\["C0123ABCD"\] = "staging"/],
    [{ channelClusters: { general: 'prod' } }, /"general" is not a Slack channel id/],
    [{ alertChannels: { 'team-network': '#network' } }, /alertChannels\["team-network"\] = "#network" is not a Slack channel id/],
    [{ ssmKmsKeyArn: 'alias/aws/ssm' }, /ssmKmsKeyArn must be a KMS key ARN/],
    [{ clusters: [{ name: 'a'.repeat(63) }], defaultCluster: 'a'.repeat(63) }, /longer than the 80 characters SQS allows/],
  ] as const) {
    it(`rejects ${JSON.stringify(override)} with a message naming the problem`, async () => {
      await expect(generator.resources(context({ ...valid, ...override }))).rejects.toThrow(message);
    });
  }

  it('accepts the valid configuration', async () => {
    await expect(generator.resources(context(valid))).resolves.toHaveProperty('Resources.ProdJobQueue');
  });

  it('judges custom.netcheck.access with the schema the handlers use, and ships it as JSON', async () => {
    const badCluster = { default: 'deny', channels: { C0123ABCD: { clusters: ['staging'], namespaces: ['*'], commands: ['*'] } } };
    await expect(generator.resources(context({ ...valid, access: badCluster }))).rejects.toThrow(
      /access: channels\.C0123ABCD\.clusters: "staging" is not one of the clusters \(prod\)/,
    );
    await expect(generator.resources(context({ ...valid, access: { default: 'perhaps' } }))).rejects.toThrow(/access: default:/);
    const policy = {
      default: 'deny',
      contact: '#platform',
      channels: { C0123ABCD: { clusters: ['prod'], namespaces: ['shop', { selector: { matchLabels: { team: 'shop' } } }], commands: ['svc'] } },
    };
    const built = (await generator.resources(context({ ...valid, access: policy }))) as { Outputs: { AccessPolicy: { Value: string } } };
    const shipped = JSON.parse(built.Outputs.AccessPolicy.Value);
    expect(shipped).toMatchObject({ default: 'deny', contact: '#platform', channels: { C0123ABCD: { clusters: ['prod'], commands: ['svc'] } }, users: {}, groups: {} });
    expect(await generator.accessPolicyJson(context({ ...valid, access: policy }))).toBe(built.Outputs.AccessPolicy.Value);
    expect(await generator.accessPolicyJson(context(valid))).toBe('');
  }, 60_000);
});
