/** The Azure IoT security message envelope v1.0: what goes on the wire. */
import { randomUUID } from 'node:crypto';
import type { CollectedEvent, EventCategory, EventType, PayloadItem } from './event.js';

export interface WireEvent {
  Id: string;
  TimestampLocal: string;
  TimestampUTC: string;
  Category: EventCategory;
  Name: string;
  EventType: EventType;
  IsEmpty: boolean;
  PayloadSchemaVersion: string;
  Payload: PayloadItem[];
}

export interface SecurityMessage {
  AgentVersion: string;
  AgentId: string;
  MessageSchemaVersion: '1.0';
  Events: WireEvent[];
}

/** ISO 8601 with the host's UTC offset, e.g. `2026-11-22T17:01:21.000+01:00`. */
export function localTimestamp(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const shifted = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${shifted}${sign}${hh}:${mm}`;
}

export function toWireEvent(event: CollectedEvent, id: string = randomUUID()): WireEvent {
  return {
    Id: id,
    TimestampLocal: localTimestamp(event.time),
    TimestampUTC: new Date(event.time).toISOString(),
    Category: event.category,
    Name: event.name,
    EventType: event.eventType,
    IsEmpty: event.payload.length === 0,
    PayloadSchemaVersion: event.payloadSchemaVersion ?? '1.0',
    Payload: [...event.payload],
  };
}

export interface AgentIdentity {
  readonly agentId: string;
  readonly agentVersion: string;
}

export function buildMessage(agent: AgentIdentity, events: WireEvent[]): SecurityMessage {
  return {
    AgentVersion: agent.agentVersion,
    AgentId: agent.agentId,
    MessageSchemaVersion: '1.0',
    Events: events,
  };
}
