/**
 * Installs the instrumentation of each optional transport package the app has installed. The packages
 * are imported here, lazily, and nowhere else: an app without them boots without them.
 */
import type { Provider } from '@nestjs/common';

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
    if (await isInstalled(() => import('@nestjs/microservices'))) {
      const { instrumentMicroservices } =
        await import('./microservices/microservices-instrumentation.js');
      instrumentMicroservices();
      installed.push('microservices');
    }
    if (await isInstalled(() => import('@nestjs/websockets'))) {
      const { instrumentWebSockets } = await import('./websockets/websockets-instrumentation.js');
      instrumentWebSockets();
      installed.push('websockets');
    }
    return installed;
  },
};

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
