/** Which firewall tool the host has, and running it with a deadline. */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { parseIptablesSave } from './parse-iptables.js';
import { parseNftRuleset } from './parse-nft.js';
import type { FirewallRule } from './rule-item.js';

const RUN_TIMEOUT_MS = 5_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
/** Firewall tools live in sbin, often missing from a service's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export type RuleSource = 'nftables' | 'iptables' | 'none';
export interface RuleSet { source: RuleSource; rules: FirewallRule[] }

/** Where the tools are looked for: PATH, then the sbin directories. */
export function searchDirs(): string[] {
  return [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
}

export async function findExecutable(name: string, dirs: readonly string[] = searchDirs()): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', env: { LC_ALL: 'C', PATH: process.env['PATH'] ?? '' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${(stderr.trim().split('\n')[0] ?? '') || err.message}`));
        else resolve(stdout);
      });
  });
}

/** nftables when `nft` is installed (it also shows iptables-nft rules), else iptables-save and ip6tables-save. */
export async function readRuleSet(dirs: readonly string[] = searchDirs()): Promise<RuleSet> {
  const nft = await findExecutable('nft', dirs);
  if (nft) return { source: 'nftables', rules: parseNftRuleset(await run(nft, ['-j', 'list', 'ruleset'])) };
  const save4 = await findExecutable('iptables-save', dirs);
  const save6 = await findExecutable('ip6tables-save', dirs);
  if (!save4 && !save6) return { source: 'none', rules: [] };
  const rules: FirewallRule[] = [];
  if (save4) rules.push(...parseIptablesSave(await run(save4, []), 'ipv4'));
  if (save6) rules.push(...parseIptablesSave(await run(save6, []), 'ipv6'));
  return { source: 'iptables', rules };
}
