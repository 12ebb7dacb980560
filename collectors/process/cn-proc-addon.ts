/**
 * Loads the optional `@iot-micro-agent/cn-proc` addon (the kernel's process events connector). It is an
 * optional dependency: a device without a matching binary or a compiler still installs, and polls.
 */
import { createRequire } from 'node:module';
import { release } from 'node:os';

/** Opaque subscription handle. */
export type CnProcHandle = object;

/** The addon's API (packages/cn-proc/index.d.ts), restated so the agent compiles without it. */
export interface CnProcAddon {
  open(callback: (records: Buffer, overflows: number, argv: Buffer) => void, receiveBufferBytes: number, filtered: boolean): CnProcHandle;
  close(handle: CnProcHandle): void;
  receiveBufferBytes(handle: CnProcHandle): number;
  /** The change gate's thread (collectors/change-gate.ts); absent from binaries built before it. */
  watchFiles?(paths: string[], kinds: number[], skipFields: number[], intervalMs: number, onChange: () => void): object;
  unwatch?(handle: object): void;
  /** glibc's malloc_trim(0) (src/cli/memory-release.ts); absent from binaries built before it. */
  trimMemory?(): boolean;
}

/** Set to `1` to make the addon unloadable (tests of the fallback; a device where it misbehaves). */
export const DISABLE_ENV = 'IOT_MICRO_AGENT_NO_CN_PROC';

export type AddonLoad = { readonly addon: CnProcAddon } | { readonly reason: string };

export function loadCnProc(): AddonLoad {
  if (process.env[DISABLE_ENV] === '1') return { reason: `process connector addon disabled (${DISABLE_ENV}=1)` };
  if (process.platform !== 'linux') return { reason: 'the process connector exists on Linux only' };
  try {
    return { addon: createRequire(import.meta.url)('@iot-micro-agent/cn-proc') as CnProcAddon };
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return { reason: `process connector addon not loadable: ${first}` };
  }
}

/** Linux 6.6 added the 8-byte event filter; older kernels ignore a LISTEN in that form, so they get 4 bytes. */
export function kernelHasEventFilter(kernelRelease = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!m) return false;
  const major = Number(m[1]);
  return major > 6 || (major === 6 && Number(m[2]) >= 6);
}
