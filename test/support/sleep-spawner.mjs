#!/usr/bin/env node
// Spawns `sleep <seconds>.<unique digits>` children from a (deliberately large) Node process, one every
// SPAWN_GAP_MS, and prints one JSON line per child: {"pid":..,"args":[..]}; then {"done":true} once all exited.
// SPAWN_COUNT (20), SPAWN_GAP_MS (200), SPAWN_SECONDS (3), SPAWN_BALLAST_MB (0: a bigger heap widens fork-to-exec).
import { spawn } from 'node:child_process';

const count = Number(process.env.SPAWN_COUNT ?? 20);
const gapMs = Number(process.env.SPAWN_GAP_MS ?? 200);
const seconds = process.env.SPAWN_SECONDS ?? '3';
const ballastMb = Number(process.env.SPAWN_BALLAST_MB ?? 0);
// Touched pages, so fork copies their page tables and exec has to tear them down.
const ballast = [];
for (let i = 0; i < ballastMb; i++) ballast.push(Buffer.alloc(1024 * 1024, i & 0xff));

const tag = `${process.pid}${Date.now() % 100000}`;
const exits = [];
for (let i = 0; i < count; i++) {
  const args = [`${seconds}.${tag}${String(i).padStart(3, '0')}`];
  const child = spawn('sleep', args, { stdio: 'ignore' });
  exits.push(new Promise((resolve) => child.once('exit', resolve)));
  process.stdout.write(`${JSON.stringify({ pid: child.pid, args })}\n`);
  if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
}
await Promise.all(exits);
process.stdout.write(`${JSON.stringify({ done: true, ballast: ballast.length })}\n`);
