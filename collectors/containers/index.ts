/**
 * Containers: the container engine's view over its API socket. Streams container start, stop, die and oom as
 * ContainerLifecycle events; at each send interval, the inventory as a ContainerInventory snapshot and the
 * deployment findings of every container (edgeAgent's labels first) as OSBaseline results.
 * With no socket it waits quietly and says so in its status.
 */
import { analyzeModules } from '../../src/edge/deployment-analysis.js';
import { inventoryItem, readContainers, type ContainerRecord } from '../../src/edge/container-inventory.js';
import { DockerClient } from '../../src/edge/docker-client.js';
import { findDockerSocket, socketCandidates } from '../../src/edge/docker-socket.js';
import { errorMessage } from '../../src/errors.js';
import type { Collector, CollectorFactory, CollectorStatus, EventSink } from '../types.js';
import { lifecycleEvent } from './container-events.js';
import { DeploymentResults } from './deployment-results.js';
import { EventWatch, type WatchState } from './event-watch.js';

export const FULL_REPORT_EVERY_MS = 24 * 60 * 60 * 1000;

export const createContainersCollector: CollectorFactory = ({ hostRoot, settings, clock, log }) => {
  const configured = typeof settings['Containers_DockerSocket'] === 'string' ? settings['Containers_DockerSocket'] : '';
  const analysis = settings['Containers_AnalysisDisabled'] !== true;
  const results = new DeploymentResults(FULL_REPORT_EVERY_MS);
  let sink: EventSink | undefined;
  let watch: EventWatch | undefined;
  let state: WatchState | undefined;
  let lastError: string | undefined;
  let inventoryDetail = '';
  let stopped = false;

  let candidates: string[] = [configured || '/var/run/docker.sock'];
  const missingDetail = (): string => `waiting for a container engine: no socket at ${candidates.join(', ')}`;

  /** Errors go out once per distinct message: a host without an engine, or a refusing one, stays quiet. */
  const problem = (detail: string): void => {
    if (detail === lastError) return;
    lastError = detail;
    sink?.error(detail);
  };

  const onState = (next: WatchState): void => {
    if (next.kind === 'failed') problem(next.detail);
    if (next.kind === 'connected' && state?.kind !== 'connected') log.info({ socket: next.socket }, 'following container events');
    if (next.kind === 'connected') lastError = undefined;
    state = next;
  };

  const collector: Collector = {
    name: 'Containers',
    async start(out: EventSink) {
      if (stopped) return;
      sink = out;
      candidates = await socketCandidates(configured, hostRoot);
      watch = new EventWatch({
        clock, log, missingDetail, onState,
        resolveSocket: () => findDockerSocket(configured, hostRoot),
        onEvent: (event) => sink?.emit(lifecycleEvent(event)),
      });
      watch.start();
    },
    async collect(out: EventSink) {
      if (stopped) return;
      const socket = await findDockerSocket(configured, hostRoot);
      if (socket === undefined) return;
      let containers: ContainerRecord[];
      try {
        containers = await readContainers(new DockerClient({ socketPath: socket }));
      } catch (err) {
        problem(`container inventory: ${errorMessage(err)}`);
        return;
      }
      const now = clock.now();
      const modules = containers.filter((c) => c.moduleName !== '').length;
      inventoryDetail = `${containers.length} containers, ${modules} Edge modules`;
      out.emit({ name: 'ContainerInventory', category: 'Periodic', eventType: 'Security', time: now, payload: containers.map(inventoryItem) });
      if (!analysis) return;
      const items = results.items(analyzeModules(containers.map((c) => c.spec)), now);
      if (items.length > 0) out.emit({ name: 'OSBaseline', category: 'Periodic', eventType: 'Security', time: now, payload: items });
    },
    async stop() {
      stopped = true;
      await watch?.stop();
    },
    status(): CollectorStatus {
      if (stopped) return { state: 'stopped' };
      if (state === undefined) return { state: 'running' };
      if (state.kind === 'waiting') return { state: 'running', detail: state.detail };
      if (state.kind === 'failed') return { state: 'degraded', detail: state.detail.slice(0, 200) };
      return { state: 'running', detail: `following ${state.socket}${inventoryDetail !== '' ? `: ${inventoryDetail}` : ''}` };
    },
  };
  return collector;
};
