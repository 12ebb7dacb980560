/** The `accounts` rule kind: tests over passwd, shadow and group that no single regular expression expresses. */
import type { AccountTest } from './catalogue.js';
import type { HostFacts } from './host-facts.js';
import type { Outcome } from './rule-kinds.js';

const pass = (detail: string): Outcome => ({ result: 'Pass', detail });
const fail = (detail: string): Outcome => ({ result: 'Fail', detail });

function duplicates(values: readonly (string | number)[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values.map(String)) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

const listed = (what: string, items: string[]): Outcome =>
  (items.length === 0 ? pass(`no ${what}`) : fail(`${what}: ${items.slice(0, 10).join(', ')}${items.length > 10 ? ` and ${items.length - 10} more` : ''}`));

export function evaluateAccounts(test: AccountTest, facts: HostFacts): Outcome {
  switch (test) {
    case 'no-empty-passwords': {
      // Throws EACCES for an unprivileged agent: reported as Skip by the caller.
      const shadow = facts.files.read('/etc/shadow');
      if (shadow === undefined) return fail('/etc/shadow does not exist');
      const empty = shadow.split('\n').map((l) => l.split(':')).filter((f) => f.length > 1 && f[1] === '' && !/^[+-]/.test(f[0] ?? '')).map((f) => f[0] ?? '');
      return listed('accounts with an empty password', empty);
    }
    case 'only-root-uid-0':
      return listed('accounts other than root with UID 0', facts.accounts().filter((a) => a.uid === 0 && a.name !== 'root').map((a) => a.name));
    case 'root-gid-0': {
      const root = facts.accounts().find((a) => a.name === 'root');
      if (!root) return fail('no root account in /etc/passwd');
      return root.gid === 0 ? pass('root has GID 0') : fail(`root has GID ${root.gid}`);
    }
    case 'shadow-group-empty': {
      const shadow = facts.groups().find((g) => g.name === 'shadow');
      if (!shadow) return pass('no shadow group');
      const members = [...shadow.members, ...facts.accounts().filter((a) => a.gid === shadow.gid).map((a) => a.name)];
      return listed('members of the shadow group', members);
    }
    case 'groups-exist': {
      const gids = new Set(facts.groups().map((g) => g.gid));
      return listed('accounts whose primary group is not in /etc/group', facts.accounts().filter((a) => !gids.has(a.gid)).map((a) => `${a.name} (GID ${a.gid})`));
    }
    case 'unique-uids': return listed('duplicate UIDs', duplicates(facts.accounts().map((a) => a.uid)));
    case 'unique-gids': return listed('duplicate GIDs', duplicates(facts.groups().map((g) => g.gid)));
    case 'unique-user-names': return listed('duplicate user names', duplicates(facts.accounts().map((a) => a.name)));
    case 'unique-group-names': return listed('duplicate group names', duplicates(facts.groups().map((g) => g.name)));
  }
}
