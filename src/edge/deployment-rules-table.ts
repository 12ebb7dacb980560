/** The README's rule table, generated from deployment-rules.json (a test keeps the README equal to it). */
import { DEPLOYMENT_RULES, type RuleKind } from './deployment-analysis.js';

/** A rule's check, in words, for the README table. */
function ruleText(rule: RuleKind): string {
  switch (rule.kind) {
    case 'host-flag': return `HostConfig.${rule.field} is true`;
    case 'cap-add': return 'HostConfig.CapAdd is not empty';
    case 'host-mode': return `HostConfig.${rule.field} is "host"`;
    case 'bind': {
      const paths = [...rule.paths.map((p) => (rule.under ? `${p} or below` : p)), ...(rule.underPaths ?? []).map((p) => `${p} or below`)];
      const exempt = [...(rule.exemptTargets ?? []), ...Object.entries(rule.exemptModules ?? {}).map(([m, t]) => `${t.join(', ')} in ${m}`)];
      return `a bind (Binds or Mounts) of ${paths.join(', ')}${rule.ancestors === true ? ', or of a directory above them' : ''}${exempt.length > 0 ? `; not at ${exempt.join(', ')}` : ''}`;
    }
    case 'security-opt': return `HostConfig.SecurityOpt has ${rule.option}=unconfined`;
    case 'non-empty': return `HostConfig.${rule.fields.join(' or ')} not empty`;
    case 'image-latest': return 'image without tag, or tag latest, and no digest';
    case 'image-unpinned': return 'image without @sha256 digest (nor settings.digest)';
    case 'image-debug': return `image tag or name matches \`${rule.pattern}\``;
    case 'log-unbounded': return 'LogConfig absent, or json-file without Config.max-size';
    case 'restart-never': return `restartPolicy never on a module matching ${rule.modules.join(', ')} or an image matching ${rule.images.join(', ')}`;
  }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function rulesTable(): string {
  const lines = ['| ID | severity | title | flagged when | maps to |', '| --- | --- | --- | --- | --- |'];
  for (const r of DEPLOYMENT_RULES) {
    lines.push(`| ${r.id} | ${r.severity} | ${cell(r.title)} | ${cell(ruleText(r.rule))} | ${r.recommendationType || '—'} |`);
  }
  return `${lines.join('\n')}\n`;
}
