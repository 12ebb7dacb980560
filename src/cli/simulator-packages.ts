/** The simulated hub's packages are optional peer dependencies: a device install leaves them out. */
import { UserInputError } from '../errors.js';

export const SIMULATOR_PACKAGES = ['aedes', '@peculiar/x509', 'reflect-metadata'] as const;

/** Throws a one-line UserInputError naming what to install when any of them is absent. */
export function checkSimulatorPackages(command: string, resolve: (name: string) => string = (name) => import.meta.resolve(name)): void {
  const missing = SIMULATOR_PACKAGES.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new UserInputError(`${command} runs the simulated hub, which needs ${missing.join(', ')} (not installed on devices): npm install ${SIMULATOR_PACKAGES.join(' ')}`);
  }
}
