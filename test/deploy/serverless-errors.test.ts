import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';

// `osls package` is the offline pre-flight check of a deploy (README, Deploying). A configuration
// mistake must read as one sentence naming what to set: osls used to print it once per variable
// that reads the cluster list (five times here), each with a stack trace.

const repo = fileURLToPath(new URL('../../', import.meta.url));
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'netcheck-sls-errors-'));
});
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('osls package with a configuration mistake', () => {
  it('prints a missing summaryChannel once, without a stack trace, and fails', async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        join(repo, 'node_modules/.bin/osls'),
        ['package', '--package', outDir, '--stage', 'test', `--param=ssmKmsKeyArn=${KMS_KEY}`],
        { cwd: repo, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' }, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 99) : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect(result.code).toBe(1);
    const mentions = result.output.match(/has a schedule but no summaryChannel/g) ?? [];
    withContext(result.output, () => expect(mentions).toHaveLength(1));
    expect(result.output).toContain('Error: serverless.yml custom.netcheck: clusters[0] ("prod") has a schedule but no summaryChannel');
    expect(result.output).not.toMatch(/^\s+at /m);
  }, 150_000);
});
