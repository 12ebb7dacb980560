/** The service's signals as a queue: SIGHUP asks for a reload, SIGTERM/SIGINT for a stop; none is lost while the agent is busy. */

export type ServiceSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT';

const HANDLED: readonly ServiceSignal[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];

export class ServiceSignals {
  private readonly queue: ServiceSignal[] = [];
  private waiter: ((signal: ServiceSignal) => void) | undefined;
  private stopping = false;
  // Signal listeners do not keep the event loop alive; the service must wait for its stop signal.
  private readonly keepAlive = setInterval(() => undefined, 1 << 30);
  private readonly onSignal = (signal: ServiceSignal): void => {
    if (this.stopping && signal !== 'SIGHUP') process.exit(signal === 'SIGINT' ? 130 : 143);
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve(signal);
    } else {
      this.queue.push(signal);
    }
  };

  constructor() {
    for (const s of HANDLED) process.on(s, this.onSignal);
  }

  /** The next signal, in arrival order. */
  next(): Promise<ServiceSignal> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** From now on a second SIGTERM or SIGINT exits at once (143, 130) instead of waiting for the flush. */
  stopRequested(): void {
    this.stopping = true;
    if (this.queue.some((s) => s !== 'SIGHUP')) process.exit(this.queue.includes('SIGINT') ? 130 : 143);
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const s of HANDLED) process.removeListener(s, this.onSignal);
  }
}
