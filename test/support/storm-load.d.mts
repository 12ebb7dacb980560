export interface StormCounts { processes: number; processesPerSecond: number; connections: number; connectionsPerSecond: number; connectionsFailed: number }
export interface Storm { done: Promise<StormCounts>; stop(): void }
export function startStorm(options: { processesPerSecond: number; connectionsPerSecond: number; seconds: number; spawners?: number }): Storm;
