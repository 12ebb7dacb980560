/**
 * Deployment findings as OSBaseline payload items, the shape of the CIS checks (collectors/baseline), so they
 * reach the same place. Like Baseline: every finding on the first run and once a day, in between only new
 * ones, and a Pass for each finding that went away.
 */
import type { PayloadItem } from '../../src/events/event.js';
import type { Finding } from '../../src/edge/deployment-analysis.js';

export const DEPLOYMENT_GROUP = 'IoT Edge deployment';

function findingKey(f: Finding): string {
  return `${f.ruleId}\u0000${f.module}\u0000${f.detail}`;
}

function details(f: Finding, result: 'Fail' | 'Pass'): Record<string, string> {
  const out: Record<string, string> = { CheckId: f.ruleId, CheckResult: result, Group: DEPLOYMENT_GROUP, Remediation: f.remediation, Module: f.module, Source: f.source };
  if (f.recommendationType !== '') out['RecommendationType'] = f.recommendationType;
  return out;
}

export function failItem(f: Finding): PayloadItem {
  return { Description: `${f.title}: ${f.module}`, CceId: f.ruleId, Result: 'Fail', Error: f.detail.slice(0, 512), Severity: f.severity, ExtraDetails: details(f, 'Fail') };
}

function passItem(f: Finding): PayloadItem {
  return {
    Description: `${f.title}: ${f.module}`, CceId: f.ruleId, Result: 'Pass', Error: '', Severity: f.severity,
    ExtraDetails: { ...details(f, 'Pass'), Evidence: `no longer seen: ${f.detail}`.slice(0, 256) },
  };
}

/** Remembers what was reported, to send only the changes between full reports. */
export class DeploymentResults {
  private reported: Map<string, Finding> | undefined;
  private lastFullAt = 0;

  constructor(private readonly fullEveryMs: number) {}

  /** The items to send for this run's findings at `now`. */
  items(findings: readonly Finding[], now: number): PayloadItem[] {
    const current = new Map(findings.map((f) => [findingKey(f), f]));
    const before = this.reported;
    const full = before === undefined || now - this.lastFullAt >= this.fullEveryMs;
    this.reported = current;
    if (full) {
      this.lastFullAt = now;
      return findings.map(failItem);
    }
    const added = findings.filter((f) => !before.has(findingKey(f))).map(failItem);
    const gone = [...before].filter(([key]) => !current.has(key)).map(([, f]) => passItem(f));
    return [...added, ...gone];
  }
}
