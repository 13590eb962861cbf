import { describe, expect, it } from '@jest/globals';
import { constantTimeEqual, presentedToken } from '../../lib/http/api-gateway.js';
import { alertDeduplicationId, alertThreadKey, parseAlertChannels, targetFromAlert } from '../../lib/jobs/alerts.js';

describe('targetFromAlert', () => {
  it('prefers the netcheck_target annotation, with the namespace label as its default', () => {
    expect(targetFromAlert({ service: 'web', namespace: 'shop' }, { netcheck_target: 'svc payments' })).toEqual({
      target: { kind: 'svc', name: 'payments', namespace: 'shop' },
      cluster: undefined,
      notes: [],
    });
    expect(targetFromAlert({ cluster: 'prod' }, { netcheck_target: 'node node-2 --cluster staging' })).toMatchObject({
      target: { kind: 'node', name: 'node-2' },
      cluster: 'staging',
    });
  });

  it('falls back to the labels when the annotation does not parse, and says why', () => {
    const out = targetFromAlert({ service: 'web', namespace: 'shop' }, { netcheck_target: 'svc Bad_Name' });
    expect(out.target).toEqual({ kind: 'svc', name: 'web', namespace: 'shop' });
    expect(out.notes[0]).toMatch(/netcheck_target "svc Bad_Name" ignored: "Bad_Name" is not a valid service name/);
    expect(targetFromAlert({}, { netcheck_target: 'help' }).notes[0]).toMatch(/asks for help/);
  });

  it('maps service, node and instance labels, stripping ports and skipping IPs', () => {
    expect(targetFromAlert({ service: 'web' }, {})).toMatchObject({ target: { kind: 'svc', name: 'web', namespace: 'default' }, notes: [expect.stringMatching(/no namespace/)] });
    expect(targetFromAlert({ node: 'ip-10-0-1-23.ec2.internal', instance: 'other:9100' }, {}).target).toEqual({ kind: 'node', name: 'ip-10-0-1-23.ec2.internal' });
    expect(targetFromAlert({ instance: 'node-3:9100' }, {}).target).toEqual({ kind: 'node', name: 'node-3' });
    for (const instance of ['10.1.2.3:9100', '[fd00::1]:9100', 'fd00::1']) {
      const out = targetFromAlert({ instance }, {});
      expect(out.target).toEqual({ kind: 'cluster' });
      expect(out.notes[0]).toMatch(/an IP address, not a node name/);
    }
  });

  it('never passes invalid names on: bad values are skipped with a note', () => {
    const out = targetFromAlert({ service: 'web', namespace: 'Shop!', node: 'node_1', pod: 'x' }, {});
    expect(out.target).toEqual({ kind: 'cluster' });
    expect(out.notes).toEqual(['label namespace="Shop!" ignored: not a DNS label', 'label node="node_1" ignored: not a valid node name']);
  });

  it('turns a pod alert into a cluster sweep and says so', () => {
    const out = targetFromAlert({ pod: 'web-7d9f-abcde', namespace: 'shop', cluster: 'prod' }, {});
    expect(out).toEqual({ target: { kind: 'cluster' }, cluster: 'prod', notes: [expect.stringMatching(/pod shop\/web-7d9f-abcde has no per-pod check/)] });
  });
});

describe('deduplication and thread keys', () => {
  const svc = { kind: 'svc', name: 'web', namespace: 'shop' } as const;
  it('share a dedup id only for the same cluster, group, target and status', () => {
    const id = alertDeduplicationId('prod', 'g1', svc, 'firing');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(alertDeduplicationId('prod', 'g1', { ...svc }, 'firing')).toBe(id);
    const others = [
      alertDeduplicationId('staging', 'g1', svc, 'firing'),
      alertDeduplicationId('prod', 'g2', svc, 'firing'),
      alertDeduplicationId('prod', 'g1', { ...svc, name: 'api' }, 'firing'),
      alertDeduplicationId('prod', 'g1', svc, 'resolved'),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('gives every target of a group, firing or resolved, one thread key, and another group another', () => {
    const alert = { groupKey: 'g1', alertnames: [], count: 1 };
    const firing = alertThreadKey({ cluster: 'prod', alert: { ...alert, status: 'firing' } });
    expect(alertThreadKey({ cluster: 'prod', alert: { ...alert, status: 'resolved' } })).toBe(firing);
    expect(alertThreadKey({ cluster: 'prod', alert: { ...alert, groupKey: 'g2', status: 'firing' } })).not.toBe(firing);
    expect(alertThreadKey({ cluster: 'staging', alert: { ...alert, status: 'firing' } })).not.toBe(firing);
    expect(() => alertThreadKey({ cluster: 'prod' })).toThrow(/alert job/);
  });
});

describe('parseAlertChannels (NETCHECK_ALERT_CHANNELS)', () => {
  it('parses receiver → channel id and names what is wrong', () => {
    expect(parseAlertChannels(undefined)).toEqual({});
    expect(parseAlertChannels('{"shop":"C0SHOP","platform":"G0PLAT"}')).toEqual({ shop: 'C0SHOP', platform: 'G0PLAT' });
    expect(() => parseAlertChannels('{shop: C0SHOP}')).toThrow(/NETCHECK_ALERT_CHANNELS must be JSON/);
    expect(() => parseAlertChannels('["C0SHOP"]')).toThrow(/must be a JSON object/);
    expect(() => parseAlertChannels('{"shop":"#shop-alerts"}')).toThrow(/receiver "shop" must map to a Slack channel id/);
  });
});

describe('webhook credentials', () => {
  it('reads bearer tokens and basic-auth passwords', () => {
    expect(presentedToken('Bearer abc.def')).toBe('abc.def');
    expect(presentedToken('bearer abc')).toBe('abc');
    expect(presentedToken(`Basic ${Buffer.from('am:pa:ss').toString('base64')}`)).toBe('pa:ss');
    expect(presentedToken(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
    expect(presentedToken('Token abc')).toBeUndefined();
    expect(presentedToken('abc')).toBeUndefined();
    expect(presentedToken(undefined)).toBeUndefined();
  });

  it('compares secrets exactly, whatever their lengths', () => {
    expect(constantTimeEqual('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEqual('s3cret', 's3cre')).toBe(false);
    expect(constantTimeEqual('', 's3cret')).toBe(false);
    expect(constantTimeEqual('S3cret', 's3cret')).toBe(false);
  });
});
