/** Runs catalogue checks against a host root and turns results into OSBaseline payload items. */
import type { PayloadItem } from '../../src/events/event.js';
import { cceId, type Check } from './catalogue.js';
import { HostFacts } from './host-facts.js';
import { HostFiles } from './host-files.js';
import { evaluate, type CheckResult } from './rule-kinds.js';

export interface CheckOutcome {
  readonly check: Check;
  readonly result: CheckResult;
  readonly detail: string;
}

/** Checks evaluated between two turns of the event loop: the reads are synchronous, the agent's link is not. */
const CHECKS_PER_TURN = 8;

/** Every check once, against files read fresh (each file is read at most once per run). */
export async function runChecks(hostRoot: string, checks: readonly Check[]): Promise<CheckOutcome[]> {
  const facts = new HostFacts(new HostFiles(hostRoot));
  const out: CheckOutcome[] = [];
  for (const check of checks) {
    if (out.length > 0 && out.length % CHECKS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    out.push({ check, ...evaluate(check.rule, facts) });
  }
  return out;
}

/**
 * The official OSBaseline item. Its Result enum has no Skip: a skipped check travels as `Err` with an
 * Error starting "Skipped: ", and ExtraDetails.CheckResult carries the micro agent's own four results.
 */
export function toPayloadItem(o: CheckOutcome): PayloadItem {
  const details: Record<string, string> = {
    CheckId: o.check.id, CheckResult: o.result, Group: o.check.group, Remediation: o.check.remediation,
  };
  if (o.check.cis.debian9 !== undefined) details['CisDebian9'] = o.check.cis.debian9;
  if (o.check.cis.debian12 !== undefined) details['CisDebian12'] = o.check.cis.debian12;
  if (o.result === 'Pass') details['Evidence'] = o.detail.slice(0, 256);
  const error = o.result === 'Pass' ? '' : o.result === 'Skip' ? `Skipped: ${o.detail}` : o.detail;
  return {
    Description: o.check.title,
    CceId: cceId(o.check),
    Result: o.result === 'Pass' || o.result === 'Fail' ? o.result : 'Err',
    Error: error.slice(0, 512),
    Severity: o.check.severity,
    ExtraDetails: details,
  };
}

/** What identifies a result for change detection: the result and why. */
export function resultKey(o: CheckOutcome): string {
  return `${o.result}\u0000${o.detail}`;
}
