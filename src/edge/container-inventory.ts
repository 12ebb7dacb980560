/**
 * The containers the engine knows (`GET /containers/json?all=true`), each inspected, with the image digest
 * from the image's RepoDigests, the Edge module name from edgeAgent's labels, and the options the
 * deployment rules judge: edgeAgent's normalizedCreateOptions label when it parses, the inspect otherwise.
 */
import type { PayloadItem } from '../events/event.js';
import type { ModuleSpec } from './deployment-analysis.js';
import { imageParts } from './deployment-analysis.js';
import type { DockerClient } from './docker-client.js';
import { EDGE_LABELS, edgeModuleName, isObject, numberField, objectField, stringField, stringMap, type JsonObject } from './docker-payload.js';

export interface ContainerRecord {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  /** `sha256:...` of the image as its registry knows it, or "" for a local or unknown image. */
  readonly imageDigest: string;
  readonly state: string;
  readonly status: string;
  readonly restartCount: number;
  readonly created: string;
  readonly started: string;
  /** The Edge module name when edgeAgent created the container, else "". */
  readonly moduleName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: ModuleSpec;
}

/** Docker's zero time for a container never started. */
const ZERO_TIME = /^0001-01-01/;

/** Inspects at once, so a few hundred containers take a few round trips rather than hundreds. */
const PARALLEL = 4;

async function imageDigest(client: DockerClient, image: string, imageId: string, cache: Map<string, string[]>): Promise<string> {
  const pinned = imageParts(image).digest;
  if (pinned !== '') return pinned;
  if (imageId === '') return '';
  let repoDigests = cache.get(imageId);
  if (repoDigests === undefined) {
    const inspected = await client.getJson(`/images/${encodeURIComponent(imageId)}/json`).catch(() => undefined);
    repoDigests = isObject(inspected) && Array.isArray(inspected['RepoDigests']) ? inspected['RepoDigests'].filter((d): d is string => typeof d === 'string') : [];
    cache.set(imageId, repoDigests);
  }
  const { repo } = imageParts(image);
  const own = repoDigests.find((d) => d.slice(0, d.indexOf('@')) === repo) ?? repoDigests[0];
  return own === undefined ? '' : own.slice(own.indexOf('@') + 1);
}

/** The options the rules judge for one container. */
function specOf(name: string, image: string, inspect: JsonObject, labels: Readonly<Record<string, string>>, moduleName: string): ModuleSpec {
  const hostConfig = objectField(inspect, 'HostConfig');
  const policy = labels[EDGE_LABELS.restartPolicy] ?? stringField(objectField(hostConfig, 'RestartPolicy'), 'Name') ?? '';
  const restartPolicy = policy === '' || policy === 'no' ? 'never' : policy;
  const label = labels[EDGE_LABELS.createOptions];
  if (moduleName !== '' && label !== undefined) {
    try {
      const parsed: unknown = JSON.parse(label);
      if (isObject(parsed)) return { name, image, restartPolicy, createOptions: parsed, source: 'labels' };
    } catch {
      // a label that does not parse: judge what the engine runs instead
    }
  }
  return { name, image, restartPolicy, createOptions: { ...(objectField(inspect, 'Config') ?? {}), HostConfig: hostConfig ?? {} }, source: 'container' };
}

async function record(client: DockerClient, summary: JsonObject, cache: Map<string, string[]>): Promise<ContainerRecord | undefined> {
  const id = stringField(summary, 'Id');
  if (id === undefined || !/^[0-9a-fA-F]{1,64}$/.test(id)) return undefined;
  const inspect = await client.getJson(`/containers/${id}/json`);
  if (!isObject(inspect)) return undefined; // removed between list and inspect
  const config = objectField(inspect, 'Config');
  const state = objectField(inspect, 'State');
  const labels = stringMap(config, 'Labels');
  const listed = Array.isArray(summary['Names']) ? summary['Names'].find((n): n is string => typeof n === 'string') : undefined;
  const name = (stringField(inspect, 'Name') ?? listed ?? '').replace(/^\//, '');
  const image = stringField(config, 'Image') ?? stringField(summary, 'Image') ?? '';
  const imageId = stringField(inspect, 'Image') ?? stringField(summary, 'ImageID') ?? '';
  const moduleName = edgeModuleName(labels, name) ?? '';
  const started = stringField(state, 'StartedAt') ?? '';
  return {
    id, name, image, imageId,
    imageDigest: await imageDigest(client, image, imageId, cache),
    state: stringField(state, 'Status') ?? (stringField(summary, 'State') ?? '').toLowerCase(),
    status: stringField(summary, 'Status') ?? '',
    restartCount: numberField(inspect, 'RestartCount') ?? 0,
    created: stringField(inspect, 'Created') ?? '',
    started: ZERO_TIME.test(started) ? '' : started,
    moduleName, labels,
    spec: specOf(moduleName !== '' ? moduleName : name, image, inspect, labels, moduleName),
  };
}

/** Every container, running or not, in the engine's order. */
export async function readContainers(client: DockerClient): Promise<ContainerRecord[]> {
  const list = await client.getJson('/containers/json?all=true');
  const summaries = Array.isArray(list) ? list.filter(isObject) : [];
  const cache = new Map<string, string[]>();
  const out: ContainerRecord[] = [];
  for (let i = 0; i < summaries.length; i += PARALLEL) {
    const batch = await Promise.all(summaries.slice(i, i + PARALLEL).map((s) => record(client, s, cache)));
    for (const r of batch) if (r !== undefined) out.push(r);
  }
  return out;
}

/** One ContainerInventory payload item. */
export function inventoryItem(c: ContainerRecord): PayloadItem {
  const extra: Record<string, string> = {};
  const add = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') extra[key] = value.slice(0, 256);
  };
  add('Status', c.status);
  add('DesiredStatus', c.labels[EDGE_LABELS.desiredStatus]);
  add('ModuleVersion', c.labels[EDGE_LABELS.version]);
  add('RestartPolicy', c.labels[EDGE_LABELS.restartPolicy]);
  add('DeploymentId', c.labels[EDGE_LABELS.configurationId]);
  return {
    ContainerId: c.id, Name: c.name, Image: c.image, ImageId: c.imageId, ImageDigest: c.imageDigest, State: c.state,
    RestartCount: c.restartCount, CreatedUtc: c.created, StartedUtc: c.started, ModuleName: c.moduleName,
    ...(Object.keys(extra).length > 0 ? { ExtraDetails: extra } : {}),
  };
}
