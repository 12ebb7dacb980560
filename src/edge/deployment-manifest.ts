/**
 * An IoT Edge deployment manifest read offline: `modulesContent.$edgeAgent['properties.desired']` with its
 * `systemModules` and `modules`, each module's createOptions as a string, an object, or split into
 * `createOptions01`, `createOptions02`, ... chunks that edgeAgent joins in order (DockerConfig.cs).
 */
import { readFile } from 'node:fs/promises';
import { UserInputError, errorMessage } from '../errors.js';
import { isObject, objectField, stringField, type JsonObject } from './docker-payload.js';
import type { ModuleSpec } from './deployment-analysis.js';

const CHUNK = /^createOptions(\d{2})$/;

/** JSON.parse's complaint without the quoted excerpt of the input, which may hold a registry password or an Env value. */
function syntaxProblem(err: unknown): string {
  return (errorMessage(err).split('\n')[0] ?? '').replace(/,?\s*".*" is not valid JSON$/, ' (not valid JSON)').slice(0, 120);
}

/** The create options of one module's `settings`: `{}` when there are none. Throws a UserInputError when not JSON. */
export function createOptionsOf(settings: JsonObject, where: string): JsonObject {
  const first = settings['createOptions'];
  if (first === undefined) return {};
  if (isObject(first)) return first;
  if (typeof first !== 'string') throw new UserInputError(`${where}: createOptions must be a string or an object`);
  const chunks = Object.keys(settings)
    .filter((k) => CHUNK.test(k))
    .sort()
    .map((k) => {
      const v = settings[k];
      if (typeof v !== 'string') throw new UserInputError(`${where}: ${k} must be a string`);
      return v;
    });
  const text = [first, ...chunks].join('');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${where}: createOptions is not JSON: ${syntaxProblem(err)}`);
  }
  if (!isObject(parsed)) throw new UserInputError(`${where}: createOptions must be a JSON object`);
  return parsed;
}

/** `$edgeAgent`'s desired properties, from a manifest (`modulesContent` at the top or under `content`). */
function edgeAgentDesired(doc: unknown): JsonObject {
  const modulesContent = objectField(doc, 'modulesContent') ?? objectField(objectField(doc, 'content'), 'modulesContent');
  const desired = objectField(objectField(modulesContent, '$edgeAgent'), 'properties.desired');
  if (!desired) throw new UserInputError("no modulesContent.$edgeAgent['properties.desired'] (is this a deployment manifest?)");
  return desired;
}

/** Every system module and module of a manifest document, as the rules see them. */
export function manifestModules(doc: unknown): ModuleSpec[] {
  const desired = edgeAgentDesired(doc);
  const specs: ModuleSpec[] = [];
  for (const group of ['systemModules', 'modules'] as const) {
    const modules = desired[group];
    if (modules === undefined) continue;
    if (!isObject(modules)) throw new UserInputError(`${group} must be an object`);
    for (const [name, module] of Object.entries(modules)) {
      const where = `${group}.${name}`;
      if (!isObject(module)) throw new UserInputError(`${where} must be an object`);
      const settings = objectField(module, 'settings');
      const image = stringField(settings, 'image');
      if (!settings || image === undefined || image.trim() === '') throw new UserInputError(`${where}: settings.image is missing`);
      const digest = stringField(settings, 'digest');
      const restartPolicy = stringField(module, 'restartPolicy');
      specs.push({
        name, image: image.trim(), createOptions: createOptionsOf(settings, where), source: 'manifest',
        ...(digest !== undefined ? { digest } : {}),
        ...(restartPolicy !== undefined ? { restartPolicy } : {}),
      });
    }
  }
  if (specs.length === 0) throw new UserInputError('the manifest has no modules');
  return specs;
}

/** Reads and parses a manifest file; every problem is a one-line UserInputError naming the file. */
export async function readManifest(file: string): Promise<ModuleSpec[]> {
  const shown = JSON.stringify(file.slice(0, 200));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserInputError(`manifest ${shown}: cannot read it (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`manifest ${shown}: not JSON: ${syntaxProblem(err)}`);
  }
  try {
    return manifestModules(doc);
  } catch (err) {
    if (err instanceof UserInputError) throw new UserInputError(`manifest ${shown}: ${err.message}`);
    throw err;
  }
}
