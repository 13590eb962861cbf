import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as bundle } from 'esbuild';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeNetlab, run } from '../netlab/lab.js';
import type { NodeKernelFacts } from '../../lib/model/index.js';

// The agent's reader against the real tools (nft 1.0.6, iptables 1.8.9 nf_tables and legacy,
// conntrack 1.4.7) in a network namespace of our own: kube-proxy-shaped rules loaded with
// iptables-nft-restore, a FORWARD DROP policy, a foreign drop, a NetworkPolicy-style chain, a
// native nftables firewall, a legacy rule, and conntrack entries from SYNs nobody answers.
// The reader runs inside the namespace (bundled, so no tsx per start), exactly as the agent does
// on a node's host network.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NS = `nc-agentnf-${process.pid}`;

const IPTABLES_RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:NETLAB-POLICY-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -j NETLAB-POLICY-FORWARD
-A FORWARD -d 10.244.2.0/24 -p tcp -m tcp --dport 5432 -j DROP
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "shop/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
-A NETLAB-POLICY-FORWARD -d 10.244.2.11/32 -p tcp -m tcp --dport 80 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-ABCDEF0123456789 - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ABCDEF0123456789
-A KUBE-SVC-ABCDEF0123456789 ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-ABCDEF0123456789 -m comment --comment "shop/web:http -> 10.244.2.10:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAAAAAAAAAAAAAA
-A KUBE-SVC-ABCDEF0123456789 -m comment --comment "shop/web:http -> 10.244.1.10:8080" -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SEP-AAAAAAAAAAAAAAAA -s 10.244.2.10/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.2.10:8080
-A KUBE-SEP-BBBBBBBBBBBBBBBB -s 10.244.1.10/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.10:8080
COMMIT
`;

const NFT_FIREWALL = `table inet lab-firewall {
  chain forward {
    type filter hook forward priority 10; policy accept;
    ip daddr 10.244.3.0/24 udp dport 53 drop
  }
}
`;

const LEGACY_RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -d 10.244.9.0/24 -j DROP
COMMIT
`;

/** What the agent answers for GET /facts?service=…, computed inside the namespace. */
const READER = `
import { readAgentFacts } from './lib/agent/facts.ts';
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const services = JSON.parse(Buffer.concat(chunks).toString('utf8'));
process.stdout.write(JSON.stringify(await readAgentFacts({ services })));
`;

const SERVICES = [
  { ip: '10.96.0.20', port: 80, protocol: 'TCP' },
  { ip: '10.96.0.30', port: 80, protocol: 'TCP' },
  { ip: '10.96.0.99', port: 80, protocol: 'TCP' },
];

let toolsDir = '';
let reader = '';
let created = false;

async function readInNamespace(prefix: string[] = []): Promise<NodeKernelFacts> {
  const { stdout } = await run('ip', ['netns', 'exec', NS, ...prefix, process.execPath, reader], { input: JSON.stringify(SERVICES), timeoutMs: 60_000 });
  return JSON.parse(stdout) as NodeKernelFacts;
}

describeNetlab('agent netfilter reader in a network namespace', () => {
  beforeAll(async () => {
    toolsDir = await mkdtemp(join(tmpdir(), 'netcheck-agentnf-'));
    reader = join(toolsDir, 'reader.mjs');
    await bundle({
      stdin: { contents: READER, resolveDir: REPO, sourcefile: 'agent-netfilter-reader.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: reader,
      logLevel: 'silent',
    });
    // Readable by the unprivileged user of the capability test below.
    await chmod(toolsDir, 0o755);
    await chmod(reader, 0o644);

    await run('ip', ['netns', 'add', NS]);
    created = true;
    const inNs = (command: string, args: string[], input?: string) => run('ip', ['netns', 'exec', NS, command, ...args], input === undefined ? {} : { input });
    await inNs('ip', ['link', 'set', 'lo', 'up']);
    // An uplink whose gateway never answers ARP: SYNs to the DNATed pods get a conntrack entry and no reply.
    await inNs('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer']);
    await inNs('ip', ['addr', 'add', '10.250.9.1/24', 'dev', 'eth0']);
    await inNs('ip', ['link', 'set', 'eth0', 'up']);
    await inNs('ip', ['link', 'set', 'eth0-peer', 'up']);
    await inNs('ip', ['route', 'add', 'default', 'via', '10.250.9.2']);
    // A bridge with a pod's veth on it.
    await inNs('ip', ['link', 'add', 'cbr0', 'type', 'bridge']);
    await inNs('ip', ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'pod0']);
    await inNs('ip', ['link', 'set', 'veth0', 'master', 'cbr0']);
    await inNs('sysctl', ['-q', '-w', 'net.ipv4.conf.eth0-peer.rp_filter=1']);

    await inNs('iptables-nft-restore', [], IPTABLES_RULES);
    await inNs('nft', ['-f', '-'], NFT_FIREWALL);
    await inNs('iptables-legacy-restore', [], LEGACY_RULES);

    await inNs(process.execPath, [
      '-e',
      `const net = require('node:net');
       for (let i = 0; i < 4; i++) net.connect({ host: '10.96.0.20', port: 80 }).on('error', () => {});
       setTimeout(() => process.exit(0), 300);`,
    ]);
  });

  afterAll(async () => {
    // By name, whatever happened above.
    if (created) await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    if (toolsDir) await rm(toolsDir, { recursive: true, force: true });
  });

  it('reads netfilter from nft, iptables-nft and iptables-legacy as kube-proxy, a CNI and a firewall left it', async () => {
    const facts = await readInNamespace();
    expect(facts.netfilter).toMatchObject({
      sources: ['nft', 'iptables-nft', 'iptables-legacy'],
      forwardPolicy: 'drop',
      forwardDropChains: ['ip filter FORWARD'],
      legacyRuleCount: 1,
      kubeProxyMode: 'iptables',
    });
    expect(facts.netfilter?.foreignDrops).toEqual(
      expect.arrayContaining([
        { table: 'ip filter', chain: 'FORWARD', hook: 'forward', verdict: 'drop', text: '-A FORWARD -d 10.244.2.0/24 -p tcp -m tcp --dport 5432 -j DROP' },
        { table: 'inet lab-firewall', chain: 'forward', hook: 'forward', verdict: 'drop', text: 'ip daddr 10.244.3.0/24 udp dport 53 drop' },
        { table: 'iptables-legacy filter', chain: 'FORWARD', hook: 'forward', verdict: 'drop', text: '-A FORWARD -d 10.244.9.0/24 -j DROP' },
      ]),
    );
    // kube-proxy's KUBE-FORWARD drop and the NetworkPolicy chain's drop are not foreign.
    expect(facts.netfilter?.foreignDrops).toHaveLength(3);
    expect(Object.keys(facts.unknown).filter((key) => key.startsWith('netfilter') || key.startsWith('conntrack'))).toEqual([]);
  });

  it('reads what kube-proxy programmed for the addresses asked about', async () => {
    const facts = await readInNamespace();
    const [web, empty, missing] = facts.serviceRules ?? [];
    expect(web).toMatchObject({ ip: '10.96.0.20', port: 80, protocol: 'TCP', mode: 'iptables', found: true, backends: ['10.244.2.10:8080', '10.244.1.10:8080'], rejects: false });
    expect(empty).toMatchObject({ ip: '10.96.0.30', mode: 'iptables', found: true, backends: [], rejects: true });
    expect(missing).toMatchObject({ ip: '10.96.0.99', mode: 'iptables', found: false });
  });

  it('counts the unreplied SYNs and where the DNAT sent them', async () => {
    const facts = await readInNamespace();
    const web = facts.conntrackEntries?.find((entry) => entry.ip === '10.96.0.20');
    expect(web?.total).toBeGreaterThanOrEqual(4);
    expect(web?.unreplied).toBe(web?.total);
    expect(Object.keys(web?.unrepliedTo ?? {}).every((to) => to === '10.244.2.10:8080' || to === '10.244.1.10:8080')).toBe(true);
    expect(Object.values(web?.unrepliedTo ?? {}).reduce((sum, count) => sum + count, 0)).toBe(web?.unreplied);
    expect(web?.samples[0]).toMatch(/^tcp 6 \d+ SYN_SENT src=10\.250\.9\.1 dst=10\.96\.0\.20 .*\[UNREPLIED\] src=10\.244\.[12]\.10/);
    expect(facts.conntrackEntries?.find((entry) => entry.ip === '10.96.0.99')).toMatchObject({ total: 0, unreplied: 0 });
  });

  it('classifies the bridged veth as a pod interface and reads rp_filter on every interface', async () => {
    const facts = await readInNamespace();
    const kinds = Object.fromEntries(facts.interfaces.map((iface) => [iface.name, iface.kind]));
    expect(kinds).toMatchObject({ veth0: 'pod', cbr0: 'cni', eth0: 'primary', 'eth0-peer': 'other', pod0: 'other' });
    expect(facts.rpFilter.interfaces).toMatchObject({ 'eth0-peer': 1, veth0: expect.any(Number), eth0: expect.any(Number) });
    expect(facts.rpFilter.interfaces).not.toHaveProperty('lo');
  });

  it('needs only CAP_NET_ADMIN as root (legacy tables then read as unknown), and nothing works without it', async () => {
    const hasSetpriv = await run('setpriv', ['--version']).then(
      () => true,
      () => false,
    );
    if (!hasSetpriv) {
      console.warn('[netlab] setpriv (util-linux) missing: capability check not run');
      return;
    }
    const netAdminOnly = await readInNamespace(['setpriv', '--inh-caps=-all', '--bounding-set=-all,+net_admin', '--no-new-privs']);
    expect(netAdminOnly.netfilter).toMatchObject({ sources: ['nft', 'iptables-nft'], forwardPolicy: 'drop', kubeProxyMode: 'iptables' });
    expect(netAdminOnly.unknown['netfilter.legacyRuleCount']).toMatch(/needs CAP_NET_RAW as well/);
    expect(netAdminOnly.serviceRules?.[0]?.backends).toEqual(['10.244.2.10:8080', '10.244.1.10:8080']);
    expect(netAdminOnly.conntrackEntries?.find((entry) => entry.ip === '10.96.0.20')?.total).toBeGreaterThanOrEqual(4);

    // A non-root user keeps no added capability across exec (Kubernetes sets no ambient capabilities).
    const nonRoot = await readInNamespace(['setpriv', '--reuid=10001', '--regid=10001', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all,+net_admin', '--no-new-privs']);
    expect(nonRoot.netfilter).toBeNull();
    expect(nonRoot.unknown.netfilter).toMatch(/CAP_NET_ADMIN/);
    expect(nonRoot.unknown['conntrackEntries.10.96.0.20:80/tcp']).toMatch(/CAP_NET_ADMIN/);
  });
});
