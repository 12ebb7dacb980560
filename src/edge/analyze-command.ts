/**
 * `iot-micro-agent edge analyze [--manifest FILE] [--json]`: the deployment rules on a manifest before it is
 * deployed, or on the running containers through the engine's socket. Exit 0 no finding, 1 findings,
 * 2 unreadable or malformed input.
 */
import { UserInputError, errorMessage } from '../errors.js';
import { parseOptions, stringOption } from '../cli/options.js';
import { readContainers } from './container-inventory.js';
import { analyzeModules, type Finding, type ModuleSpec, type Severity } from './deployment-analysis.js';
import { readManifest } from './deployment-manifest.js';
import { DockerClient } from './docker-client.js';
import { findDockerSocket, socketCandidates } from './docker-socket.js';

const USAGE = 'usage: iot-micro-agent edge analyze [--manifest FILE] [--json] [--socket PATH] [--host-root DIR]';

export const EDGE_HELP = `${USAGE}

Judges IoT Edge modules against the deployment rules (privileged mode, capabilities, host namespaces,
sensitive binds, unconfined seccomp/AppArmor, devices, image tags and digests, debug images, log limits,
restart policy of security modules).
  --manifest FILE   a deployment manifest (modulesContent.$edgeAgent), checked offline before deploying;
                    without it, the containers running now, read through the container engine's socket
  --json            one JSON document for scripts
  --socket PATH     the engine's API socket (default: the Edge runtime's moby socket, /var/run/docker.sock)
  --host-root DIR   the host's root as mounted in a container (the socket is also looked for under it)
Exit status: 0 no finding, 1 findings, 2 unreadable or malformed input.
`;

const SEVERITIES: readonly Severity[] = ['Critical', 'Important', 'Warning', 'Informational'];

async function runningModules(socketOption: string, hostRoot: string): Promise<{ specs: ModuleSpec[]; where: string }> {
  const socket = await findDockerSocket(socketOption, hostRoot);
  if (socket === undefined) {
    throw new UserInputError(`no container engine socket at ${(await socketCandidates(socketOption, hostRoot)).join(', ')} (use --socket PATH, or --manifest FILE)`);
  }
  try {
    const containers = await readContainers(new DockerClient({ socketPath: socket }));
    return { specs: containers.map((c) => c.spec), where: `containers at ${socket}` };
  } catch (err) {
    throw new UserInputError(errorMessage(err));
  }
}

function textReport(findings: readonly Finding[], modules: number, where: string): string {
  if (findings.length === 0) return `No finding in ${modules} modules (${where}).\n`;
  const lines = findings.map((f) => `${f.severity.padEnd(13)} ${f.ruleId.padEnd(24)} ${f.module}: ${f.detail}\n${' '.repeat(14)}${f.title}. Fix: ${f.remediation}`);
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
  return `${lines.join('\n')}\n${findings.length} findings (${counts.join(', ')}) in ${modules} modules (${where}).\n`;
}

export async function edgeCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(EDGE_HELP);
    return 0;
  }
  if (sub !== 'analyze') throw new UserInputError(USAGE);
  const { values, positionals } = parseOptions(rest, {
    manifest: { type: 'string' }, json: { type: 'boolean' }, socket: { type: 'string' }, 'host-root': { type: 'string' }, help: { type: 'boolean' },
  });
  if (values.help === true) {
    process.stdout.write(EDGE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UserInputError(`unexpected ${JSON.stringify(positionals[0]?.slice(0, 40))}; ${USAGE}`);
  const manifest = stringOption(values, 'manifest');
  const { specs, where } = manifest !== undefined
    ? { specs: await readManifest(manifest), where: `manifest ${manifest}` }
    : await runningModules(stringOption(values, 'socket') ?? '', stringOption(values, 'host-root') ?? '/');
  const findings = analyzeModules(specs);
  if (values.json === true) {
    const doc = { source: manifest !== undefined ? 'manifest' : 'containers', modules: specs.map((s) => s.name), findings };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(textReport(findings, specs.length, where));
  }
  return findings.length === 0 ? 0 : 1;
}
