import { describe, expect, it } from 'vitest';
import { checkSimulatorPackages } from '../../src/cli/simulator-packages.js';
import { UserInputError } from '../../src/errors.js';

describe('demo and sim-hub without the simulator\'s packages', () => {
  it('name what is missing and how to install it, in one line', () => {
    const absent = new Set(['aedes', 'reflect-metadata']);
    const resolve = (name: string): string => {
      if (absent.has(name)) throw new Error(`Cannot find package '${name}'`);
      return `file:///node_modules/${name}/index.js`;
    };
    expect(() => checkSimulatorPackages('demo', resolve)).toThrow(UserInputError);
    expect(() => checkSimulatorPackages('demo', resolve)).toThrow(
      'demo runs the simulated hub, which needs aedes, reflect-metadata (not installed on devices): npm install aedes @peculiar/x509 reflect-metadata',
    );
  });

  it('pass when they are installed (as in this repository)', () => {
    expect(() => checkSimulatorPackages('sim-hub')).not.toThrow();
  });
});
