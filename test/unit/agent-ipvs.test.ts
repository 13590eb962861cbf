import { describe, expect, it } from '@jest/globals';
import { ipvsServiceRules, parseIpvsadm } from '../../lib/agent/ipvs.js';
import type { ToolRunner } from '../../lib/agent/tools.js';

// IPVS cannot be loaded on the development machines' kernel: the parser runs on recorded
// `ipvsadm -Ln` output (ipvsadm 1.31), the reader on a runner that answers with it.

const RECORDED = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.20:80 rr
  -> 10.244.2.10:8080             Masq    1      0          0
  -> 10.244.1.12:8080             Masq    1      3          1
  -> 10.244.1.13:8080             Masq    0      0          4
UDP  10.96.0.10:53 rr
  -> 10.244.1.53:53               Masq    1      0          0
`;

describe('parseIpvsadm', () => {
  it('lists the real servers of each virtual service, leaving out those kube-proxy drains (weight 0)', () => {
    const services = parseIpvsadm(RECORDED);
    expect(services.get('TCP 10.96.0.20:80')).toEqual(['10.244.2.10:8080', '10.244.1.12:8080']);
    expect(services.get('UDP 10.96.0.10:53')).toEqual(['10.244.1.53:53']);
    expect(services.has('TCP 10.96.0.99:80')).toBe(false);
  });
});

describe('ipvsServiceRules', () => {
  const answering =
    (stdout: string): ToolRunner =>
    async (request) => {
      expect(request.command).toBe('ipvsadm');
      return { ok: true, stdout, stderr: '', code: 0 };
    };

  it('reads the backends kube-proxy programmed for one ClusterIP', async () => {
    const rules = await ipvsServiceRules({ ip: '10.96.0.20', port: 80, protocol: 'TCP' }, answering(RECORDED), 1000);
    expect(rules).toMatchObject({ mode: 'ipvs', found: true, backends: ['10.244.2.10:8080', '10.244.1.12:8080'] });
  });

  it('a virtual service IPVS does not have is not found; a missing ipvsadm is unknown, never empty', async () => {
    expect(await ipvsServiceRules({ ip: '10.96.0.99', port: 80, protocol: 'TCP' }, answering(RECORDED), 1000)).toMatchObject({ mode: 'ipvs', found: false });
    const missing: ToolRunner = async () => ({ ok: false, reason: 'ipvsadm is not installed', stderr: '' });
    const unknown = await ipvsServiceRules({ ip: '10.96.0.20', port: 80, protocol: 'TCP' }, missing, 1000);
    expect(unknown.mode).toBe('unknown');
    expect(unknown.detail).toMatch(/^unknown, because kube-proxy runs in IPVS mode and ipvsadm could not be run: ipvsadm is not installed/);
  });
});
