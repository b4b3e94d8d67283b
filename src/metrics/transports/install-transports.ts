/**
 * Installs the instrumentation of each optional transport package the app has installed. The packages
 * are imported here, lazily, and nowhere else: an app without them boots without them.
 */
import { Logger, type Provider } from '@nestjs/common';
import { NestInternalMovedError } from './nest-internal.js';

/** Token of the provider that installs transport instrumentation while the app is being created. */
export const TRANSPORT_INSTRUMENTATION = Symbol('nestjs-instrumentator.transports');

/**
 * It must run during dependency injection: a hybrid app's `connectMicroservice()` registers its
 * handlers, and `init()` connects gateways, before any lifecycle hook of the module is called.
 */
export const transportInstrumentationProvider: Provider = {
  provide: TRANSPORT_INSTRUMENTATION,
  useFactory: async (): Promise<string[]> => {
    const installed: string[] = [];
    if (
      (await isInstalled(() => import('@nestjs/microservices'))) &&
      (await installTransport('microservices', async () => {
        const { instrumentMicroservices } =
          await import('./microservices/microservices-instrumentation.js');
        await instrumentMicroservices();
      }))
    ) {
      installed.push('microservices');
    }
    if (
      (await isInstalled(() => import('@nestjs/websockets'))) &&
      (await installTransport('websockets', async () => {
        const { instrumentWebSockets } = await import('./websockets/websockets-instrumentation.js');
        await instrumentWebSockets();
      }))
    ) {
      installed.push('websockets');
    }
    return installed;
  },
};

/** Transports already said to be off, so each is said once per process, not once per app. */
const reportedOff = new Set<string>();

/**
 * Runs `install`; should a Nest internal it wraps have moved in an upgrade, says so once and leaves the
 * app running without that transport's metrics. Any other failure is thrown, as it was.
 * @internal Exported for its spec.
 */
export async function installTransport(
  transport: string,
  install: () => Promise<void>,
  logger = new Logger('MetricsModule'),
): Promise<boolean> {
  try {
    await install();
    return true;
  } catch (error) {
    if (!(error instanceof NestInternalMovedError)) throw error;
    if (!reportedOff.has(transport)) {
      reportedOff.add(transport);
      logger.error(`The ${transport} metrics are off; the app is unaffected. ${error.message}`);
    }
    return false;
  }
}

async function isInstalled(load: () => Promise<unknown>): Promise<boolean> {
  try {
    await load();
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    throw error;
  }
}
