/** The events a MicroAgent emits to the program that embeds it, with their payloads. */

/** Payload of `connected`. */
export interface ConnectedEvent {
  /** The host the agent connected to: the hub, or the gateway named by `GatewayHostName`. */
  readonly endpoint: string;
  /** From the connection string; undefined when the host program handed in its own client. */
  readonly deviceId: string | undefined;
  readonly moduleId: string | undefined;
}

/** Payload of `disconnected`. */
export interface DisconnectedEvent {
  /** Why, in one line: "disconnected by the hub", "client error", "stopped", ... */
  readonly reason: string;
}

/** Payload of `message-sent`. */
export interface MessageSentEvent {
  /** Size of the message body. */
  readonly bytes: number;
  /** How long it waited in the outbox before the hub acknowledged it, ms. */
  readonly queuedMs: number;
  /** Messages still waiting in the outbox. */
  readonly pending: number;
}

/** Payload of `config-applied`. */
export interface ConfigAppliedEvent {
  /** The desired document's `$version`, when the hub gave one. */
  readonly version: number | undefined;
  /** Keys whose effective value changed, sorted; empty when the document changed nothing in effect. */
  readonly changedKeys: readonly string[];
}

/** Payload of `config-rejected`. */
export interface ConfigRejectedEvent {
  readonly version: number | undefined;
  /** Exactly the offending top-level keys, sorted: the reported `latest_invalid_fields`. */
  readonly invalidFields: readonly string[];
  /** One reason per key (key '' when the document itself is not an object). */
  readonly reasons: readonly { readonly key: string; readonly reason: string }[];
}

/** Where a problem reported by `error` comes from. */
export type ErrorSource = 'hub' | 'delivery' | 'collector' | 'configuration';

/** Second argument of `error`. */
export interface AgentProblem {
  readonly source: ErrorSource;
  readonly message: string;
  /** The collector, for source `collector`. */
  readonly collector?: string;
  /** When it happened, ISO 8601 UTC. */
  readonly at: string;
}

/**
 * Events of `MicroAgent` (a typed `EventEmitter`). The agent never throws from an emit: listeners that throw
 * are the host program's own; `error` is emitted only when someone listens to it.
 */
export interface MicroAgentEvents {
  /** The reported properties were written (after every configuration decision): the patch sent to the twin. */
  reported: [patch: Record<string, unknown>];
  /** Connected to the hub and read the twin; again after every reconnect. */
  connected: [info: ConnectedEvent];
  /** The connection to the hub was lost or closed; the agent reconnects by itself until stop(). */
  disconnected: [info: DisconnectedEvent];
  /** The hub acknowledged one security message. */
  'message-sent': [info: MessageSentEvent];
  /** A desired document or patch from the hub was accepted, applied and persisted; `success` is reported next. */
  'config-applied': [info: ConfigAppliedEvent];
  /** A desired document or patch was refused; the running configuration stays, `failed` is reported next. */
  'config-rejected': [info: ConfigRejectedEvent];
  /**
   * Something went wrong that the agent handles by itself (it retries, or reports the collector failed): a
   * failed connection attempt, a message the hub refused for good, a collector that failed or emitted an invalid
   * event, a configuration update that failed. Informational; the agent keeps running.
   */
  error: [error: Error, problem: AgentProblem];
}
