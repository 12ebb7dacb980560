/** The files the collector reads, each with its decoder: wtmp/btmp records, sshd log lines, PAM hook lines. */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileMark, readIncrement } from './incremental-file.js';
import type { LoginObservation } from './observation.js';
import { parsePamLogLine } from './pam-log-parse.js';
import { parseSshdLogLine } from './sshd-log-parse.js';
import { MAX_LINE_BYTES, decodeBytes } from './text-bounds.js';
import { UTMP_RECORD_SIZE, } from './utmp-record.js';
import { UtmpDecoder, type UtmpCounters, newCounters } from './wtmp-reader.js';

export type SourceKind = 'wtmp' | 'btmp' | 'sshd-log' | 'pam-log';

export interface LoginSourceOverrides {
  /** sshd log files instead of `<hostRoot>/var/log/{auth.log,secure}`. */
  readonly sshdLogPaths?: readonly string[];
  /** Default `<hostRoot>/var/lib/iot-micro-agent/pam.log`, as in the hook script. */
  readonly pamLogPath?: string;
  /** The journalctl binary; default `journalctl` from PATH. */
  readonly journalctl?: string;
  /** Poll interval of the files in ms; default 1000. */
  readonly pollIntervalMs?: number;
}

export interface SourcePlan {
  readonly files: { path: string; kind: SourceKind }[];
  /** True when no sshd log file exists and the journal must be followed instead. */
  readonly useJournal: boolean;
}

/** `Login_UsePAM` replaces every other source by the hook's log. */
export function planSources(hostRoot: string, usePam: boolean, overrides: LoginSourceOverrides): SourcePlan {
  if (usePam) {
    return { files: [{ path: overrides.pamLogPath ?? join(hostRoot, 'var/lib/iot-micro-agent/pam.log'), kind: 'pam-log' }], useJournal: false };
  }
  const logs = overrides.sshdLogPaths ?? [join(hostRoot, 'var/log/auth.log'), join(hostRoot, 'var/log/secure')].filter((p) => existsSync(p));
  return {
    files: [
      { path: join(hostRoot, 'var/log/wtmp'), kind: 'wtmp' },
      { path: join(hostRoot, 'var/log/btmp'), kind: 'btmp' },
      ...logs.map((path) => ({ path, kind: 'sshd-log' as const })),
    ],
    useJournal: logs.length === 0,
  };
}

/** Splits lines; a line longer than MAX_LINE_BYTES is cut and the rest of it skipped. */
class LineSplitter {
  private skipping = false;
  linesCut = 0;

  constructor(private readonly onLine: (line: string) => void) {}

  consume(data: Buffer, final: boolean): number {
    let used = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, used);
      if (nl < 0) break;
      this.line(data.subarray(used, nl));
      used = nl + 1;
    }
    const rest = data.length - used;
    if (rest > 0 && (final || rest >= MAX_LINE_BYTES)) {
      this.line(data.subarray(used));
      this.skipping = !final;
      return data.length;
    }
    return used;
  }

  private line(bytes: Buffer): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (bytes.length > MAX_LINE_BYTES) this.linesCut++;
    this.onLine(decodeBytes(bytes.subarray(0, MAX_LINE_BYTES)).replace(/\r$/, ''));
  }
}

/** One file and its decoder; the decoder keeps state (open sessions, a cut line) across polls. */
export class FileSource {
  readonly counters: UtmpCounters = newCounters();
  readonly utmp: UtmpDecoder | undefined;
  private readonly lines: LineSplitter | undefined;
  private batch: LoginObservation[] = [];
  private nowMs = 0;

  constructor(readonly path: string, readonly kind: SourceKind) {
    if (kind === 'wtmp' || kind === 'btmp') {
      this.utmp = new UtmpDecoder(kind, this.counters);
    } else {
      this.lines = new LineSplitter((line) => {
        const obs = kind === 'pam-log' ? parsePamLogLine(line) : parseSshdLogLine(line, this.nowMs);
        if (obs !== undefined) this.batch.push(obs);
      });
    }
  }

  /** Reads what is new since `mark`; `emit` false only learns (the silent pass over wtmp history). */
  async poll(mark: FileMark | undefined, startAtEnd: boolean, nowMs: number, emit = true): Promise<{ mark: FileMark | undefined; observations: LoginObservation[]; warnings: string[] }> {
    this.nowMs = nowMs;
    this.batch = [];
    const align = this.utmp === undefined ? 1 : UTMP_RECORD_SIZE;
    const result = await readIncrement(this.path, mark, startAtEnd, (data, final) => {
      if (this.utmp !== undefined) {
        const { observations, used } = this.utmp.decode(data, final, emit);
        this.batch.push(...observations);
        return used;
      }
      return this.lines?.consume(data, final) ?? data.length;
    }, align);
    const observations = emit ? this.batch : [];
    this.batch = [];
    return { mark: result.mark, observations, warnings: result.warnings };
  }

  /** A snapshot's last step: a final line without its newline is still a line (a live poll waits for the newline). */
  async readTail(mark: FileMark | undefined, nowMs: number): Promise<LoginObservation[]> {
    if (this.lines === undefined) return [];
    const from = mark?.offset ?? 0;
    let data: Buffer;
    try {
      const fh = await open(this.path, 'r');
      try {
        const size = (await fh.stat()).size;
        if (size <= from || size - from > MAX_LINE_BYTES) return [];
        data = Buffer.alloc(size - from);
        await fh.read(data, 0, data.length, from);
      } finally {
        await fh.close();
      }
    } catch {
      return [];
    }
    this.nowMs = nowMs;
    this.batch = [];
    this.lines.consume(data, true);
    const observations = this.batch;
    this.batch = [];
    return observations;
  }

  get linesCut(): number {
    return this.lines?.linesCut ?? 0;
  }
}
