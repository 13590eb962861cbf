import { targetSpecSchema } from '../model/index.js';
import type { Job } from '../jobs/schema.js';

/** The value of the Re-run button: enough to queue the same check again, validated on the way back. */
export interface RerunValue {
  target: Job['target'];
  cluster: string;
}

export const rerunValue = (job: Pick<Job, 'target' | 'cluster'>): string => JSON.stringify({ target: job.target, cluster: job.cluster });

export function parseRerunValue(value: string): RerunValue | undefined {
  try {
    const raw = JSON.parse(value) as { target?: unknown; cluster?: unknown };
    const target = targetSpecSchema.safeParse(raw.target);
    if (!target.success || typeof raw.cluster !== 'string') return undefined;
    return { target: target.data, cluster: raw.cluster };
  } catch {
    return undefined;
  }
}
