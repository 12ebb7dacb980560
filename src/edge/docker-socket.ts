/**
 * Where the container engine's API socket is: the configured path, or the Edge runtime's `[moby_runtime] uri`
 * from /etc/aziot/config.toml, or Docker's default; each as bound into the agent, then under the host root.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The config file holds secrets (provisioning keys): only the one `uri` line is read from it, never logged. */
const EDGE_CONFIG = '/etc/aziot/config.toml';

/** `[moby_runtime] uri = "unix:///path"` of the Edge runtime's config under `hostRoot`, when readable. */
export async function mobyRuntimeSocket(hostRoot: string): Promise<string | undefined> {
  const text = await readFile(join(hostRoot, EDGE_CONFIG), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = (header[1] ?? '').trim();
      continue;
    }
    const uri = /^\s*uri\s*=\s*["']unix:\/\/(\/[^"']+)["']/.exec(line);
    if (section === 'moby_runtime' && uri) return uri[1];
  }
  return undefined;
}

/** The paths to try, in order, without duplicates. `configured` "" means: the Edge runtime's, then Docker's default. */
export async function socketCandidates(configured: string, hostRoot: string): Promise<string[]> {
  const wanted = configured !== '' ? [configured] : [...new Set([(await mobyRuntimeSocket(hostRoot)) ?? DEFAULT_DOCKER_SOCKET, DEFAULT_DOCKER_SOCKET])];
  const out: string[] = [];
  for (const path of wanted) {
    out.push(path);
    if (hostRoot !== '/' && hostRoot !== '' && path.startsWith('/')) out.push(join(hostRoot, path));
  }
  return [...new Set(out)];
}

/** The first candidate that is a socket, or undefined (no engine on this host, or not bound in). */
export async function findDockerSocket(configured: string, hostRoot: string): Promise<string | undefined> {
  for (const path of await socketCandidates(configured, hostRoot)) {
    if (await stat(path).then((s) => s.isSocket(), () => false)) return path;
  }
  return undefined;
}
