import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_CNI_CONFIG_BYTES, MAX_CNI_CONFIG_FILES, parseCniConfig, readCniConfig } from '../../lib/agent/cni-config.js';
import check from '../../lib/checks/hostport-without-portmap.js';
import { toPodFact } from '../../lib/kube/convert.js';
import type { CniConfigFact, Facts } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';

// The agent's CNI config reader on real files, and the check's rules beyond the three fixtures:
// Cilium, hostNetwork pods, old agents and unreadable first files.

const FLANNEL = JSON.stringify({
  name: 'cbr0',
  cniVersion: '0.3.1',
  plugins: [
    { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

describe('readCniConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-cni-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function fresh(name: string): string {
    const path = join(dir, name);
    mkdirSync(path);
    return path;
  }

  it('lists .conf, .conflist and .json files in byte order, parsing each chain', async () => {
    const path = fresh('order');
    writeFileSync(join(path, '10-flannel.conflist'), FLANNEL);
    writeFileSync(join(path, '05-bridge.conf'), JSON.stringify({ name: 'br', type: 'bridge', capabilities: { portMappings: false } }));
    writeFileSync(join(path, 'Z-upper.json'), JSON.stringify({ name: 'up', type: 'macvlan' }));
    writeFileSync(join(path, '00-notes.txt'), 'not a config');
    writeFileSync(join(path, '10-flannel.conflist.bak'), FLANNEL);
    const fact = await readCniConfig({ dir: path });
    expect(fact).toEqual({
      dir: path,
      files: [
        { file: '05-bridge.conf', name: 'br', plugins: [{ type: 'bridge', portMappings: false }] },
        {
          file: '10-flannel.conflist',
          name: 'cbr0',
          plugins: [
            { type: 'flannel', portMappings: false },
            { type: 'portmap', portMappings: true },
          ],
        },
        { file: 'Z-upper.json', name: 'up', plugins: [{ type: 'macvlan', portMappings: false }] },
      ],
    });
  });

  it('says why a file cannot be used instead of dropping it', async () => {
    const path = fresh('broken');
    writeFileSync(join(path, '01-truncated.conflist'), FLANNEL.slice(0, 40));
    writeFileSync(join(path, '02-empty.conflist'), JSON.stringify({ name: 'x', plugins: [] }));
    writeFileSync(join(path, '03-list-as-conf.conf'), FLANNEL);
    writeFileSync(join(path, '04-huge.conflist'), ' '.repeat(MAX_CNI_CONFIG_BYTES + 1));
    mkdirSync(join(path, '05-dir.conf'));
    const fact = await readCniConfig({ dir: path });
    const reasons = Object.fromEntries(fact.files.map((f) => [f.file, f.unknown]));
    withContext(JSON.stringify(reasons), () => {
      expect(reasons['01-truncated.conflist']).toMatch(/^unknown, because 01-truncated.conflist is not JSON/);
      expect(reasons['02-empty.conflist']).toBe('unknown, because 02-empty.conflist lists no plugins');
      expect(reasons['03-list-as-conf.conf']).toBe('unknown, because 03-list-as-conf.conf names no plugin type');
      expect(reasons['04-huge.conflist']).toMatch(/is larger than 65536 bytes$/);
      expect(reasons['05-dir.conf']).toMatch(/is not a regular file$/);
    });
    expect(fact.files.every((f) => f.plugins.length === 0)).toBe(true);
  });

  it('reports a missing directory as unknown and bounds how many files it reads', async () => {
    const missing = await readCniConfig({ dir: join(dir, 'nope') });
    expect(missing.files).toEqual([]);
    expect(missing.unknown).toMatch(/does not exist/);
    const path = fresh('many');
    for (let i = 0; i < MAX_CNI_CONFIG_FILES + 3; i++) writeFileSync(join(path, `${String(i).padStart(2, '0')}-x.conflist`), FLANNEL);
    const many = await readCniConfig({ dir: path });
    expect(many.files).toHaveLength(MAX_CNI_CONFIG_FILES);
    expect(many.truncated).toBe(true);
    expect(many.files[0]?.file).toBe('00-x.conflist');
  });

  it('takes the capability only when it is literally true', () => {
    const parsed = parseCniConfig(
      'a.conflist',
      JSON.stringify({
        plugins: [
          { type: 'portmap', capabilities: { portMappings: 'true' } },
          { type: 'tuning', capabilities: [true] },
          { type: 'x', capabilities: { portMappings: true } },
        ],
      }),
    );
    expect(parsed.plugins.map((p) => p.portMappings)).toEqual([false, false, true]);
    expect(parseCniConfig('b.conflist', '[]').unknown).toBe('unknown, because b.conflist holds no JSON object');
    expect(parseCniConfig('c.conflist', JSON.stringify({ plugins: [{ type: 'ok' }, { name: 'typeless' }] })).unknown).toBe('unknown, because plugin 1 of c.conflist has no type');
  });
});

describe('toPodFact keeps hostPort', () => {
  it('copies hostPort when set and leaves it out otherwise', () => {
    const pod = toPodFact({
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9090 }] }] },
      status: { phase: 'Running' },
    });
    expect(pod.containers[0]?.ports).toEqual([
      { containerPort: 80, protocol: 'TCP', hostPort: 8080 },
      { containerPort: 9090, protocol: 'TCP' },
    ]);
  });
});

const CILIUM_CONFLIST: CniConfigFact = { dir: '/etc/cni/net.d', files: [{ file: '05-cilium.conflist', name: 'cilium', plugins: [{ type: 'cilium-cni', portMappings: false }] }] };

function scenario(options: { cni?: CniConfigFact | null; hostNetwork?: boolean; kubeProxy?: boolean; cilium?: boolean }): Facts {
  const daemonSets = [
    ...(options.cilium
      ? [{ name: 'cilium', namespace: 'kube-system', labels: { 'k8s-app': 'cilium' }, selector: { 'k8s-app': 'cilium' }, desired: 1, ready: 1, available: 1 }]
      : []),
    ...(options.kubeProxy
      ? [{ name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, selector: { 'k8s-app': 'kube-proxy' }, desired: 1, ready: 1, available: 1 }]
      : []),
  ];
  return buildFacts(
    { kind: 'node', name: 'node-1', cluster: 'test' },
    {
      nodes: [{ name: 'node-1', ready: true }],
      pods: [
        {
          name: 'proxy-1',
          namespace: 'edge',
          nodeName: 'node-1',
          phase: 'Running',
          ready: true,
          ...(options.hostNetwork ? { hostNetwork: true } : {}),
          containers: [{ name: 'envoy', ready: true, state: 'running', ports: [{ containerPort: 8443, hostPort: 8443 }] }],
        },
      ],
      systemDaemonSets: daemonSets,
      nodeAgents: [{ node: 'node-1', status: 'ok', facts: options.cni === null ? {} : { cniConfig: options.cni ?? CILIUM_CONFLIST } }],
    },
  );
}

describe('hostport-without-portmap', () => {
  it('passes Cilium that replaces kube-proxy (eBPF hostPort) and warns when kube-proxy still runs', () => {
    const [replaced] = check.run(scenario({ cilium: true }));
    withContext(replaced?.detail ?? '', () => expect(replaced?.status).toBe('pass'));
    expect(replaced?.evidence.join(' ')).toContain('maps hostPorts in eBPF itself');
    const [beside] = check.run(scenario({ cilium: true, kubeProxy: true }));
    expect(beside?.status).toBe('warn');
    expect(beside?.subjects).toContainEqual({ kind: 'node', name: 'node-1' });
    expect(beside?.remediation).toContain('cni.chainingMode=portmap');
  });

  it('is unknown, not "no hostPort pods", when the pods could not be listed', () => {
    const facts = scenario({});
    const denied = { ...facts, pods: [], accessErrors: [{ verb: 'list' as const, resource: 'pods', status: 403, message: 'forbidden' }] };
    const [result] = check.run(denied);
    expect(result?.status).toBe('skip');
    expect(result?.detail).not.toMatch(/^Not applicable/);
    expect(result?.detail).toContain('pods');
  });

  it('ignores hostNetwork pods, whose hostPort is the node port itself', () => {
    const [result] = check.run(scenario({ hostNetwork: true, cni: { dir: '/etc/cni/net.d', files: [] } }));
    expect(result?.status).toBe('skip');
    expect(result?.detail).toMatch(/^Not applicable/);
  });

  it('is unknown for an agent that does not report CNI config, an empty directory, or an unreadable first file', () => {
    const old = check.run(scenario({ cni: null }))[0];
    expect(old?.status).toBe('skip');
    expect(old?.detail).toContain('does not report its CNI configuration');
    const empty = check.run(scenario({ cni: { dir: '/etc/cni/net.d', files: [] } }))[0];
    expect(empty?.status).toBe('skip');
    expect(empty?.detail).toContain('holds no CNI configuration file');
    const broken = check.run(
      scenario({
        cni: {
          dir: '/etc/cni/net.d',
          files: [
            { file: '00-broken.conflist', plugins: [], unknown: 'unknown, because 00-broken.conflist is not JSON (Unexpected end)' },
            { file: '10-flannel.conflist', plugins: [{ type: 'portmap', portMappings: true }] },
          ],
        },
      }),
    )[0];
    expect(broken?.status).toBe('skip');
    expect(broken?.detail).toContain('00-broken.conflist is not JSON');
    const unreadable = check.run(scenario({ cni: { dir: '/etc/cni/net.d', files: [], unknown: 'unknown, because /etc/cni/net.d is not readable (EACCES)' } }))[0];
    expect(unreadable?.status).toBe('skip');
    expect(unreadable?.detail).toContain('EACCES');
  });

  it('fails a single-plugin .conf without the capability, naming the file, pod and port', () => {
    const [result] = check.run(scenario({ cni: { dir: '/etc/cni/net.d', files: [{ file: '10-bridge.conf', name: 'k8s', plugins: [{ type: 'bridge', portMappings: false }] }] } }));
    expect(result?.status).toBe('fail');
    expect(result?.detail).toContain('Pod edge/proxy-1 on node-1 asks for hostPort 8443');
    expect(result?.detail).toContain('/etc/cni/net.d/10-bridge.conf');
    expect(result?.subjects).toContainEqual(expect.objectContaining({ kind: 'pod', name: 'proxy-1', namespace: 'edge' }));
    expect(result?.remediation).toContain('kubectl -n edge delete pod proxy-1');
  });
});
