import { Logger } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { createApp } from './app.factory.js';
import { startMicroservice } from './rpc/start-microservice.js';
import { parseTracingFlag, startTracing } from './tracing/start-tracing.js';

const DEFAULT_PORT = 3000;
const DEFAULT_HOST = '0.0.0.0';

async function bootstrap(): Promise<void> {
  // OTEL_TRACING may live in .env, which AppModule's ConfigModule.forRoot() copies into process.env.
  await ConfigModule.envVariablesLoaded;
  if (parseTracingFlag(process.env.OTEL_TRACING)) {
    // Before the app exists, so that its first request already runs in a server span.
    await startTracing();
    Logger.log('OpenTelemetry tracing on (OTEL_TRACING=true)', 'Bootstrap');
  }
  const app = await createApp();
  // Lets SIGTERM from an orchestrator run the shutdown hooks: drain the email queue, close the DB.
  app.enableShutdownHooks();

  const config = app.get(ConfigService);
  const port = parsePort(config.get<string>('PORT'));
  const host = config.get<string>('HOST') || DEFAULT_HOST;
  const rpcPort = await startMicroservice(app, parsePort(config.get<string>('RPC_PORT'), 0));
  await app.listen(port, host);
  Logger.log(`Listening on ${await app.getUrl()}, TCP microservice on ${rpcPort}`, 'Bootstrap');
}

function parsePort(raw: string | undefined, fallback = DEFAULT_PORT): number {
  if (!raw) {
    return fallback;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

bootstrap().catch((error: unknown) => {
  Logger.error(
    error instanceof Error ? (error.stack ?? error.message) : String(error),
    'Bootstrap',
  );
  process.exitCode = 1;
});
