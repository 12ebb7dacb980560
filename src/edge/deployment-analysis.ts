/**
 * The deployment rules (deployment-rules.json) and their evaluator: one module's Docker create options in,
 * findings out. The same code judges a manifest offline, edgeAgent's labels and a running container.
 */
import { posix } from 'node:path';
import rulesData from './deployment-rules.json' with { type: 'json' };
import { isObject, objectField, stringField, stringList, type JsonObject } from './docker-payload.js';

export type Severity = 'Critical' | 'Important' | 'Warning' | 'Informational';

export type RuleKind =
  | { readonly kind: 'host-flag'; readonly field: string }
  | { readonly kind: 'cap-add' }
  | { readonly kind: 'host-mode'; readonly field: string }
  /** `paths` match exactly (or anything under them with `under`), `underPaths` themselves and anything under them. */
  | { readonly kind: 'bind'; readonly paths: readonly string[]; readonly under: boolean; readonly underPaths?: readonly string[];
      /** Also a bind of a directory above one of `paths` (binding `/` or `/var/run` reaches the socket too). */
      readonly ancestors?: boolean;
      readonly exemptTargets?: readonly string[]; readonly exemptModules?: Readonly<Record<string, readonly string[]>> }
  | { readonly kind: 'security-opt'; readonly option: string }
  | { readonly kind: 'non-empty'; readonly fields: readonly string[] }
  | { readonly kind: 'image-latest' }
  | { readonly kind: 'image-unpinned' }
  | { readonly kind: 'image-debug'; readonly pattern: string }
  | { readonly kind: 'log-unbounded' }
  /** Matches modules by name or image pattern (case-insensitive). */
  | { readonly kind: 'restart-never'; readonly modules: readonly string[]; readonly images: readonly string[] };

export interface DeploymentRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The Defender for IoT recommendation type this maps to, or "" when it has none. */
  readonly recommendationType: string;
  readonly remediation: string;
  readonly rule: RuleKind;
}

export const DEPLOYMENT_RULES: readonly DeploymentRule[] = (rulesData as { rules: readonly DeploymentRule[] }).rules;

/** One module (or container) as the rules see it. */
export interface ModuleSpec {
  readonly name: string;
  /** The image reference as deployed: `registry/repo:tag`, `repo@sha256:...`, or a bare name. */
  readonly image: string;
  /** A digest pinned outside the reference (the manifest's `settings.digest`). */
  readonly digest?: string;
  /** edgeAgent's restartPolicy (`never`, `on-failure`, `on-unhealthy`, `always`); undefined when unknown. */
  readonly restartPolicy?: string;
  /** The Docker create body: `HostConfig` and the container `Config` fields. */
  readonly createOptions: JsonObject;
  /** Where the options came from: a manifest, edgeAgent's normalizedCreateOptions label, or a container's inspect. */
  readonly source: 'manifest' | 'labels' | 'container';
}

export interface Finding {
  readonly ruleId: string;
  readonly module: string;
  readonly severity: Severity;
  readonly title: string;
  /** What was seen, one line. */
  readonly detail: string;
  readonly remediation: string;
  readonly recommendationType: string;
  readonly source: ModuleSpec['source'];
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { Critical: 0, Important: 1, Warning: 2, Informational: 3 };

/** `repo` and `tag` of an image reference (the tag is "" when there is none); the digest part is dropped. */
export function imageParts(image: string): { repo: string; tag: string; digest: string } {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  return { repo: tagged ? name.slice(0, colon) : name, tag: tagged ? name.slice(colon + 1) : '', digest };
}

function normalisedPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function isUnder(path: string, base: string): boolean {
  return path === base || (base === '/' ? true : path.startsWith(`${base}/`));
}

interface BindSeen { source: string; target: string; readOnly: boolean }

/** Host-path binds of `HostConfig.Binds` ("src:dst[:opts]") and bind `HostConfig.Mounts`; named volumes are skipped. */
function hostBinds(hostConfig: JsonObject | undefined): BindSeen[] {
  const out: BindSeen[] = [];
  for (const bind of stringList(hostConfig, 'Binds')) {
    const [source = '', target = '', opts = ''] = bind.split(':');
    if (source.startsWith('/')) out.push({ source: normalisedPath(source), target: normalisedPath(target), readOnly: opts.split(',').includes('ro') });
  }
  const mounts = isObject(hostConfig) && Array.isArray(hostConfig['Mounts']) ? (hostConfig['Mounts'] as unknown[]) : [];
  for (const m of mounts) {
    const source = stringField(m, 'Source');
    if (stringField(m, 'Type') !== 'bind' || source === undefined || !source.startsWith('/')) continue;
    out.push({ source: normalisedPath(source), target: normalisedPath(stringField(m, 'Target') ?? ''), readOnly: isObject(m) && m['ReadOnly'] === true });
  }
  return out;
}

const matches = (patterns: readonly string[], value: string): boolean => patterns.some((p) => new RegExp(p, 'i').test(value));

/** What a rule sees in one module, one line per problem (empty when the rule passes). */
function evaluateRule(rule: RuleKind, spec: ModuleSpec): string[] {
  const hc = objectField(spec.createOptions, 'HostConfig');
  switch (rule.kind) {
    case 'host-flag':
      return isObject(hc) && hc[rule.field] === true ? [`HostConfig.${rule.field} is true`] : [];
    case 'cap-add': {
      const caps = stringList(hc, 'CapAdd');
      return caps.length > 0 ? [`HostConfig.CapAdd: ${caps.join(', ')}`] : [];
    }
    case 'host-mode':
      return stringField(hc, rule.field)?.toLowerCase() === 'host' ? [`HostConfig.${rule.field} is "host"`] : [];
    case 'bind': {
      const exempt = new Set([...(rule.exemptTargets ?? []), ...(rule.exemptModules?.[spec.name] ?? [])]);
      const shown = (b: BindSeen): string => `binds ${b.source} at ${b.target}${b.readOnly ? ' (read-only)' : ' (read-write)'}`;
      return hostBinds(hc)
        .filter((b) => !exempt.has(b.target))
        .flatMap((b) => {
          if (rule.paths.some((p) => (rule.under ? isUnder(b.source, p) : b.source === p)) || (rule.underPaths ?? []).some((p) => isUnder(b.source, p))) return [shown(b)];
          const reached = rule.ancestors === true ? rule.paths.find((p) => isUnder(p, b.source)) : undefined;
          return reached !== undefined ? [`${shown(b)}, which holds ${reached}`] : [];
        });
    }
    case 'security-opt':
      return stringList(hc, 'SecurityOpt')
        .filter((o) => new RegExp(`^${rule.option}[=:]unconfined$`, 'i').test(o.trim()))
        .map((o) => `HostConfig.SecurityOpt has "${o.trim()}"`);
    case 'non-empty':
      return rule.fields.flatMap((f) => {
        const v = isObject(hc) ? hc[f] : undefined;
        if (!Array.isArray(v) || v.length === 0) return [];
        const shown = v.map((d) => (typeof d === 'string' ? d : stringField(d, 'PathOnHost') ?? JSON.stringify(d))).join(', ');
        return [`HostConfig.${f}: ${shown.slice(0, 200)}`];
      });
    case 'image-latest': {
      const { tag, digest } = imageParts(spec.image);
      if (digest !== '' || (spec.digest ?? '') !== '') return [];
      return tag === '' ? [`image ${spec.image} has no tag (edgeAgent runs it as :latest)`] : tag === 'latest' ? [`image ${spec.image}`] : [];
    }
    case 'image-unpinned':
      return imageParts(spec.image).digest === '' && (spec.digest ?? '') === '' ? [`image ${spec.image} has no digest`] : [];
    case 'image-debug': {
      const { repo, tag } = imageParts(spec.image);
      const last = repo.slice(repo.lastIndexOf('/') + 1);
      return new RegExp(rule.pattern, 'i').test(tag) || new RegExp(rule.pattern, 'i').test(last) ? [`image ${spec.image}`] : [];
    }
    case 'log-unbounded': {
      const log = objectField(hc, 'LogConfig');
      const type = stringField(log, 'Type') ?? '';
      if (type !== '' && type !== 'json-file') return [];
      if (stringField(objectField(log, 'Config'), 'max-size') !== undefined) return [];
      return [log === undefined ? 'no HostConfig.LogConfig: the daemon default json-file keeps every line unless daemon.json sets max-size' : `LogConfig ${type || 'default'} without max-size`];
    }
    case 'restart-never':
      if (spec.restartPolicy?.toLowerCase() !== 'never') return [];
      return matches(rule.modules, spec.name) || matches(rule.images, spec.image) ? [`restartPolicy is "never"`] : [];
  }
}

/** Every rule on every module; findings ordered by severity, module, rule. */
export function analyzeModules(specs: readonly ModuleSpec[], rules: readonly DeploymentRule[] = DEPLOYMENT_RULES): Finding[] {
  const findings: Finding[] = [];
  for (const spec of specs) {
    for (const r of rules) {
      for (const detail of evaluateRule(r.rule, spec)) {
        findings.push({
          ruleId: r.id, module: spec.name, severity: r.severity, title: r.title, detail,
          remediation: r.remediation, recommendationType: r.recommendationType, source: spec.source,
        });
      }
    }
  }
  return findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.module.localeCompare(b.module) || a.ruleId.localeCompare(b.ruleId));
}
