'use strict';
/* global module, require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- osls loads this file with require(), so it is CommonJS */
// Turns the cluster list in serverless.yml (custom.netcheck) into CloudFormation: one FIFO queue,
// one FIFO dead-letter queue and one DLQ alarm per cluster, one IAM role per function scoped to
// exactly what that function touches, and the schedule events. serverless.yml cannot loop, and a
// hand-written copy per cluster drifts; everything cluster-shaped is derived here.
// CommonJS because osls loads `${file(x.cjs)}` with require().

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const MAX_RECEIVES_BEFORE_DLQ = 3;
// Longer than the slowest job (a cluster sweep, bounded at 240 s by the worker) so a message is
// never handed to a second worker while the first is still on it.
const VISIBILITY_TIMEOUT_SECONDS = 300;
const FUNCTIONS = ['slackCommands', 'slack', 'alerts', 'schedule'];

const { execFileSync } = require('node:child_process');
const path = require('node:path');

/**
 * custom.netcheck.access is judged by the same zod schema the handlers and the worker parse it
 * with (lib/access/policy.ts), through tsx in a child process: this file is CommonJS and osls
 * cannot import TypeScript. Results are kept per input, as osls resolves several variables.
 */
const checkedPolicies = new Map();
function checkAccessPolicy(policy, clusters) {
  const input = JSON.stringify({ policy, clusters });
  if (!checkedPolicies.has(input)) {
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../lib/access/check-policy.ts')], {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      checkedPolicies.set(input, { ok: true, json: out });
    } catch (error) {
      checkedPolicies.set(input, { ok: false, problems: String(error.stderr || error.message).trim() });
    }
  }
  const checked = checkedPolicies.get(input);
  if (!checked.ok) fail(`access: ${checked.problems.split('\n').join('; ')}`);
  return checked.json;
}
class NetcheckConfigError extends Error {}

function fail(message) {
  throw new NetcheckConfigError(`custom.netcheck: ${message}`);
}

/**
 * osls resolves each `${file(netcheck.cjs):x}` on its own and prints every rejection with its stack:
 * one mistake read five times, with stack traces blaming this file. Under osls (it passes `options`)
 * a configuration mistake is printed once, as the sentence it is, and the command stops; called
 * directly (tests) the error is thrown as usual.
 */
function reportOnce(resolve) {
  return async (context) => {
    try {
      return await resolve(context);
    } catch (error) {
      if (!(error instanceof NetcheckConfigError) || !context || !context.options) throw error;
      process.stderr.write(`\nError: serverless.yml ${error.message}\n`);
      process.exit(1);
    }
  };
}

function logicalId(name) {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function validateCron(expression, where) {
  const match = /^cron\((.+)\)$/.exec(expression);
  if (!match) fail(`${where}: "${expression}" must look like cron(0 7 ? * MON-FRI *)`);
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6) {
    fail(`${where}: "${expression}" has ${fields.length} fields; EventBridge cron takes 6 (minutes hours day-of-month month day-of-week year)`);
  }
  if (fields[2] !== '?' && fields[4] !== '?') {
    fail(`${where}: "${expression}" needs "?" in day-of-month or day-of-week`);
  }
}

async function loadConfig({ resolveConfigurationProperty, resolveVariable }) {
  const config = await resolveConfigurationProperty(['custom', 'netcheck']);
  if (!config || typeof config !== 'object') fail('missing; see the comments in serverless.yml');
  const service = await resolveConfigurationProperty(['service']);
  const stage = await resolveVariable('sls:stage');

  if (!Array.isArray(config.clusters) || config.clusters.length === 0) {
    fail('clusters must list at least one cluster ({ name, schedule })');
  }
  const seen = new Map();
  const clusters = config.clusters.map((cluster, index) => {
    const where = `clusters[${index}]`;
    if (!cluster || typeof cluster.name !== 'string' || !DNS_LABEL.test(cluster.name)) {
      fail(`${where}.name must be a DNS label (lowercase letters, digits, "-"), got ${JSON.stringify(cluster && cluster.name)}`);
    }
    const id = logicalId(cluster.name);
    const clash = seen.get(id.toLowerCase());
    if (clash) fail(`${where}.name "${cluster.name}" collides with "${clash}" in CloudFormation names`);
    seen.set(id.toLowerCase(), cluster.name);
    if (cluster.schedule) validateCron(cluster.schedule, `${where}.schedule`);
    if (cluster.summaryChannel && !SLACK_CHANNEL_ID.test(cluster.summaryChannel)) {
      fail(`${where}.summaryChannel "${cluster.summaryChannel}" is not a Slack channel id like C0123ABCD`);
    }
    if (cluster.schedule && !cluster.summaryChannel && !config.summaryChannel) {
      fail(`${where} ("${cluster.name}") has a schedule but no summaryChannel, and summaryChannel (the default) is empty: name the Slack channel its sweep posts to`);
    }
    return {
      name: cluster.name,
      id,
      schedule: cluster.schedule || '',
      summaryChannel: cluster.summaryChannel || '',
      oidcProvider: (cluster.oidcProvider || '').replace(/^https:\/\//, ''),
    };
  });

  const names = clusters.map((cluster) => cluster.name);
  if (!names.includes(config.defaultCluster)) {
    fail(`defaultCluster "${config.defaultCluster}" is not one of the clusters (${names.join(', ')})`);
  }
  const channelClusters = config.channelClusters || {};
  for (const [channel, cluster] of Object.entries(channelClusters)) {
    if (!SLACK_CHANNEL_ID.test(channel)) fail(`channelClusters key "${channel}" is not a Slack channel id like C0123ABCD`);
    if (!names.includes(cluster)) fail(`channelClusters["${channel}"] = "${cluster}" is not one of the clusters`);
  }
  if (config.summaryChannel && !SLACK_CHANNEL_ID.test(config.summaryChannel)) {
    fail(`summaryChannel "${config.summaryChannel}" is not a Slack channel id like C0123ABCD`);
  }
  const alertChannels = config.alertChannels || {};
  for (const [receiver, channel] of Object.entries(alertChannels)) {
    if (!SLACK_CHANNEL_ID.test(channel)) fail(`alertChannels["${receiver}"] = "${channel}" is not a Slack channel id like C0123ABCD`);
  }
  if (typeof config.ssmPrefix !== 'string' || !/^\/[A-Za-z0-9_.\-/]+[^/]$/.test(config.ssmPrefix)) {
    fail(`ssmPrefix must be an SSM path like /netcheck/prod, got ${JSON.stringify(config.ssmPrefix)}`);
  }
  if (typeof config.ssmKmsKeyArn !== 'string' || !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(config.ssmKmsKeyArn)) {
    fail(`ssmKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${JSON.stringify(config.ssmKmsKeyArn)}`);
  }
  if (config.alarmTopicArn && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(config.alarmTopicArn)) {
    fail(`alarmTopicArn must be an SNS topic ARN or empty, got ${JSON.stringify(config.alarmTopicArn)}`);
  }
  for (const key of ['workerNamespace', 'workerServiceAccount']) {
    if (typeof config[key] !== 'string' || !DNS_LABEL.test(config[key])) fail(`${key} must be a DNS label`);
  }
  for (const cluster of clusters) {
    // SQS names stop at 80 characters (".fifo" included), EventBridge rule names at 64.
    const longest = `${service}-${stage}-${cluster.name}-dlq.fifo`;
    if (longest.length > 80) fail(`queue name "${longest}" is longer than the 80 characters SQS allows; shorten the cluster, stage or service name`);
    const rule = `${service}-${stage}-sweep-${cluster.name}`;
    if (cluster.schedule && rule.length > 64) fail(`schedule rule name "${rule}" is longer than the 64 characters EventBridge allows`);
  }
  const access = config.access ? checkAccessPolicy(config.access, names) : '';
  return { ...config, clusters, channelClusters, alertChannels, access, service, stage };
}

const queueResource = (cluster) => `${cluster.id}JobQueue`;
const deadLetterResource = (cluster) => `${cluster.id}DeadLetterQueue`;

function ssmParameterArn(name) {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}` };
}

/**
 * SSM parameters each function reads (the handlers resolve them at runtime). The Slack handler
 * only verifies signatures and enqueues: the bot token is the worker's, from a Kubernetes Secret.
 */
function parametersRead(config) {
  return {
    slackCommands: [`${config.ssmPrefix}/slack-signing-secret`],
    slack: [`${config.ssmPrefix}/slack-signing-secret`],
    alerts: [`${config.ssmPrefix}/alertmanager-token`],
    schedule: [],
  };
}

const SCHEDULE_FAILURES = 'ScheduleFailureQueue';

function deadLetterAlarm(prefix, config, name, queueLogicalId, description) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${prefix}-${name}`,
      AlarmDescription: description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueLogicalId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...(config.alarmTopicArn ? { AlarmActions: [config.alarmTopicArn], OKActions: [config.alarmTopicArn] } : {}),
    },
  };
}

function functionRole(config, fn, parameterNames) {
  // Every handler may be asked for any configured cluster (slash command argument, alert label,
  // schedule input), so each sends to every job queue and to nothing else.
  const statements = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // The log group's ARN ends in ":*" (its streams); the group itself is the function's own.
      Resource: [{ 'Fn::GetAtt': [`${logicalId(fn)}LogGroup`, 'Arn'] }],
    },
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [
        ...config.clusters.map((cluster) => ({ 'Fn::GetAtt': [queueResource(cluster), 'Arn'] })),
        // Lambda delivers a failed asynchronous (scheduled) invocation with the function's role.
        ...(fn === 'schedule' ? [{ 'Fn::GetAtt': [SCHEDULE_FAILURES, 'Arn'] }] : []),
      ],
    },
  ];
  if (parameterNames.length > 0) {
    statements.push(
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameterNames.map(ssmParameterArn) },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [config.ssmKmsKeyArn],
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } },
      },
    );
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: `${fn}-function`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

function workerRole(config, cluster) {
  const subject = `system:serviceaccount:${config.workerNamespace}:${config.workerServiceAccount}`;
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `IRSA role for the netcheck worker in cluster ${cluster.name}: its own job queue only`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: {
              Federated: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:oidc-provider/${cluster.oidcProvider}` },
            },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: { [`${cluster.oidcProvider}:sub`]: subject, [`${cluster.oidcProvider}:aud`]: 'sts.amazonaws.com' },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'netcheck-worker',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
                Resource: [{ 'Fn::GetAtt': [queueResource(cluster), 'Arn'] }],
              },
            ],
          },
        },
      ],
    },
  };
}

async function resources(context) {
  const config = await loadConfig(context);
  const Resources = {};
  const Outputs = {};
  const prefix = `${config.service}-${config.stage}`;

  for (const cluster of config.clusters) {
    Resources[deadLetterResource(cluster)] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${prefix}-${cluster.name}-dlq.fifo`,
        FifoQueue: true,
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      },
    };
    Resources[queueResource(cluster)] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${prefix}-${cluster.name}.fifo`,
        FifoQueue: true,
        // Producers set a deduplication id when they have one (Slack retries, alert group key);
        // content-based dedup covers the rest.
        ContentBasedDeduplication: true,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        // A check older than a day answers a question nobody is still asking.
        MessageRetentionPeriod: 86400,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterResource(cluster), 'Arn'] },
          maxReceiveCount: MAX_RECEIVES_BEFORE_DLQ,
        },
      },
    };
    Resources[`${cluster.id}DeadLetterAlarm`] = deadLetterAlarm(
      prefix,
      config,
      `${cluster.name}-dead-letters`,
      deadLetterResource(cluster),
      `netcheck jobs for cluster ${cluster.name} failed ${MAX_RECEIVES_BEFORE_DLQ} times and were parked in the dead-letter queue`,
    );
    Outputs[`${cluster.id}QueueUrl`] = {
      Description: `Job queue of cluster ${cluster.name}: the Helm value worker.queueUrl`,
      Value: { Ref: queueResource(cluster) },
    };
    if (cluster.oidcProvider) {
      Resources[`${cluster.id}WorkerRole`] = workerRole(config, cluster);
      Outputs[`${cluster.id}WorkerRoleArn`] = {
        Description: `IRSA role of the worker in cluster ${cluster.name}: the Helm value serviceAccount.roleArn`,
        Value: { 'Fn::GetAtt': [`${cluster.id}WorkerRole`, 'Arn'] },
      };
    }
  }

  // A scheduled sweep that cannot even be queued (bad input, queue down after Lambda's retries)
  // is parked here rather than lost, and alarms like a job dead letter.
  Resources[SCHEDULE_FAILURES] = {
    Type: 'AWS::SQS::Queue',
    Properties: { QueueName: `${prefix}-schedule-failures`, MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
  };
  Resources.ScheduleFailureAlarm = deadLetterAlarm(
    prefix,
    config,
    'schedule-failures',
    SCHEDULE_FAILURES,
    'A scheduled netcheck sweep could not be queued; the failed event is in the schedule-failures queue',
  );

  if (config.access) {
    Outputs.AccessPolicy = {
      Description: 'The access policy (custom.netcheck.access) as JSON: the Helm value accessPolicy, so the worker enforces what the handlers do',
      Value: config.access,
    };
  }

  const parameters = parametersRead(config);
  for (const fn of FUNCTIONS) Resources[`${logicalId(fn)}FunctionRole`] = functionRole(config, fn, parameters[fn]);

  return { Resources, Outputs };
}

/** NETCHECK_QUEUES: {"<cluster>": "<queue url>", …}, the URLs filled in by CloudFormation. */
async function queueUrlsJson(context) {
  const config = await loadConfig(context);
  const parts = ['{'];
  config.clusters.forEach((cluster, index) => {
    parts.push(`${index ? ',' : ''}${JSON.stringify(cluster.name)}:"`, { Ref: queueResource(cluster) }, '"');
  });
  parts.push('}');
  return { 'Fn::Join': ['', parts] };
}

async function channelClustersJson(context) {
  const config = await loadConfig(context);
  return JSON.stringify(config.channelClusters);
}

/** NETCHECK_ACCESS_POLICY: the validated policy as JSON, or empty (everything allowed) when none is declared. */
async function accessPolicyJson(context) {
  const config = await loadConfig(context);
  return config.access;
}

async function alertChannelsJson(context) {
  const config = await loadConfig(context);
  return JSON.stringify(config.alertChannels);
}

async function scheduleEvents(context) {
  const config = await loadConfig(context);
  return config.clusters
    .filter((cluster) => cluster.schedule)
    .map((cluster) => ({
      schedule: {
        name: `${config.service}-${config.stage}-sweep-${cluster.name}`,
        description: `netcheck sweep of cluster ${cluster.name}`,
        rate: [cluster.schedule],
        input: cluster.summaryChannel ? { cluster: cluster.name, channel: cluster.summaryChannel } : { cluster: cluster.name },
      },
    }));
}

module.exports = {
  resources: reportOnce(resources),
  queueUrlsJson: reportOnce(queueUrlsJson),
  channelClustersJson: reportOnce(channelClustersJson),
  accessPolicyJson: reportOnce(accessPolicyJson),
  alertChannelsJson: reportOnce(alertChannelsJson),
  scheduleEvents: reportOnce(scheduleEvents),
};
