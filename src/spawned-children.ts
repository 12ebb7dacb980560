/**
 * The pids of the children the agent itself spawned (journalctl, the system-information helper):
 * observers leave out exactly these, never everything whose parent is the agent's process, which in
 * a gateway would hide the gateway's own activity.
 */
import type { ChildProcess } from 'node:child_process';
import type { SpawnedChildren } from '../collectors/types.js';
import type { Clock } from './clock.js';

/** A child's pid is kept this long after it exits, so an observer's late look at it still knows it. */
const FORGET_AFTER_EXIT_MS = 5_000;

export class SpawnedChildrenRegistry implements SpawnedChildren {
  private readonly pids = new Set<number>();

  constructor(private readonly clock: Clock) {}

  add(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return; // spawn failed: nothing ran
    this.pids.add(pid);
    child.once('exit', () => {
      this.clock.setTimeout(() => this.pids.delete(pid), FORGET_AFTER_EXIT_MS);
    });
  }

  has(pid: number): boolean {
    return this.pids.has(pid);
  }

  get size(): number {
    return this.pids.size;
  }
}
