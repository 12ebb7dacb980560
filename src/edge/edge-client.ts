/**
 * The hub client of an IoT Edge module: ModuleClient.fromEnvironment, which signs SAS tokens through the
 * workload API and trusts edgeHub with the workload API's trust bundle; messages leave on a module output.
 */
import devicePkg from 'azure-iot-device';
import { AgentError, errorMessage } from '../errors.js';
import type { ClientSource, ModuleClientT, TransportCtor } from '../hub/client-source.js';
import type { EdgeEnvironment } from './edge-environment.js';

const { ModuleClient } = devicePkg;

/** The module output security messages leave on; the deployment routes it to $upstream (README "IoT Edge"). */
export const SECURITY_OUTPUT = 'SecurityMessages';

/** The route a deployment needs for the agent's messages to reach IoT Hub. */
export function upstreamRoute(moduleId: string, output = SECURITY_OUTPUT): string {
  return `FROM /messages/modules/${moduleId}/outputs/${output} INTO $upstream`;
}

type TransportOptions = Record<string, unknown>;
type OptionsTransport = new (...args: unknown[]) => { setOptions(options: TransportOptions, done?: (err?: Error) => void): void };

/**
 * fromEnvironment hands the trust bundle to the transport with setOptions({ ca }); the MQTT base keeps only
 * the last options it was given, so a later setOptions (keepalive, productInfo) would drop it: keep it.
 */
export function keepingTrustBundle(transport: TransportCtor): TransportCtor {
  const Base = transport as unknown as OptionsTransport;
  class KeepsCa extends Base {
    private trustBundle: unknown;

    override setOptions(options: TransportOptions, done?: (err?: Error) => void): void {
      if (options['ca'] !== undefined) this.trustBundle = options['ca'];
      super.setOptions(this.trustBundle === undefined || options['ca'] !== undefined ? options : { ...options, ca: this.trustBundle }, done);
    }
  }
  return KeepsCa as unknown as TransportCtor;
}

export function edgeClientSource(edge: EdgeEnvironment, outputName: string = SECURITY_OUTPUT): ClientSource {
  return {
    address: edge.address,
    outputName,
    advice: {
      tls: 'the IoT Edge workload API\'s trust bundle does not cover it (is IOTEDGE_GATEWAYHOSTNAME the name on edgeHub\'s certificate?)',
      credentials: 'the IoT Edge workload API signed for a module identity or generation the hub does not accept: check IOTEDGE_MODULEID and IOTEDGE_MODULEGENERATIONID',
    },
    async create(transport: TransportCtor): Promise<ModuleClientT> {
      try {
        return await ModuleClient.fromEnvironment(keepingTrustBundle(transport));
      } catch (err) {
        throw new AgentError('EdgeWorkloadError', `the IoT Edge workload API at ${edge.workloadUri} failed: ${workloadProblem(err)}`, true, { cause: err });
      }
    },
  };
}

/** The SDK's workload errors carry the socket error code or the HTTP response; one line of it. */
function workloadProblem(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return 'the socket does not exist (is the workload socket mounted?)';
  if (code === 'ECONNREFUSED') return 'nothing listens on the socket';
  if (code === 'EACCES') return 'permission denied on the socket';
  const status = (err as { response?: { statusCode?: unknown } } | undefined)?.response?.statusCode;
  return typeof status === 'number' ? `HTTP ${status}` : errorMessage(err).split('\n')[0]?.slice(0, 200) ?? 'unknown error';
}
