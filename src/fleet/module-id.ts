/** The module identity the micro agent runs as, on every device of a fleet. */
export const DEFAULT_MODULE_ID = 'DefenderIotMicroAgent';
