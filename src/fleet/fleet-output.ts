/** The fleet commands' results: one JSON object with --json, short aligned tables for people otherwise. */
import type { ConfigureOutcome } from './configure-modules.js';
import type { CreateModulesResult } from './create-modules.js';
import type { ModuleStatus, StatusSummary } from './module-status.js';
import { formatDuration } from './progress.js';
import type { RegistryClient } from './registry-client.js';

export interface Output {
  out: NodeJS.WritableStream;
  json: boolean;
  hubName: string;
  moduleId: string;
  registry: RegistryClient;
  started: number;
}

/** Lists are cut for people; --json carries them whole. */
const MAX_LISTED = 20;

function calls(o: Output): Record<string, number> {
  const { stats } = o.registry.service;
  return {
    calls: stats.calls, queryPages: o.registry.queryPages, bulkCalls: o.registry.bulkCalls,
    throttled: stats.throttled, waitedMs: stats.waitedMs, elapsedMs: Date.now() - o.started,
  };
}

function callsLine(o: Output): string {
  const c = calls(o);
  const throttled = c['throttled'] === 0 ? 'not throttled'
    : `throttled ${c['throttled']} times, waited ${formatDuration(c['waitedMs'] ?? 0)}`;
  return `hub calls ${c['calls']} (${c['queryPages']} query pages, ${c['bulkCalls']} bulk); ${throttled}; took ${formatDuration(c['elapsedMs'] ?? 0)}`;
}

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

function listed<T>(items: T[], line: (item: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map((i) => `  ${line(i)}\n`).join('');
  return items.length > MAX_LISTED ? `${shown}  ... and ${items.length - MAX_LISTED} more (--json lists all)\n` : shown;
}

export function printCreate(o: Output, r: CreateModulesResult): void {
  if (o.json) {
    o.out.write(JSON.stringify({ command: 'create-module', hub: o.hubName, moduleId: o.moduleId, ...r, ...calls(o) }) + '\n');
    return;
  }
  o.out.write(`create-module ${o.moduleId} on ${r.devices} device(s) of ${o.hubName}\n`);
  o.out.write(table([['already had it', r.alreadyHad], ['created', r.created], ['failed', r.failed.length]]));
  o.out.write(listed(r.failed, (f) => `${f.deviceId}: ${f.reason}`));
  o.out.write(`${callsLine(o)}\n`);
}

function describe(s: ModuleStatus, moduleId: string): string {
  if (!s.exists) return `${s.deviceId}: ${s.deviceMissing ? 'no such device' : `no module ${moduleId}`}`;
  const answer = s.latestState === undefined ? 'no answer from the agent yet'
    : `latest_state ${s.latestState}${s.latestState === 'failed' ? ` (invalid: ${(s.invalidFields ?? []).join(', ')})` : ''}`;
  return `${s.deviceId}/${moduleId}: exists, ${s.connectionState ?? 'unknown'}, last activity ${s.lastActivityTime ?? 'unknown'}, ${answer}`;
}

export function printVerify(o: Output, statuses: ModuleStatus[], summary: StatusSummary, single: boolean): void {
  if (o.json) {
    const body = single ? { ...statuses[0] } : { summary, devices: statuses };
    o.out.write(JSON.stringify({ command: 'verify', hub: o.hubName, moduleId: o.moduleId, ...body, ...calls(o) }) + '\n');
    return;
  }
  if (single && statuses[0]) {
    o.out.write(`${describe(statuses[0], o.moduleId)}\n`);
    return;
  }
  o.out.write(`verify ${o.moduleId} on ${summary.devices} device(s) of ${o.hubName}\n`);
  o.out.write(table([
    ['with the module', summary.withModule], ['without it', summary.withoutModule], ['connected', summary.connected],
    ...Object.entries(summary.states).map(([state, n]): [string, number] => [`latest_state ${state}`, n]),
  ]));
  o.out.write(listed(statuses.filter((s) => !s.exists), (s) => describe(s, o.moduleId)));
  o.out.write(`${callsLine(o)}\n`);
}

export function printConfigure(o: Output, outcomes: ConfigureOutcome[], single: boolean): void {
  if (o.json) {
    const body = single ? { ...outcomes[0] } : { summary: countStates(outcomes), devices: outcomes };
    o.out.write(JSON.stringify({ command: 'configure', hub: o.hubName, moduleId: o.moduleId, ...body, ...calls(o) }) + '\n');
    return;
  }
  const line = (x: ConfigureOutcome): string => (x.state === 'failed'
    ? `failed: ${(x.invalidFields ?? []).join(', ')}`
    : x.reason === undefined ? x.state : `${x.state}: ${x.reason}`);
  if (single && outcomes[0]) {
    o.out.write(`${line(outcomes[0])}\n`);
    return;
  }
  o.out.write(`configure ${o.moduleId} on ${outcomes.length} device(s) of ${o.hubName}\n`);
  o.out.write(table(Object.entries(countStates(outcomes))));
  o.out.write(listed(outcomes.filter((x) => x.state !== 'success' && x.state !== 'patched'), (x) => `${x.deviceId}: ${line(x)}`));
  o.out.write(`${callsLine(o)}\n`);
}

function countStates(outcomes: ConfigureOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of outcomes) counts[x.state] = (counts[x.state] ?? 0) + 1;
  return counts;
}
