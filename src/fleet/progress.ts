/** One self-rewriting progress line with an ETA on a terminal; silent otherwise (scripts read the summary). */

const REDRAW_MS = 250;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private done = 0;
  private total = 0;
  private note = '';
  private lastDraw = 0;
  private readonly started: number;
  private readonly tty: boolean;

  constructor(private readonly label: string, private readonly out: NodeJS.WriteStream | NodeJS.WritableStream, private readonly now = Date.now) {
    this.started = now();
    this.tty = (out as NodeJS.WriteStream).isTTY === true;
  }

  setTotal(total: number): void {
    this.total = total;
    this.draw(true);
  }

  advance(count: number): void {
    this.done += count;
    this.draw(false);
  }

  /** A short remark shown beside the counts, e.g. a throttling wait. */
  setNote(note: string): void {
    this.note = note;
    this.draw(true);
  }

  /** The ETA from the rate so far; undefined before anything is done. */
  eta(): number | undefined {
    if (this.done === 0 || this.total === 0) return undefined;
    const elapsed = this.now() - this.started;
    return (elapsed / this.done) * Math.max(0, this.total - this.done);
  }

  line(): string {
    const pct = this.total === 0 ? 0 : Math.floor((this.done / this.total) * 100);
    const eta = this.eta();
    return `${this.label} ${this.done}/${this.total} (${pct}%)  elapsed ${formatDuration(this.now() - this.started)}`
      + `${eta === undefined ? '' : `  ETA ${formatDuration(eta)}`}${this.note ? `  ${this.note}` : ''}`;
  }

  finish(): void {
    if (this.tty && this.lastDraw !== 0) this.out.write('\r\x1b[2K');
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    this.out.write(`\r\x1b[2K${this.line()}`);
  }
}
