/** Opaque subscription handle. */
export type CnProcHandle = object & { readonly __cnProc: unique symbol };
/**
 * Subscribes to fork, exec and exit events. `records` holds 6 int32 per event:
 * [kind (1 fork, 2 exec, 3 exit), tgid, parent tgid (fork) | wait status (exit), exit signal (exit), argv offset, argv length (exec: /proc/<pid>/cmdline read when the event arrived, in `argv`; -1 when already gone)].
 * `overflows` counts receive-buffer overflows (ENOBUFS: events were lost) since the last call.
 * `filtered`: send Linux 6.6's 8-byte filter (fork|exec|exit only); older kernels need the 4-byte form.
 */
export function open(callback: (records: Buffer, overflows: number, argv: Buffer) => void, receiveBufferBytes: number, filtered: boolean): CnProcHandle;
export function close(handle: CnProcHandle): void;
export function receiveBufferBytes(handle: CnProcHandle): number;
/**
 * Checks `paths` every `intervalMs` on a thread (kind 0: content after `skipFields` space-separated fields; 1: stat; 2: a directory's names)
 * and calls `onChange` on the event loop when one differs from the check before (one call in flight at most).
 */
export function watchFiles(paths: string[], kinds: number[], skipFields: number[], intervalMs: number, onChange: () => void): object;
/** Stops a watchFiles() thread; no call comes after it returns. */
export function unwatch(handle: object): void;
/** glibc's malloc_trim(0): returns free C-heap pages to the system; false where nothing was released or not glibc. */
export function trimMemory(): boolean;
