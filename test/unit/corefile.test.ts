import { describe, expect, it } from '@jest/globals';
import { externalUpstreams, forwardTargets } from '../../lib/scope/corefile.js';

// The Corefile's forward lines as CoreDNS reads them: which targets carry names outside the
// cluster (the root block's `forward .`), which are stub domains, and which cannot be asked.

const KUBEADM = `.:53 {
    errors
    health {
       lameduck 5s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . 10.0.0.2 dns://10.0.0.3:5353 [2001:db8::53]:53 { # upstreams
       max_concurrent 1000
    }
    cache 30
}
`;

describe('externalUpstreams', () => {
  it("reads the root block's forward targets with their ports, IPv6 in brackets and dns:// included", () => {
    expect(externalUpstreams(KUBEADM)).toEqual([
      { target: '10.0.0.2', ip: '10.0.0.2', port: 53 },
      { target: 'dns://10.0.0.3:5353', ip: '10.0.0.3', port: 5353 },
      { target: '[2001:db8::53]:53', ip: '2001:db8::53', port: 53 },
    ]);
  });

  it('leaves out stub domains: a block for one zone, and a forward for one zone inside the root block', () => {
    const corefile = `consul.local:53 {\n    forward . 10.150.0.1\n}\n.:53 {\n    forward example.org 10.9.9.9\n    forward . 10.0.0.2\n}\n`;
    expect(externalUpstreams(corefile)).toEqual([{ target: '10.0.0.2', ip: '10.0.0.2', port: 53 }]);
    expect(forwardTargets(corefile)).toEqual(['10.150.0.1', '10.9.9.9', '10.0.0.2']);
  });

  it('names what it cannot ask: resolv.conf, TLS, loopback, a host name, and ignores commented-out forwards', () => {
    const corefile = `.:53 {\n    # forward . 8.8.8.8\n    forward . /etc/resolv.conf tls://1.1.1.1 127.0.0.53 dns.example.com\n}\n`;
    const upstreams = externalUpstreams(corefile);
    expect(upstreams.map((u) => u.target)).toEqual(['/etc/resolv.conf', 'tls://1.1.1.1', '127.0.0.53', 'dns.example.com']);
    expect(upstreams.every((u) => 'notAsked' in u)).toBe(true);
    expect(upstreams.map((u) => ('notAsked' in u ? u.notAsked : ''))).toEqual([
      expect.stringContaining('/etc/resolv.conf inside its pod'),
      expect.stringContaining('over TLS'),
      expect.stringContaining('coredns-config-fault'),
      expect.stringContaining('not an IP address'),
    ]);
  });

  it('has nothing to ask when the Corefile forwards nowhere', () => {
    expect(externalUpstreams('.:53 {\n    kubernetes cluster.local\n}\n')).toEqual([]);
  });
});
