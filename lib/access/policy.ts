import * as z from 'zod';
import { dnsLabel } from '../model/index.js';

// The access policy: who may ask what, declared once in the deployment (serverless.yml's
// custom.netcheck.access) and shipped as JSON (NETCHECK_ACCESS_POLICY) to the Slack handlers,
// which refuse at the door, and to the worker, which re-checks every job and scopes what it shows.

/** The commands a grant names; `help` is never refused (it reveals nothing about a cluster). */
export const COMMANDS = ['svc', 'dns', 'node', 'cluster'] as const;
export type Command = (typeof COMMANDS)[number];

const ANY = z.literal('*');
const labelKey = z.string().min(1).max(316);
const labelValue = z.string().max(63);

/** A Kubernetes LabelSelector over Namespace labels, so new team namespaces are covered without a redeploy. */
export const namespaceSelectorSchema = z
  .object({
    matchLabels: z.record(labelKey, labelValue).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(labelValue).optional(),
        }),
      )
      .optional(),
  })
  .strict()
  .refine((s) => Object.keys(s.matchLabels ?? {}).length + (s.matchExpressions?.length ?? 0) > 0, {
    message: 'a namespace selector needs matchLabels or matchExpressions (an empty one would match every namespace: write "*")',
  });
export type NamespaceSelector = z.infer<typeof namespaceSelectorSchema>;

export const grantSchema = z
  .object({
    clusters: z.array(z.union([ANY, dnsLabel])).min(1),
    namespaces: z.array(z.union([ANY, dnsLabel, z.strictObject({ selector: namespaceSelectorSchema })])).default([]),
    commands: z.array(z.union([ANY, z.enum(COMMANDS)])).default([]),
  })
  .strict();
export type Grant = z.infer<typeof grantSchema>;

const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;
const SLACK_GROUP_ID = /^S[A-Z0-9]{2,30}$/;

export const accessPolicySchema = z
  .object({
    /** What happens to a channel, or a person, that no rule names. Deny is what the README recommends. */
    default: z.enum(['deny', 'allow']),
    /** Who to ask for more (a channel, a team, a person), quoted in every refusal. */
    contact: z.string().min(1).max(200).optional(),
    channels: z.record(z.string().regex(SLACK_CHANNEL_ID, 'must be a Slack channel id like C0123ABCD'), grantSchema).default({}),
    users: z.record(z.string().regex(SLACK_USER_ID, 'must be a Slack user id like U0123ABCD'), grantSchema).default({}),
    /** Slack user group ids (S…); membership is resolved with the bot token, where it lives: the worker. */
    groups: z.record(z.string().regex(SLACK_GROUP_ID, 'must be a Slack user group id like S0123ABCD'), grantSchema).default({}),
    /** A grant every person has, in addition to their own and their groups'. */
    everyone: grantSchema.optional(),
    /**
     * The scope of an incident channel netcheck just saw created (no rule can name it yet): what
     * its baseline sweep may show. Absent: the default decides.
     */
    newIncidentChannels: grantSchema.optional(),
  })
  .strict();
export type AccessPolicy = z.infer<typeof accessPolicySchema>;
export type AccessPolicyInput = z.input<typeof accessPolicySchema>;

/** Without a declared policy everything is allowed, as before the policy existed; the README says to declare one. */
export const OPEN_POLICY: AccessPolicy = { default: 'allow', channels: {}, users: {}, groups: {} };

export type PolicyParse = { ok: true; policy: AccessPolicy } | { ok: false; problems: string[] };

/** Parses and checks a policy; `clusters` (when known) must include every cluster a grant names. */
export function parseAccessPolicy(input: unknown, clusters?: readonly string[]): PolicyParse {
  const result = accessPolicySchema.safeParse(input);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'access'}: ${i.message}`) };
  }
  const policy = result.data;
  const problems: string[] = [];
  if (clusters) {
    const known = new Set(clusters);
    const each = (where: string, grant: Grant | undefined) => {
      for (const cluster of grant?.clusters ?? []) {
        if (cluster !== '*' && !known.has(cluster)) problems.push(`${where}.clusters: "${cluster}" is not one of the clusters (${[...known].join(', ')})`);
      }
    };
    for (const [id, grant] of Object.entries(policy.channels)) each(`channels.${id}`, grant);
    for (const [id, grant] of Object.entries(policy.users)) each(`users.${id}`, grant);
    for (const [id, grant] of Object.entries(policy.groups)) each(`groups.${id}`, grant);
    each('everyone', policy.everyone);
    each('newIncidentChannels', policy.newIncidentChannels);
  }
  return problems.length ? { ok: false, problems } : { ok: true, policy };
}

export function parseAccessPolicyJson(raw: string, clusters?: readonly string[]): PolicyParse {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${(error as Error).message}`] };
  }
  return parseAccessPolicy(json, clusters);
}
