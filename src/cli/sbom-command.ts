/** `iot-micro-agent sbom [--host-root DIR] [--format cyclonedx|json]`: the device's installed packages, now. */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { cycloneDxDocument } from '../../collectors/sbom/cyclonedx.js';
import { payloadItem, snapshotPackages } from '../../collectors/sbom/index.js';
import type { PayloadItem } from '../events/event.js';
import { agentVersion } from '../agent-identity.js';
import { UserInputError } from '../errors.js';
import { redactText } from '../log.js';
import { parseOptions, stringOption } from './options.js';

const FORMATS = ['cyclonedx', 'json'];

/** The inventory under `hostRoot`; what could not be read goes to stderr as warnings, a wrong root is a user error. */
async function inventoryOf(hostRoot: string): Promise<Awaited<ReturnType<typeof snapshotPackages>>> {
  const root = await stat(hostRoot).catch(() => undefined);
  if (!root?.isDirectory()) throw new UserInputError(`--host-root ${JSON.stringify(hostRoot.slice(0, 200))} is not a directory`);
  const inventory = await snapshotPackages(hostRoot);
  for (const problem of inventory.problems) process.stderr.write(`iot-micro-agent: warning: ${redactText(problem)}\n`);
  if (inventory.skipped > 0) process.stderr.write(`iot-micro-agent: warning: ${inventory.skipped} unreadable package records skipped\n`);
  if (inventory.packages.length === 0 && inventory.problems.length === 0) {
    throw new UserInputError(`no package database found under ${JSON.stringify(hostRoot.slice(0, 200))} (looked for dpkg, rpmdb.sqlite, apk, opkg)`);
  }
  return inventory;
}

/** For `collect sbom --once`: one payload item per package, as the collector sends them in a full inventory. */
export async function sbomItems(hostRoot: string): Promise<PayloadItem[]> {
  return (await inventoryOf(hostRoot)).packages.map((p) => payloadItem(p, 'Inventory'));
}

export async function sbomCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { 'host-root': { type: 'string' }, format: { type: 'string' } });
  if (positionals.length > 0) throw new UserInputError('usage: iot-micro-agent sbom [--host-root DIR] [--format cyclonedx|json]');
  const format = stringOption(values, 'format') ?? 'cyclonedx';
  if (!FORMATS.includes(format)) throw new UserInputError(`--format ${JSON.stringify(format.slice(0, 40))}: choose cyclonedx or json`);
  const inventory = await inventoryOf(stringOption(values, 'host-root') ?? '/');
  const doc = format === 'json'
    ? inventory.packages.map((p) => payloadItem(p, 'Inventory'))
    : cycloneDxDocument(inventory.packages, { serialNumber: randomUUID(), timestamp: new Date().toISOString(), agentVersion: agentVersion(), distro: inventory.distro });
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  return 0;
}
