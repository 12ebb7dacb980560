/** MicroAgent with the internal knobs in one flat object: how the CLI, the benchmarks and the tests create it. */
import { MicroAgent } from './agent.js';
import { splitOptions, type TunedAgentOptions } from './agent-options.js';

export type { TunedAgentOptions } from './agent-options.js';

export function createTunedAgent(options: TunedAgentOptions): MicroAgent {
  return new MicroAgent(...splitOptions(options));
}
