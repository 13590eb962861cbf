import { isIP } from 'node:net';
import type { Protocol } from '../model/index.js';

// The Service addresses the worker asks the agent about, as they travel in a query string:
// `service=10.96.0.20:80/tcp`, `service=[fd00::20]:53/udp`. Everything that reaches an argv
// (conntrack -d/--dport) or a lookup key passes through parseServiceAddress first.

export interface ServiceAddress {
  ip: string;
  port: number;
  protocol: Protocol;
}

export const MAX_SERVICE_ADDRESSES = 32;

const PROTOCOLS: Readonly<Record<string, Protocol>> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

/**
 * The one spelling of an address used for every comparison: IPv4 as is, IPv6 compressed and
 * lower-case (the way iptables-save, nft and conntrack print it). undefined when not an IP.
 */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** "ip:port" with brackets around IPv6, as kube-proxy and conntrack users write endpoints. */
export function hostPort(ip: string, port: number | string): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function formatServiceAddress(address: ServiceAddress): string {
  return `${hostPort(address.ip, address.port)}/${address.protocol.toLowerCase()}`;
}

/** Parse `ip:port/protocol` (IPv6 with or without brackets); a reason string when it is not one. */
export function parseServiceAddress(text: string): ServiceAddress | string {
  const match = /^(.+):(\d{1,5})\/([A-Za-z]+)$/.exec(text);
  if (!match) return `"${text.slice(0, 80)}" is not <ip>:<port>/<tcp|udp|sctp>`;
  const [, rawIp = '', portText = '', protocolText = ''] = match;
  const bracketed = /^\[(.+)\]$/.exec(rawIp);
  const ip = canonicalIp(bracketed ? (bracketed[1] ?? '') : rawIp);
  if (ip === undefined || (bracketed && isIP(ip) !== 6)) return `"${rawIp.slice(0, 60)}" in "${text.slice(0, 80)}" is not an IP address`;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${portText} in "${text.slice(0, 80)}" is not 1–65535`;
  const protocol = PROTOCOLS[protocolText.toLowerCase()];
  if (!protocol) return `protocol "${protocolText}" in "${text.slice(0, 80)}" is not tcp, udp or sctp`;
  return { ip, port, protocol };
}

export function serviceKey(ip: string, protocol: string, port: number): string {
  return `${ip}|${protocol.toLowerCase()}|${port}`;
}
