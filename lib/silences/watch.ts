import { stat } from 'node:fs/promises';
import type { Silence } from '../model/index.js';
import { loadSilenceFile } from './file.js';

// The worker's silences come from the chart's `silences` value, mounted from a ConfigMap. The
// kubelet replaces the file when the value changes, so it is re-read when its mtime moves — a
// `helm upgrade` takes effect on the next job, without a restart. A broken file at start stops the
// worker with the file's own error; a broken update keeps the last good list and logs why, so a
// typo never un-silences everything (or silences more) in the middle of an incident.

export interface SilenceSource {
  current(): Promise<readonly Silence[]>;
}

export async function watchSilenceFile(path: string, onError: (message: string) => void): Promise<SilenceSource> {
  let list = await loadSilenceFile(path);
  let seen = (await stat(path)).mtimeMs;
  return {
    async current() {
      try {
        const mtime = (await stat(path)).mtimeMs;
        if (mtime !== seen) {
          seen = mtime;
          list = await loadSilenceFile(path);
        }
      } catch (error) {
        onError(`${(error as Error).message}; keeping the ${list.length} silences read before`);
      }
      return list;
    },
  };
}
