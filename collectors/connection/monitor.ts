/** The polling loop: diff established sockets by inode, resolve owners of new ones, emit events. */
import { endianness } from 'node:os';
import { errorMessage } from '../../src/errors.js';
import { PollSchedule } from '../poll-schedule.js';
import type { Collector, CollectorOptions, CollectorStatus, EventSink, GatedFile } from '../types.js';
import { connectionEvent, directionOf, listeningKey, listeningPortsEvent } from './events.js';
import { InodeOwners, readProcessInfo, type ProcessInfo } from './inode-owner.js';
import { addressSelected, loopbackSelected, missingDevices, readInterfaces, type InterfaceTable } from './interfaces.js';
import { discoverNamespaces, type NetNamespace } from './namespaces.js';
import { parseSocketLine, rowKind, type SocketRow } from './parse.js';
import { readConnectionSettings, type ConnectionSettings } from './settings.js';
import { SeenSockets } from './seen.js';
import { readTable, scanTable, TABLES, UDP_TABLES, type TableSpec } from './socket-table.js';
import { counterFiles, readTcpOpens, TcpGate, tcpPending } from './tcp-gate.js';

/** Containers and interface addresses change rarely; rediscovering them every poll would cost more than the poll. */
export const REFRESH_MS = 30_000;
/** Every pid's namespace reread (a process that moved namespace); in between only new pids are read. */
export const FULL_SCAN_MS = 300_000;

export interface ConnectionCollectorOptions extends CollectorOptions {
  /** Report connections already open at the first poll (fixture tests); by default the first poll is a baseline. */
  readonly reportExisting?: boolean;
  /** Byte order of the observed kernel's /proc/net words; this host's by default. */
  readonly littleEndian?: boolean;
}

/** The collector plus what tests and the benchmark need: a poll on demand and its cost counters. */
export interface ConnectionCollector extends Collector {
  /** One poll; `fullRead` reads tcp/tcp6 even when the TCP counters say nothing opened (benchmark, tests). */
  poll(out: EventSink, fullRead?: boolean): Promise<void>;
  readonly stats: {
    readonly polls: number; readonly fdDirsRead: number; readonly trackedSockets: number;
    /** Table files read by polls (not by ListeningPorts snapshots). */
    readonly tablesRead: number;
    /** Namespace polls that skipped tcp/tcp6 because the TCP open counters had not moved. */
    readonly tcpSkips: number;
  };
}

interface RawLine { readonly ns: NetNamespace; readonly spec: TableSpec; readonly line: string }

const NO_INTERFACES: InterfaceTable = { names: new Set(), byAddress: new Map() };

export class ConnectionMonitor implements ConnectionCollector {
  readonly name = 'NetworkActivity';
  private readonly procRoot: string;
  private readonly settings: ConnectionSettings;
  private readonly littleEndian: boolean;
  private readonly owners: InodeOwners;
  private readonly seen = new SeenSockets();
  private readonly gate = new TcpGate();
  private tablesRead = 0;
  private tcpSkips = 0;
  private generation = 0;
  private baselineDone: boolean;
  private namespaces: NetNamespace[] = [];
  private interfaces = new Map<string, InterfaceTable>();
  private refreshedAt = -Infinity;
  /** Namespace links of the last discovery: later ones read only new pids, and all of them every FULL_SCAN_MS. */
  private nsLinks: ReadonlyMap<number, string> | undefined;
  private fullScanAt = -Infinity;
  private readonly warned = new Set<string>();
  private state: CollectorStatus['state'] = 'stopped';
  private detail: string | undefined;
  private schedule: PollSchedule | undefined;
  /** The host's counter files while it is the only namespace; undefined with containers (polled every interval). */
  private counterFiles: GatedFile[] | undefined;
  private polling = false;
  private polls = 0;

  constructor(private readonly options: ConnectionCollectorOptions) {
    this.procRoot = `${options.hostRoot.replace(/\/+$/, '')}/proc`;
    this.settings = readConnectionSettings(options.settings);
    this.littleEndian = options.littleEndian ?? endianness() === 'LE';
    this.owners = new InodeOwners(this.procRoot);
    this.baselineDone = options.reportExisting === true;
  }

  get stats(): ConnectionCollector['stats'] {
    const { polls, tablesRead, tcpSkips, seen } = this;
    return { polls, fdDirsRead: this.owners.fdDirsRead, trackedSockets: seen.size, tablesRead, tcpSkips };
  }

  async start(out: EventSink): Promise<void> {
    if (this.schedule) return;
    this.state = 'running';
    await this.tick(out);
    this.schedule = new PollSchedule({
      clock: this.options.clock, gate: this.options.changeGate, intervalMs: this.settings.pollIntervalMs,
      poll: async () => {
        await this.tick(out);
        this.plan();
      },
      // the sink itself may throw (a gateway's own): log it, never leave a rejection behind
      onError: (err: unknown) => this.options.log.warn({ reason: errorMessage(err) }, 'connection poll failed'),
    });
    this.plan();
  }

  async stop(): Promise<void> {
    this.schedule?.stop();
    this.schedule = undefined;
    this.state = 'stopped';
  }

  status(): CollectorStatus {
    return this.detail === undefined ? { state: this.state } : { state: this.state, detail: this.detail };
  }

  /** A ListeningPorts snapshot of every namespace, filtered like connections. */
  async collect(out: EventSink): Promise<void> {
    this.refreshIfDue(out);
    this.plan(); // the refresh may have found containers come or gone
    const listeners: SocketRow[] = [];
    for (const ns of this.namespaces) {
      const texts = await this.readNamespace(ns, TABLES, out);
      if (!texts) continue;
      const table = this.interfaces.get(ns.id) ?? NO_INTERFACES;
      TABLES.forEach((spec, k) => {
        const text = texts[k] ?? '';
        scanTable(text, (state, _inode, s, e) => {
          if (rowKind(spec.protocol, state) !== 'listen') return;
          const row = parseSocketLine(text.slice(s, e), spec.protocol, spec.family, this.littleEndian);
          if (row && addressSelected(row.localAddress, row.remoteAddress, this.settings, table)) listeners.push(row);
        });
      });
    }
    out.emit(listeningPortsEvent(listeners, this.options.clock.now()));
  }

  async poll(out: EventSink, fullRead = false): Promise<void> {
    this.refreshIfDue(out);
    const gen = ++this.generation;
    const now = this.options.clock.now();
    const fresh: RawLine[] = [];
    const listenLines: RawLine[] = [];
    for (const ns of this.namespaces) {
      const opens = readTcpOpens(ns.netDir); // before the tables: an open during the read moves it for next poll
      const readTcp = fullRead || !this.gate.canSkip(ns.id, opens, now);
      const specs = readTcp ? TABLES : UDP_TABLES;
      const texts = await this.readNamespace(ns, specs, out);
      if (!texts) {
        this.gate.forget(ns.id); // not swept either: a namespace that failed to read would look closed
        continue;
      }
      this.tablesRead += specs.length;
      if (!readTcp) this.tcpSkips++;
      let pending = false;
      specs.forEach((spec, k) => {
        const text = texts[k] ?? '';
        const tcp = spec.protocol === 'TCP';
        const skipped = scanTable(text, (state, inode, s, e) => {
          const kind = rowKind(spec.protocol, state);
          if (kind === 'listen') listenLines.push({ ns, spec, line: text.slice(s, e) });
          if (tcp && tcpPending(state, inode)) pending = true;
          if (kind !== 'connection' || inode === 0) return;
          if (this.seen.mark(ns.id, spec.protocol, inode, gen) && this.baselineDone) fresh.push({ ns, spec, line: text.slice(s, e) });
        });
        if (skipped > 0) this.warnOnce(out, `skipped a malformed line in ${ns.netDir}/${spec.file}`);
      });
      this.seen.sweep(ns.id, 'UDP', gen);
      if (!readTcp) continue;
      this.seen.sweep(ns.id, 'TCP', gen);
      this.gate.record(ns.id, opens, pending, now);
    }
    this.baselineDone = true;
    this.polls++;
    if (fresh.length > 0) this.report(fresh, listenLines, out);
  }

  private report(fresh: readonly RawLine[], listenLines: readonly RawLine[], out: EventSink): void {
    const selected: Array<{ ns: NetNamespace; row: SocketRow }> = [];
    for (const raw of fresh) {
      const row = this.parse(raw, out);
      const table = this.interfaces.get(raw.ns.id) ?? NO_INTERFACES;
      if (row && addressSelected(row.localAddress, row.remoteAddress, this.settings, table)) selected.push({ ns: raw.ns, row });
    }
    if (selected.length === 0) return; // filtered out before any /proc/<pid>/fd is touched
    const listening = new Map<string, Set<string>>();
    for (const raw of listenLines) {
      const row = this.parse(raw, out);
      if (!row) continue;
      const set = listening.get(raw.ns.id) ?? new Set<string>();
      set.add(listeningKey(row.protocol, row.localPort));
      listening.set(raw.ns.id, set);
    }
    const owners = this.owners.resolve(new Set(selected.map((s) => s.row.inode)));
    if (this.owners.fdDirsDenied > 0) {
      this.warnOnce(out, 'cannot read /proc/<pid>/fd of some processes (not root): their connections carry ProcessId 0');
    }
    const own = this.options.spawned;
    const infos = new Map<number, ProcessInfo>();
    const now = this.options.clock.now();
    for (const { ns, row } of selected) {
      const pid = owners.get(row.inode);
      if (pid !== undefined && own?.has(pid)) continue;
      let info: ProcessInfo | undefined;
      if (pid !== undefined) {
        info = infos.get(pid) ?? readProcessInfo(this.procRoot, pid);
        infos.set(pid, info);
      }
      out.emit(connectionEvent(row, directionOf(row, listening.get(ns.id) ?? new Set()), info, now));
    }
  }

  private parse(raw: RawLine, out: EventSink): SocketRow | undefined {
    const row = parseSocketLine(raw.line, raw.spec.protocol, raw.spec.family, this.littleEndian);
    if (!row) this.warnOnce(out, `skipped a malformed line in ${raw.ns.netDir}/${raw.spec.file}`);
    return row;
  }

  private async readNamespace(ns: NetNamespace, specs: readonly TableSpec[], out: EventSink): Promise<string[] | undefined> {
    try {
      return await Promise.all(specs.map((spec) => readTable(ns.netDir, spec)));
    } catch (err) {
      if (ns.pid === undefined) {
        this.warnOnce(out, `cannot read ${ns.netDir}: ${(err as Error).message}`);
        this.state = 'failed';
      }
      this.refreshedAt = -Infinity; // the process representing it is gone: rediscover next poll
      return undefined;
    }
  }

  private refreshIfDue(out: EventSink): void {
    const now = this.options.clock.now();
    if (now - this.refreshedAt < REFRESH_MS) return;
    this.refreshedAt = now;
    const full = now - this.fullScanAt >= FULL_SCAN_MS;
    if (full) this.fullScanAt = now;
    const scan = discoverNamespaces(this.procRoot, full ? undefined : this.nsLinks);
    this.nsLinks = scan.links;
    this.namespaces = scan.namespaces;
    this.interfaces = new Map(this.namespaces.map((ns) => [ns.id, readInterfaces(ns.netDir, this.littleEndian)]));
    const ids = new Set(this.namespaces.map((ns) => ns.id));
    this.seen.retain(ids);
    this.gate.retain(ids);
    this.owners.retain((inode) => this.seen.has(inode));
    const host = this.namespaces.length === 1 ? this.namespaces[0] : undefined;
    this.counterFiles = host && this.options.changeGate ? counterFiles(host.netDir) : undefined;
    this.updateDeviceStatus(out);
  }

  /**
   * With the change gate and no containers, a poll waits until the host's TCP/UDP/IP counters move (a connected
   * socket sends or receives, so moves them), or REFRESH_MS (rediscovery, the periodic full tcp read). Other
   * namespaces' counters are their own: with containers every interval polls, as without the gate.
   */
  private plan(): void {
    const schedule = this.schedule;
    if (!schedule) return;
    if (this.counterFiles === undefined) return schedule.useInterval();
    schedule.useGate(this.counterFiles, REFRESH_MS);
    // A socket in the accept queue gets its inode at accept(), which moves no counter: look again soon.
    if (this.gate.pending) schedule.followUp(this.settings.pollIntervalMs);
  }

  private updateDeviceStatus(out: EventSink): void {
    const host = this.namespaces[0];
    const table = (host && this.interfaces.get(host.id)) ?? NO_INTERFACES;
    const missing = missingDevices(this.settings.devices, table);
    const listed = this.settings.devices.names;
    if (this.state === 'failed') return;
    if (missing.length === 0) {
      this.detail = undefined;
      if (this.state === 'degraded') this.state = 'running';
      return;
    }
    const names = [...table.names].sort();
    // a host with many containers has dozens of veths: the status stays one readable line
    const present = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ... (${names.length} in all)` : names.join(', ');
    const all = missing.length === listed.length;
    this.detail = all
      ? `NetworkActivity_Devices: none of ${listed.join(', ') || '(empty)'} exists (present: ${present}); no connections are reported${loopbackSelected(this.settings) ? ' except loopback' : ''}`
      : `NetworkActivity_Devices: ${missing.join(', ')} not present (present: ${present}); reporting ${listed.filter((n) => !missing.includes(n)).join(', ')}`;
    // a listed name that does not exist is a configuration error the admin must see in the twin
    if (this.state !== 'stopped') this.state = 'degraded';
    this.warnOnce(out, this.detail);
  }

  private warnOnce(out: EventSink, message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.log.warn(message);
    out.error(message);
  }

  private async tick(out: EventSink): Promise<void> {
    if (this.polling) return; // a slow poll is not stacked on by the next tick
    this.polling = true;
    try {
      await this.poll(out);
    } catch (err) {
      out.error(err as Error);
    } finally {
      this.polling = false;
    }
  }
}
