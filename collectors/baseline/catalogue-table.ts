/** The README's check table, generated from the catalogue (a test keeps the README equal to it). */
import { CHECKS, cceId, type Rule } from './catalogue.js';

function ruleText(rule: Rule): string {
  switch (rule.kind) {
    case 'file-content': {
      const bounds = rule.bounds ? ` (value ${rule.bounds.min !== undefined ? `>= ${rule.bounds.min}` : ''}${rule.bounds.min !== undefined && rule.bounds.max !== undefined ? ', ' : ''}${rule.bounds.max !== undefined ? `<= ${rule.bounds.max}` : ''})` : '';
      return `${rule.expect === 'absent' ? 'no line' : 'a line'} matching \`${rule.pattern}\` in ${rule.paths.join(', ')}${bounds}`;
    }
    case 'sysctl': return `${rule.keys.join(', ')} = ${rule.expect.join(' or ')} (running and persisted)`;
    case 'file-mode': return `${rule.path} mode <= ${rule.maxMode}, owner ${rule.owners.join('/')}, group ${rule.groups.join('/')} (absent: ${rule.whenMissing})`;
    case 'file-presence': return `${rule.path} ${rule.expect}`;
    case 'mount': return rule.option ? `${rule.mountpoint} mounted ${rule.option}` : `${rule.mountpoint} is a separate mount`;
    case 'module-disabled': return `${rule.module}: install to /bin/true or /bin/false in modprobe.d, not loaded`;
    case 'package': return `${rule.expect === 'installed' ? 'one of' : 'none of'} ${rule.names.join(', ')} installed (dpkg)`;
    case 'service': return `${rule.units.join(', ')} ${rule.expect === 'enabled' ? 'enabled (one of)' : 'not enabled'}`;
    case 'sshd-option': {
      const want = rule.forbidden ? `without ${rule.forbidden.length} weak algorithms` : rule.bounds ? `${rule.bounds.min !== undefined ? `>= ${rule.bounds.min} ` : ''}${rule.bounds.max !== undefined ? `<= ${rule.bounds.max}` : ''}`.trim() : `\`${rule.pattern ?? ''}\``;
      return `sshd ${rule.keyword} ${want}${rule.default !== undefined && rule.default !== '' ? ` (default ${rule.default})` : ''}`;
    }
    case 'accounts': return `accounts: ${rule.test}`;
    case 'all':
    case 'any': return rule.rules.map(ruleText).join(rule.kind === 'all' ? ' **and** ' : ' **or** ');
  }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function catalogueTable(): string {
  const lines = [
    '| ID | CceId | D9 | D12 | group | title | severity | rule |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of CHECKS) {
    lines.push(`| ${c.id} | ${cceId(c)} | ${c.cis.debian9 ?? '—'} | ${c.cis.debian12 ?? '—'} | ${c.group} | ${cell(c.title)} | ${c.severity} | ${cell(ruleText(c.rule))} |`);
  }
  return `${lines.join('\n')}\n`;
}
