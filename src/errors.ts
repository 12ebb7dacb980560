/** Typed errors: a stable `name` and whether retrying can help. */

export class AgentError extends Error {
  readonly retryable: boolean;
  constructor(name: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
    this.retryable = retryable;
  }
}

/** A problem the user must fix (bad config file, malformed connection string): exit 2, one line. */
export class UserInputError extends AgentError {
  constructor(message: string) {
    super('UserInputError', message, false);
  }
}

export class NotConnectedError extends AgentError {
  constructor(message = 'not connected to the hub') {
    super('NotConnectedError', message, true);
  }
}

/** The hub link went down while a message was in flight: IoT Hub's answer to an oversized or malformed publish. */
export class ConnectionLostError extends AgentError {
  constructor() {
    super('ConnectionLostError', 'the connection dropped while the message was in flight', true);
  }
}

export class TimeoutError extends AgentError {
  constructor(what: string, ms: number) {
    super('TimeoutError', `${what} timed out after ${ms} ms`, true);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
