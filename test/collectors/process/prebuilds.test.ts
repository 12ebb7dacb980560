import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const prebuilds = join(import.meta.dirname, '../../../packages/cn-proc/prebuilds');

/** ELF class, byte order, type and machine, from the header (the binary cannot be loaded on another arch). */
function elfHeader(file: string): { class64: boolean; little: boolean; type: number; machine: number; text: string } {
  const b = readFileSync(file);
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return { class64: b[4] === 2, little: b[5] === 1, type: b.readUInt16LE(16), machine: b.readUInt16LE(18), text: b.toString('latin1') };
}

describe('the shipped prebuilt addons', () => {
  it.each([
    ['linux-x64', 62],
    ['linux-arm64', 183],
  ])('%s is a 64-bit little-endian shared object for its machine, with a Node-API entry and no glibc newer than 2.17', (dir, machine) => {
    const elf = elfHeader(join(prebuilds, dir, 'node.napi.glibc.node'));
    expect(elf).toMatchObject({ class64: true, little: true, type: 3, machine });
    expect(elf.text).toContain('napi_register_module_v1');
    const versions = [...elf.text.matchAll(/GLIBC_2\.(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...versions)).toBeLessThanOrEqual(17);
  });
});
