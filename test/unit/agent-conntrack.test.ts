import { describe, expect, it } from '@jest/globals';
import { conntrackArgs, parseConntrackLine, readConntrackEntries, summarizeConntrack } from '../../lib/agent/conntrack.js';
import type { ServiceAddress } from '../../lib/agent/service-address.js';
import type { ToolRequest, ToolResult } from '../../lib/agent/tools.js';

// conntrack -L output (conntrack-tools 1.4.7) recorded in a node namespace: SYNs to a ClusterIP
// whose DNAT went to a pod that never answered, an answered connection, a UDP request.

const web: ServiceAddress = { ip: '10.96.0.20', port: 80, protocol: 'TCP' };
const dns: ServiceAddress = { ip: '10.96.0.40', port: 53, protocol: 'UDP' };

const TCP_LINES = [
  'tcp      6 118 SYN_SENT src=10.250.9.1 dst=10.96.0.20 sport=34518 dport=80 [UNREPLIED] src=10.244.2.10 dst=10.250.9.1 sport=8080 dport=34518 mark=0 use=2',
  'tcp      6 118 SYN_SENT src=10.250.9.1 dst=10.96.0.20 sport=34516 dport=80 [UNREPLIED] src=10.244.1.10 dst=10.250.9.1 sport=8080 dport=34516 mark=0 use=2',
  'tcp      6 118 SYN_SENT src=10.250.9.1 dst=10.96.0.20 sport=34504 dport=80 [UNREPLIED] src=10.244.1.10 dst=10.250.9.1 sport=8080 dport=34504 mark=0 use=2',
  'tcp      6 431999 ESTABLISHED src=10.244.1.7 dst=10.96.0.20 sport=51200 dport=80 src=10.244.2.11 dst=10.244.1.7 sport=8080 dport=51200 [ASSURED] mark=0 use=1',
];
const UDP_LINE = 'udp      17 28 src=10.250.9.1 dst=10.96.0.40 sport=48905 dport=53 [UNREPLIED] src=10.244.1.5 dst=10.250.9.1 sport=53 dport=48905 mark=0 use=2';

describe('parseConntrackLine', () => {
  it('splits the original and reply tuples and sees [UNREPLIED]', () => {
    expect(parseConntrackLine(TCP_LINES[0] as string)).toEqual({
      protocol: 'tcp',
      state: 'SYN_SENT',
      original: { src: '10.250.9.1', dst: '10.96.0.20', sport: 34518, dport: 80 },
      reply: { src: '10.244.2.10', dst: '10.250.9.1', sport: 8080, dport: 34518 },
      unreplied: true,
    });
    expect(parseConntrackLine(TCP_LINES[3] as string)).toMatchObject({ state: 'ESTABLISHED', unreplied: false, reply: { src: '10.244.2.11', sport: 8080 } });
  });

  it('reads UDP lines (no state), `-o extended` lines, and IPv6', () => {
    expect(parseConntrackLine(UDP_LINE)).toMatchObject({ protocol: 'udp', unreplied: true, reply: { src: '10.244.1.5', sport: 53 } });
    expect(parseConntrackLine(UDP_LINE)?.state).toBeUndefined();
    expect(parseConntrackLine(`ipv4     2 ${TCP_LINES[0]}`)).toMatchObject({ state: 'SYN_SENT', original: { dst: '10.96.0.20' } });
    expect(
      parseConntrackLine('tcp      6 117 SYN_SENT src=fd00::1 dst=fd00:96::20 sport=40000 dport=80 [UNREPLIED] src=fd00:244::a dst=fd00::1 sport=8080 dport=40000 mark=0 use=1'),
    ).toMatchObject({ reply: { src: 'fd00:244::a', sport: 8080 } });
  });

  it('ignores the summary line and anything else', () => {
    expect(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.')).toBeUndefined();
    expect(parseConntrackLine('')).toBeUndefined();
  });
});

describe('summarizeConntrack', () => {
  it('counts entries, unreplied ones, and where the DNAT sent the unreplied ones', () => {
    expect(summarizeConntrack(web, TCP_LINES.join('\n'))).toEqual({
      ...web,
      total: 4,
      unreplied: 3,
      unrepliedTo: { '10.244.2.10:8080': 1, '10.244.1.10:8080': 2 },
      samples: TCP_LINES.map((line) => line.replace(/\s+/g, ' ')),
    });
  });

  it('keeps at most five samples, preferring unreplied entries', () => {
    const answered = TCP_LINES[3] as string;
    const text = [...Array(6).fill(answered), TCP_LINES[0]].join('\n');
    const summary = summarizeConntrack(web, text);
    expect(summary.samples).toHaveLength(5);
    expect(summary.samples.filter((sample) => sample.includes('[UNREPLIED]'))).toHaveLength(1);
    expect(summary.total).toBe(7);
  });

  it('brackets IPv6 reply addresses', () => {
    const line = 'tcp      6 117 SYN_SENT src=fd00::1 dst=fd00:96::20 sport=40000 dport=80 [UNREPLIED] src=fd00:244::a dst=fd00::1 sport=8080 dport=40000 mark=0 use=1';
    expect(summarizeConntrack({ ip: 'fd00:96::20', port: 80, protocol: 'TCP' }, line).unrepliedTo).toEqual({ '[fd00:244::a]:8080': 1 });
  });
});

describe('readConntrackEntries', () => {
  function runner(answer: (request: ToolRequest) => ToolResult) {
    const calls: string[][] = [];
    return {
      calls,
      run: async (request: ToolRequest): Promise<ToolResult> => {
        calls.push([request.command, ...request.args]);
        const result = answer(request);
        if (result.ok && request.onLine) for (const line of result.stdout.split('\n')) request.onLine(line);
        return result.ok && request.onLine ? { ...result, stdout: '' } : result;
      },
    };
  }

  it('asks conntrack with a fixed argv per address (IPv6 with -f ipv6) and streams the lines', async () => {
    const { run, calls } = runner((request) => ({
      ok: true,
      stdout: request.args.includes('udp') ? `${UDP_LINE}\n` : `${TCP_LINES.join('\n')}\n`,
      stderr: `conntrack v1.4.7 (conntrack-tools): ${request.args.includes('udp') ? 1 : 4} flow entries have been shown.\n`,
      code: 0,
    }));
    const { entries, unknown } = await readConntrackEntries([web, dns], { run });
    expect(unknown).toEqual({});
    expect(entries.map((entry) => [entry.ip, entry.total, entry.unreplied])).toEqual([
      ['10.96.0.20', 4, 3],
      ['10.96.0.40', 1, 1],
    ]);
    expect(calls).toEqual([
      ['conntrack', '-L', '-p', 'tcp', '-d', '10.96.0.20', '--dport', '80'],
      ['conntrack', '-L', '-p', 'udp', '-d', '10.96.0.40', '--dport', '53'],
    ]);
    expect(conntrackArgs({ ip: 'fd00::20', port: 443, protocol: 'TCP' })).toEqual(['-L', '-f', 'ipv6', '-p', 'tcp', '-d', 'fd00::20', '--dport', '443']);
  });

  it('reports zero entries as zero when conntrack says "0 flow entries have been shown."', async () => {
    const { run } = runner(() => ({ ok: true, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n', code: 0 }));
    const { entries } = await readConntrackEntries([web], { run });
    expect(entries).toEqual([{ ...web, total: 0, unreplied: 0, unrepliedTo: {}, samples: [] }]);
  });

  it('makes a missing tool or a permission error unknown, never zero', async () => {
    const denied = runner(() => ({
      ok: false,
      reason:
        'conntrack -L -p tcp -d 10.96.0.20 --dport 80 exited with status 1: conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this',
      stderr: '',
      code: 1,
    }));
    const result = await readConntrackEntries([web], { run: denied.run });
    expect(result.entries).toEqual([]);
    expect(result.unknown['conntrackEntries.10.96.0.20:80/tcp']).toMatch(/^unknown, because conntrack -L .* CAP_NET_ADMIN/);

    const absent = runner(() => ({ ok: false, reason: 'conntrack is not installed (not found on PATH)', stderr: '', errno: 'ENOENT' }));
    expect((await readConntrackEntries([dns], { run: absent.run })).unknown).toEqual({
      'conntrackEntries.10.96.0.40:53/udp': 'unknown, because conntrack is not installed (not found on PATH)',
    });
  });
});
