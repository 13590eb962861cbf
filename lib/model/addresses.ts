import { BlockList, isIPv4, isIPv6 } from 'node:net';

function cidrBlock(cidr: string): BlockList | null {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (!address || !Number.isInteger(prefix)) return null;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (!family || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) return null;
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
  const block = cidrBlock(cidr);
  return family !== null && block !== null && block.check(ip, family);
}
