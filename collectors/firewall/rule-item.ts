/** A firewall rule as the official FirewallConfiguration item, whichever tool it came from. */
import type { PayloadItem } from '../../src/events/event.js';

export interface FirewallRule {
  chain: string;
  /** Position in its chain (0 first); a chain's default policy comes after its rules. */
  priority: number;
  direction?: 'In' | 'Out';
  action: 'Allow' | 'Deny' | 'Other';
  sourceAddress?: string;
  sourcePort?: string;
  destinationAddress?: string;
  destinationPort?: string;
  protocol?: string;
  /** Table, family, hook, verdict, interfaces, the rule text: whatever the schema has no field for. */
  details: Record<string, string>;
}

/** Hooks and iptables chains that see traffic to and from this host. */
export function directionOf(hookOrChain: string | undefined): 'In' | 'Out' | undefined {
  const h = (hookOrChain ?? '').toLowerCase();
  if (h === 'input') return 'In';
  if (h === 'output') return 'Out';
  return undefined;
}

export function toPayloadItem(r: FirewallRule): PayloadItem {
  const item: PayloadItem = { Enabled: true, Action: r.action, ChainName: r.chain, Priority: r.priority };
  if (r.direction) item['Direction'] = r.direction;
  if (r.sourceAddress !== undefined) item['SourceAddress'] = r.sourceAddress;
  if (r.sourcePort !== undefined) item['SourcePort'] = r.sourcePort;
  if (r.destinationAddress !== undefined) item['DestinationAddress'] = r.destinationAddress;
  if (r.destinationPort !== undefined) item['DestinationPort'] = r.destinationPort;
  if (r.protocol !== undefined) item['Protocol'] = r.protocol;
  if (Object.keys(r.details).length > 0) item['ExtraDetails'] = r.details;
  return item;
}
