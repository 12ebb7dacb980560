/** `nft -j list ruleset` output to firewall rules: pure. */
import { directionOf, type FirewallRule } from './rule-item.js';

type Json = unknown;
const obj = (v: Json): Record<string, Json> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Json>) : {});
const str = (v: Json): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** An nft value as the schema's address/port text: `10.0.0.0/8`, `1000-2000`, `22,80`. */
function valueText(v: Json): string | undefined {
  const plain = str(v);
  if (plain !== undefined) return plain;
  if (Array.isArray(v)) return v.map(valueText).filter((s) => s !== undefined).join(',');
  const o = obj(v);
  if ('prefix' in o) {
    const p = obj(o['prefix']);
    return `${str(p['addr']) ?? ''}/${str(p['len']) ?? ''}`;
  }
  if ('range' in o && Array.isArray(o['range'])) return o['range'].map(valueText).join('-');
  if ('set' in o) return valueText(o['set']);
  return undefined;
}

const VERDICTS: Record<string, FirewallRule['action']> = { accept: 'Allow', drop: 'Deny', reject: 'Deny' };

function ruleFrom(r: Record<string, Json>, position: number, hooks: Map<string, string>): FirewallRule {
  const family = str(r['family']) ?? '';
  const table = str(r['table']) ?? '';
  const chain = str(r['chain']) ?? '';
  const hook = hooks.get(`${family}\u0000${table}\u0000${chain}`);
  const rule: FirewallRule = { chain, priority: position, action: 'Other', details: { Tool: 'nftables', Family: family, Table: table } };
  if (hook) rule.details['Hook'] = hook;
  const direction = directionOf(hook);
  if (direction) rule.direction = direction;
  const handle = str(r['handle']);
  if (handle !== undefined) rule.details['Handle'] = handle;
  const verdicts: string[] = [];
  for (const e of Array.isArray(r['expr']) ? r['expr'] : []) {
    const expr = obj(e);
    const [kind] = Object.keys(expr);
    if (kind === undefined) continue;
    if (kind in VERDICTS || ['jump', 'goto', 'return', 'continue', 'queue', 'masquerade', 'snat', 'dnat', 'redirect'].includes(kind)) {
      verdicts.push(kind === 'jump' || kind === 'goto' ? `${kind} ${str(obj(expr[kind])['target']) ?? ''}` : kind);
      continue;
    }
    if (kind !== 'match') continue;
    const m = obj(expr['match']);
    const negate = str(m['op']) === '!=' ? '!' : '';
    const right = valueText(m['right']);
    if (right === undefined) continue;
    const payload = obj(obj(m['left'])['payload']);
    const field = str(payload['field']);
    const proto = str(payload['protocol']);
    const meta = str(obj(obj(m['left'])['meta'])['key']);
    if (field === 'saddr') rule.sourceAddress = negate + right;
    else if (field === 'daddr') rule.destinationAddress = negate + right;
    else if (field === 'sport' || field === 'dport') {
      if (field === 'sport') rule.sourcePort = negate + right;
      else rule.destinationPort = negate + right;
      if (proto && proto !== 'th') rule.protocol = proto.toUpperCase();
    } else if (meta === 'l4proto' || (field === 'protocol' && proto === 'ip') || (field === 'nexthdr' && proto === 'ip6')) rule.protocol = negate + right.toUpperCase();
    else if (meta === 'iifname' || meta === 'iif') rule.details['InInterface'] = negate + right;
    else if (meta === 'oifname' || meta === 'oif') rule.details['OutInterface'] = negate + right;
  }
  const verdict = verdicts[verdicts.length - 1];
  if (verdict !== undefined) {
    rule.details['Verdict'] = verdict;
    rule.action = VERDICTS[verdict] ?? 'Other';
  }
  return rule;
}

/** Rules in ruleset order, each base chain's policy after its rules. Throws on text that is not nft JSON. */
export function parseNftRuleset(text: string): FirewallRule[] {
  const doc = obj(JSON.parse(text) as Json);
  const items = Array.isArray(doc['nftables']) ? doc['nftables'] : [];
  const hooks = new Map<string, string>();
  const policies: FirewallRule[] = [];
  const positions = new Map<string, number>();
  const rules: FirewallRule[] = [];
  for (const item of items) {
    const chain = obj(obj(item)['chain']);
    const rule = obj(obj(item)['rule']);
    if (Object.keys(chain).length > 0) {
      const key = `${str(chain['family']) ?? ''}\u0000${str(chain['table']) ?? ''}\u0000${str(chain['name']) ?? ''}`;
      const hook = str(chain['hook']);
      if (hook) hooks.set(key, hook);
      const policy = str(chain['policy']);
      if (hook && policy) {
        const p: FirewallRule = { chain: str(chain['name']) ?? '', priority: 0, action: VERDICTS[policy] ?? 'Other',
          details: { Tool: 'nftables', Family: str(chain['family']) ?? '', Table: str(chain['table']) ?? '', Hook: hook, Policy: policy, ChainPriority: str(chain['prio']) ?? '' } };
        const direction = directionOf(hook);
        if (direction) p.direction = direction;
        policies.push(p);
      }
    } else if (Object.keys(rule).length > 0) {
      const key = `${str(rule['family']) ?? ''}\u0000${str(rule['table']) ?? ''}\u0000${str(rule['chain']) ?? ''}`;
      const position = positions.get(key) ?? 0;
      positions.set(key, position + 1);
      rules.push(ruleFrom(rule, position, hooks));
    }
  }
  for (const p of policies) p.priority = positions.get(`${p.details['Family'] ?? ''}\u0000${p.details['Table'] ?? ''}\u0000${p.chain}`) ?? 0;
  return [...rules, ...policies];
}
