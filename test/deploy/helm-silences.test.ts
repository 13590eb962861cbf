import { describe, expect, it } from '@jest/globals';
import { helmForFile } from '../support/chart.js';
import { withContext } from '../support/with-context.js';
import { stringify } from 'yaml';
import { parseSilenceFile } from '../../lib/silences/file.js';

// The chart's `silences` value reaches the worker in the CLI's format: rendered with the real helm
// v4 binary into a ConfigMap, mounted where NETCHECK_SILENCES_FILE points, and read by the same
// parser the CLI uses for .netcheck.yaml.

const REQUIRED = {
  clusterName: 'prod',
  aws: { region: 'eu-west-1', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/netcheck-prod-prod.fifo' },
  image: { repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/netcheck' },
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const helm = helmForFile();

async function render(values: Json): Promise<Json[]> {
  return helm.template(['-f', await helm.file('.yaml', stringify(values))]);
}

describe('chart silences', () => {
  it('renders the value into a ConfigMap the worker reads with the CLI parser', async () => {
    const silences = [
      { id: 'staging-lb', codes: ['loadbalancer-pending'], namespace: 'staging', reason: 'no cloud load balancer in staging', expires: '2027-03-31' },
      { kind: 'node', labels: { pool: 'spot' }, name: '/^spot-/', reason: 'spot nodes come and go' },
    ];
    const objects = await render({ ...REQUIRED, silences });
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && String(o.metadata.name).endsWith('-silences'))!;
    const parsed = parseSilenceFile(configMap.data['silences.yaml'], 'chart');
    expect(parsed.map((s) => s.id)).toEqual(['staging-lb', 'chart#2']);
    expect(parsed[0]).toMatchObject({ codes: ['loadbalancer-pending'], namespace: 'staging', expiresAt: '2027-03-31T23:59:59.999Z' });
    expect(parsed[1]).toMatchObject({ kind: 'node', labels: { pool: 'spot' }, name: '/^spot-/' });

    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const pod = deployment.spec.template.spec;
    const worker = pod.containers.find((c: Json) => c.name === 'worker');
    const file = worker.env.find((e: Json) => e.name === 'NETCHECK_SILENCES_FILE').value as string;
    const mount = worker.volumeMounts.find((m: Json) => file.startsWith(`${m.mountPath}/`));
    withContext('the silence file lies in a mounted directory (no subPath: the kubelet updates it in place)', () => expect(mount).toMatchObject({ readOnly: true }));
    expect(mount.subPath).toBeUndefined();
    const volume = pod.volumes.find((v: Json) => v.name === mount.name);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    expect(file.slice(mount.mountPath.length + 1)).toBe('silences.yaml');
  });

  it('without silences the worker reads an empty list', async () => {
    const objects = await render(REQUIRED);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && String(o.metadata.name).endsWith('-silences'))!;
    expect(parseSilenceFile(configMap.data['silences.yaml'], 'chart')).toEqual([]);
  });

  it('the schema refuses an entry without a reason, naming it', async () => {
    const error = await render({ ...REQUIRED, silences: [{ namespace: 'shop' }] }).then(
      () => '',
      (e: { stderr?: string }) => e.stderr ?? '',
    );
    expect(error).toMatch(/silences\/0.*reason|reason.*silences/s);
  });
});
