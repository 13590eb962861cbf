import { describe, expect, it } from '@jest/globals';
import { parseCommand } from '../../lib/jobs/command.js';
import { targetSpecSchema } from '../../lib/model/index.js';

describe('/netcheck grammar', () => {
  for (const [text, target] of [
    ['svc payments -n shop', { kind: 'svc', name: 'payments', namespace: 'shop' }],
    ['svc payments', { kind: 'svc', name: 'payments', namespace: 'default' }],
    ['service shop/payments', { kind: 'svc', name: 'payments', namespace: 'shop' }],
    ['svc payments --namespace=shop', { kind: 'svc', name: 'payments', namespace: 'shop' }],
    ['node ip-10-0-1-23.ec2.internal', { kind: 'node', name: 'ip-10-0-1-23.ec2.internal' }],
    ['dns -n shop', { kind: 'dns', namespace: 'shop' }],
    ['dns', { kind: 'dns', namespace: 'default' }],
    ['dns api.stripe.com -n shop', { kind: 'dns', namespace: 'shop', name: 'api.stripe.com' }],
    ['dns API.Stripe.com. -n shop --slow', { kind: 'dns', namespace: 'shop', name: 'api.stripe.com.', slow: true }],
    ['dns --slow', { kind: 'dns', namespace: 'default', slow: true }],
    ['cluster', { kind: 'cluster' }],
    ['  SVC   payments   -n   shop  ', { kind: 'svc', name: 'payments', namespace: 'shop' }],
  ] as const) {
    it(text, () => {
      const parsed = parseCommand(text);
      expect(parsed).toEqual({ ok: true, kind: 'target', target });
    });
  }

  it('accepts --cluster on every form', () => {
    for (const text of ['svc payments -n shop --cluster prod', 'node n1 --cluster prod', 'dns --cluster=prod', 'cluster --cluster prod']) {
      const parsed = parseCommand(text);
      expect(parsed.ok && parsed.kind === 'target' && parsed.cluster).toBe('prod');
    }
  });

  it('lists and removes silences, with --cluster and a checked id', () => {
    expect(parseCommand('silences')).toEqual({ ok: true, kind: 'silences' });
    expect(parseCommand('silences --cluster prod')).toEqual({ ok: true, kind: 'silences', cluster: 'prod' });
    expect(parseCommand('unsilence s-1a2b3c4d')).toEqual({ ok: true, kind: 'unsilence', silenceId: 's-1a2b3c4d' });
    expect(parseCommand('unsilence')).toMatchObject({ ok: false, error: expect.stringContaining('needs a silence id') });
    expect(parseCommand('unsilence <!channel>')).toMatchObject({ ok: false, error: expect.stringContaining('is not a silence id') });
    expect(parseCommand('unsilence s-1a2b3c4d s-2')).toMatchObject({ ok: false, error: expect.stringContaining('unexpected') });
    expect(parseCommand('silences -n shop')).toMatchObject({ ok: false, error: 'silences takes only --cluster' });
  });

  it('turns an autocorrected em dash back into --', () => {
    expect(parseCommand('svc payments —cluster prod')).toMatchObject({ ok: true, cluster: 'prod' });
  });

  for (const text of ['', 'help', 'HELP']) {
    it(`"${text}" is help`, () => {
      expect(parseCommand(text)).toEqual({ ok: true, kind: 'help' });
    });
  }

  it('a dns name and --slow travel in the job unchanged, and the job schema refuses a name no command would give', () => {
    const parsed = parseCommand('dns api.stripe.com. -n shop --slow');
    if (!parsed.ok || parsed.kind !== 'target') throw new Error('dns with a name did not parse');
    expect(targetSpecSchema.parse(parsed.target)).toEqual(parsed.target);
    expect(targetSpecSchema.safeParse({ kind: 'dns', namespace: 'shop', name: 'a b.example.com' }).success).toBe(false);
    expect(targetSpecSchema.safeParse({ kind: 'dns', namespace: 'shop', name: `${'x'.repeat(63)}.example.com` }).success).toBe(true);
    expect(targetSpecSchema.safeParse({ kind: 'dns', namespace: 'shop', name: `${'x'.repeat(64)}.example.com` }).success).toBe(false);
    expect(targetSpecSchema.safeParse({ kind: 'dns', namespace: 'shop', name: `${'a.'.repeat(127)}b.` }).success).toBe(false);
  });

  for (const [text, message] of [
    ['svc', /needs a service name/],
    ['svc Payments', /not a valid service name/],
    ['svc payments -n Shop_1', /not a valid namespace/],
    ['svc payments -n', /-n needs a value/],
    ['svc a b', /unexpected "b"/],
    ['svc payments --force', /unknown option "--force"/],
    ['pods', /unknown command "pods"/],
    ['node', /needs a node name/],
    ['node n1 -n shop', /not namespaced/],
    ['cluster -n shop', /drop -n/],
    ['svc shop/payments -n other', /namespace given twice/],
    ['svc payments --cluster Prod!', /not a valid cluster name/],
    ['svc ' + 'a'.repeat(64), /not a valid service name/],
    ['svc $(whoami)', /not a valid service name/],
    ['x'.repeat(600), /too long/],
  ] as const) {
    it(`rejects "${text.slice(0, 40)}"`, () => {
      const parsed = parseCommand(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(message);
    });
  }

  it('takes --from on svc and dns: a pod, a workload, in the target namespace or another', () => {
    expect(parseCommand('svc payments -n shop --from deploy/checkout')).toEqual({
      ok: true,
      kind: 'target',
      target: { kind: 'svc', name: 'payments', namespace: 'shop', from: { kind: 'deploy', name: 'checkout', namespace: 'shop' } },
    });
    expect(parseCommand('svc payments -n shop --from web/pod/frontend-7d9f-x2k')).toMatchObject({ target: { from: { kind: 'pod', name: 'frontend-7d9f-x2k', namespace: 'web' } } });
    expect(parseCommand('svc payments -n shop --from=web/sts/db')).toMatchObject({ target: { from: { kind: 'sts', name: 'db', namespace: 'web' } } });
    expect(parseCommand('dns -n shop --from checkout-7d9f-x2k')).toMatchObject({ target: { kind: 'dns', from: { kind: 'pod', name: 'checkout-7d9f-x2k', namespace: 'shop' } } });
    expect(parseCommand('dns api.stripe.com -n shop --from deploy/checkout --slow')).toEqual({
      ok: true,
      kind: 'target',
      target: { kind: 'dns', namespace: 'shop', from: { kind: 'deploy', name: 'checkout', namespace: 'shop' }, name: 'api.stripe.com', slow: true },
    });
  });

  for (const [text, message] of [
    ['node node-1 --from deploy/x', /--from goes with svc and dns/],
    ['svc payments --slow', /--slow goes with dns/],
    ['dns api_stripe.com', /not a DNS name to look up/],
    ['dns api..stripe.com', /not a DNS name to look up/],
    ['dns a.example.com b.example.com', /unexpected "b.example.com" after dns a.example.com/],
    ['dns $(reboot)', /not a DNS name to look up/],
    ['svc payments --from a/b/c/d', /too many parts/],
    ['svc payments --from web/cronjob/x', /not a workload kind/],
    ['svc payments --from Web/deploy/x', /namespace/],
    ['svc payments --from', /--from needs a value/],
  ] as const) {
    it(`rejects ${text} with a reason`, () => {
      const parsed = parseCommand(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(message);
    });
  }
});
