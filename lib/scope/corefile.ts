import { isIP } from 'node:net';

// What a Corefile's `forward` lines say, for the checks (what CoreDNS forwards to) and the engine
// (which upstreams to ask from the CoreDNS pods' nodes). Pure text parsing, no CoreDNS needed.
// Syntax: https://coredns.io/plugins/forward/ — `forward FROM TO... [{ options }]`, TO being an
// address (`1.2.3.4`, `1.2.3.4:5353`, `dns://…`, `[::1]:53`), `tls://…`, or a resolv.conf path.

/** `forward FROM TO…` targets, comments stripped: "/etc/resolv.conf", "127.0.0.53", "tls://1.1.1.1". */
export function forwardTargets(corefile: string): string[] {
  return forwardLines(corefile).flatMap((line) => line.targets);
}

/** A target on the loopback: 127.0.0.0/8, ::1 or localhost, with or without a scheme and port. */
export function isLoopbackTarget(target: string): boolean {
  const host = target
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/^\[([^\]]+)\](:\d+)?$/, '$1')
    .replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

interface ForwardLine {
  /** The server block's zones ("." for `.:53 {`), and the forward's own FROM. */
  blockZones: string[];
  from: string;
  targets: string[];
}

function forwardLines(corefile: string): ForwardLine[] {
  const lines: ForwardLine[] = [];
  let depth = 0;
  let blockZones: string[] = [];
  for (const raw of corefile.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (depth === 0 && line.includes('{')) {
      // "dns://.:53 example.org {" → [".", "example.org"]
      blockZones = line
        .slice(0, line.indexOf('{'))
        .trim()
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((key) => normaliseZone(key.replace(/^[a-z]+:\/\//i, '').replace(/:\d+$/, '')));
    }
    const m = /^forward\s+(\S+)\s+([^{]+)/.exec(line);
    if (m) lines.push({ blockZones, from: normaliseZone(m[1] as string), targets: (m[2] as string).trim().split(/\s+/).filter(Boolean) });
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth < 0) depth = 0;
  }
  return lines;
}

function normaliseZone(zone: string): string {
  const lower = zone.toLowerCase();
  return lower === '.' || lower === '' ? '.' : lower.replace(/\.$/, '');
}

/** An upstream netcheck can ask in plain DNS (UDP), or one it cannot, with why. */
export type Upstream = { target: string; ip: string; port: number } | { target: string; notAsked: string };

/**
 * The upstreams CoreDNS sends names outside the cluster to: the targets of `forward .` in the
 * root server block. Zone-specific forwards (a stub domain) only carry their own zone, so they
 * say nothing about external names in general.
 */
export function externalUpstreams(corefile: string): Upstream[] {
  const upstreams: Upstream[] = [];
  for (const line of forwardLines(corefile)) {
    if (line.from !== '.' || !(line.blockZones.length === 0 || line.blockZones.includes('.'))) continue;
    for (const target of line.targets) upstreams.push(parseUpstream(target));
  }
  return upstreams;
}

function parseUpstream(target: string): Upstream {
  if (target.startsWith('/')) {
    return {
      target,
      notAsked: `CoreDNS reads its upstreams from ${target} inside its pod (the node's resolv.conf with dnsPolicy Default), which the API does not show`,
    };
  }
  const scheme = /^([a-z]+):\/\//i.exec(target)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'dns') return { target, notAsked: `${target} is asked over ${scheme.toUpperCase()}; netcheck asks upstreams in plain DNS only` };
  const rest = target.replace(/^[a-z]+:\/\//i, '');
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(rest);
  const [ip, port] = bracketed ? [bracketed[1] as string, bracketed[2]] : v4 ? [v4[1] as string, v4[2]] : [rest, undefined];
  if (isIP(ip) === 0) return { target, notAsked: `${target} is not an IP address` };
  if (isLoopbackTarget(ip)) return { target, notAsked: `${target} is the CoreDNS pod's own loopback (see coredns-config-fault)` };
  const portNumber = port === undefined ? 53 : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return { target, notAsked: `${target} has no valid port` };
  return { target, ip, port: portNumber };
}
