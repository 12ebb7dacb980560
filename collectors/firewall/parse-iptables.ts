/** `iptables-save` / `ip6tables-save` output to firewall rules: pure. */
import { directionOf, type FirewallRule } from './rule-item.js';

const TARGETS: Record<string, FirewallRule['action']> = { ACCEPT: 'Allow', DROP: 'Deny', REJECT: 'Deny' };

/** Shell-like words of one iptables-save line (it quotes comments with double quotes). */
function words(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

export function parseIptablesSave(text: string, family: 'ipv4' | 'ipv6'): FirewallRule[] {
  const rules: FirewallRule[] = [];
  const policies: FirewallRule[] = [];
  const positions = new Map<string, number>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    const policy = /^:(\S+)\s+(\S+)/.exec(line);
    if (policy?.[1] && policy[2] && policy[2] !== '-') {
      const chain = policy[1];
      const p: FirewallRule = { chain, priority: 0, action: TARGETS[policy[2]] ?? 'Other', details: { Tool: 'iptables', Family: family, Table: table, Policy: policy[2] } };
      const direction = directionOf(chain);
      if (direction) p.direction = direction;
      policies.push(p);
      continue;
    }
    if (!line.startsWith('-A ')) continue;
    const w = words(line);
    const chain = w[1] ?? '';
    const key = `${table}\u0000${chain}`;
    const position = positions.get(key) ?? 0;
    positions.set(key, position + 1);
    const rule: FirewallRule = { chain, priority: position, action: 'Other', details: { Tool: 'iptables', Family: family, Table: table, Rule: line.slice(0, 256) } };
    const direction = directionOf(chain);
    if (direction) rule.direction = direction;
    let negate = '';
    for (let i = 2; i < w.length; i++) {
      const opt = w[i];
      const arg = w[i + 1] ?? '';
      if (opt === '!') { negate = '!'; continue; }
      const take = (): string => { i++; const v = negate + arg; negate = ''; return v; };
      if (opt === '-s' || opt === '--source') rule.sourceAddress = take();
      else if (opt === '-d' || opt === '--destination') rule.destinationAddress = take();
      else if (opt === '-p' || opt === '--protocol') rule.protocol = take().toUpperCase();
      else if (opt === '--sport' || opt === '--source-port' || opt === '--sports') rule.sourcePort = take().replace(/:/g, '-');
      else if (opt === '--dport' || opt === '--destination-port' || opt === '--dports') rule.destinationPort = take().replace(/:/g, '-');
      else if (opt === '-i' || opt === '--in-interface') rule.details['InInterface'] = take();
      else if (opt === '-o' || opt === '--out-interface') rule.details['OutInterface'] = take();
      else if (opt === '-j' || opt === '--jump' || opt === '-g' || opt === '--goto') {
        const target = take();
        rule.details['Target'] = target;
        rule.action = TARGETS[target] ?? 'Other';
      } else negate = '';
    }
    rules.push(rule);
  }
  for (const p of policies) p.priority = positions.get(`${p.details['Table'] ?? ''}\u0000${p.chain}`) ?? 0;
  return [...rules, ...policies];
}
