import { authorize } from '../access/authorize.js';
import type { AccessPolicy } from '../access/policy.js';
import type { TargetSpec } from '../model/index.js';
import type { Log } from '../observability/logger.js';

// Any button that starts work (Re-run today; whatever else queues a job later) calls this before
// it queues: the clicker is checked, in the channel of the click, for what the button asks. A
// button's value is client-supplied and anyone in the channel can click it, so neither the value
// nor the original requester's permission is proof.

export interface ActionAccessDeps {
  access: AccessPolicy;
  log: Log;
}

/** Undefined when the clicker may; otherwise the refusal to show them (plain text). */
export function refuseAction(deps: ActionAccessDeps, click: { user?: string; channel: string; action: string; target: TargetSpec; cluster: string }): string | undefined {
  return authorize({
    policy: deps.access,
    log: deps.log,
    at: 'button',
    channel: click.channel,
    ...(click.user ? { user: click.user } : {}),
    target: click.target,
    cluster: click.cluster,
    trigger: click.action,
  }).refusal;
}
