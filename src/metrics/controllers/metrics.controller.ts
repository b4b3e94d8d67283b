import { Controller, Get, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA } from '@nestjs/common/constants.js';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { MetricsService } from '../metrics.service.js';
import { rawExchange } from '../transports/http/raw-exchange.js';
import { writeExposition } from '../utils/exposition.js';
import { endpointAccess } from './endpoint-access.js';

/**
 * Serves the Prometheus exposition on `path`: the classic text format, OpenMetrics when the scraper's
 * Accept header prefers it, gzip when Accept-Encoding allows. The route's path is set from the options
 * at bootstrap.
 */
@Controller({ version: VERSION_NEUTRAL })
export class MetricsController extends PrometheusController {
  constructor(private readonly metricsService: MetricsService) {
    super();
  }

  /** Writes the exposition to the response (Express's or Fastify's) and returns its text. */
  @Get()
  override async index(@Res() res: unknown, @Req() req?: unknown): Promise<string> {
    const { request, response } = rawExchange(req, res);
    if (!endpointAccess(this.metricsService, request, response)) return '';
    const exposition = await this.metricsService.exposition(
      request.headers.accept,
      request.headers['accept-encoding'],
    );
    writeExposition(request, response, exposition);
    return exposition.text;
  }
}

// The base class declares `index(@Res({ passthrough: true }))`; reflect-metadata would let this override
// inherit that flag, and Nest would then send the return value a second time.
Reflect.defineMetadata(RESPONSE_PASSTHROUGH_METADATA, false, MetricsController, 'index');
