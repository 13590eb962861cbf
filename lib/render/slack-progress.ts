// The parent a job posts within a second of starting, edited in place as its phases finish; the
// final edit replaces it with the verdict (renderSlackThread's parent). Kept apart from the
// report renderers so the look of the verdict can change without touching how progress reads.
import { escapeMrkdwn, truncate } from './mrkdwn.js';
import { context, fallbackText, section, type SlackMessage } from './slack-budget.js';

export type ProgressPhase = 'queued' | 'gather' | 'probe' | 'check' | 'post';

export interface ProgressContext {
  /** "svc shop/payments", as targetLabel reads it. */
  target: string;
  cluster: string;
  /** Where the probes leave from: "node-1", "the netcheck worker". */
  from?: string;
  /** Already a mention or an escaped name. */
  requester?: string;
  /** Set on a redelivered job picking up its own thread. */
  resumed?: boolean;
}

const PHASE_LINE: Record<ProgressPhase, string> = {
  queued: 'starting',
  gather: 'reading the cluster (services, endpoints, pods, nodes, policies)',
  probe: 'probing the data path and asking the node agents',
  check: 'running the checks and deciding the verdict',
  post: 'posting the details',
};

const ORDER: ProgressPhase[] = ['gather', 'probe', 'check'];

export function renderSlackProgress(phase: ProgressPhase, ctx: ProgressContext): SlackMessage {
  const from = ctx.from ? ` from ${ctx.from}` : '';
  const headline = `Checking ${ctx.target}${from}…`;
  const done = ORDER.slice(0, Math.max(0, ORDER.indexOf(phase))).map((p) => `:white_check_mark: ${PHASE_LINE[p]}`);
  const lines = [...done, `:hourglass_flowing_sand: ${PHASE_LINE[phase]}`];
  const meta = [`cluster ${escapeMrkdwn(ctx.cluster)}`, ctx.requester ? `requested by ${ctx.requester}` : '', ctx.resumed ? 'resumed after an interruption' : '']
    .filter((t) => t !== '')
    .join(' · ');
  return {
    text: fallbackText(headline),
    blocks: [section(`:mag: *${escapeMrkdwn(truncate(headline, 500))}*\n${lines.join('\n')}`), context(meta)],
  };
}
