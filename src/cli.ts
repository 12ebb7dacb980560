#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded-gc --lite-mode --no-expose-wasm --expose-gc
/** The command line: run, demo, sim-hub, collect, validate-config, sbom, hub. */
import { UserInputError, errorMessage } from './errors.js';
import { redactText } from './log.js';
import { agentVersion } from './agent-identity.js';

const HELP = `iot-micro-agent ${agentVersion()}: a security micro agent for Linux IoT devices (Azure IoT Hub, module DefenderIotMicroAgent)

Usage:
  iot-micro-agent run [--config FILE]          run the agent (default config: /etc/iot-micro-agent/config.json)
  iot-micro-agent demo [--duration 30s] [--open]
                                               run the agent against the built-in simulated hub and show what arrives;
                                               prints the web console's URL (framed with --open)
  iot-micro-agent sim-hub [--port N] [--service-port N] [--devices N] [--state-dir DIR] [--device ID] [--console-token T]
                                               run the simulated IoT Hub; prints one JSON line with its connection string
                                               and its web console's URL (consoleUrl)
  iot-micro-agent collect <process|login|connection|sbom|baseline|users|firewall|hardware|system-information> --once [--host-root DIR]
                                               print what a collector sees now, as JSON lines
  iot-micro-agent sbom [--host-root DIR] [--format cyclonedx|json]
                                               print the installed packages as CycloneDX 1.6 JSON (default) or our payload items
  iot-micro-agent validate-config FILE         check a twin desired document offline (exit 0 valid, 1 invalid, 2 unreadable);
                                               --collectors MODULE adds the keys of a gateway's defineCollector exports
  iot-micro-agent hub create-module|verify|configure (--device ID | --all-devices) ...
                                               set up the module on a hub's devices (see iot-micro-agent hub --help)
  iot-micro-agent provision [--from FILE|-] [--config FILE] [--output FILE] [--user NAME]
                                               write the connection string (stdin by default) mode 0600, owned by the service user
  iot-micro-agent edge analyze [--manifest FILE] [--json]
                                               flag risky IoT Edge module settings in a deployment manifest, or in the
                                               running containers (exit 0 none, 1 findings, 2 unreadable manifest)
  iot-micro-agent --help | --version

Environment:
  IOT_MICRO_AGENT_CONNECTION_STRING            module connection string (wins over connectionStringFile)
  IOT_HUB_CONNECTION_STRING                    hub policy connection string for the hub commands
  IOTEDGE_*                                    set by IoT Edge: run connects through edgeHub, no connection string
`;

type Command = (args: string[]) => Promise<number>;

const SERVICE_COMMANDS = new Set(['run', 'demo', 'sim-hub']);

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${agentVersion()}\n`);
    return 0;
  }
  const commands: Record<string, () => Promise<Command>> = {
    run: async () => (await import('./cli/run-command.js')).runCommand,
    demo: async () => {
      (await import('./cli/simulator-packages.js')).checkSimulatorPackages('demo');
      return (await import('./cli/demo-command.js')).demoCommand;
    },
    'sim-hub': async () => {
      (await import('./cli/simulator-packages.js')).checkSimulatorPackages('sim-hub');
      return (await import('./cli/sim-hub-command.js')).simHubCommand;
    },
    collect: async () => (await import('./cli/collect-command.js')).collectCommand,
    'validate-config': async () => (await import('./cli/validate-config-command.js')).validateConfigCliCommand,
    sbom: async () => (await import('./cli/sbom-command.js')).sbomCommand,
    hub: async () => async (args: string[]) => (await import('./fleet/hub-command.js')).hubCommand(args),
    provision: async () => (await import('./cli/provision-command.js')).provisionCommand,
    edge: async () => (await import('./edge/analyze-command.js')).edgeCommand,
  };
  const load = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!load) throw new UserInputError(`unknown command ${JSON.stringify(command.slice(0, 40))}; see iot-micro-agent --help`);
  return (await load())(rest);
}

// `iot-micro-agent collect process --once | head` closes the pipe early: that is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

dispatch(process.argv.slice(2)).then(
  (code) => {
    // The SDK may keep retry timers alive after close(); a stopped service must not linger past systemd's timeout.
    if (SERVICE_COMMANDS.has(process.argv[2] ?? '')) process.exit(code);
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserInputError) {
      process.stderr.write(`iot-micro-agent: ${redactText(err.message)}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`iot-micro-agent: unexpected failure: ${redactText(errorMessage(err))}\n`);
    process.exitCode = 1;
  },
);
