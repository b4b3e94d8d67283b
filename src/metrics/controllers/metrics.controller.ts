import { Controller, Get, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA } from '@nestjs/common/constants.js';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { MetricsService } from '../metrics.service.js';
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

  /** Writes the exposition to the response and returns its text. */
  @Get()
  override async index(@Res() response: Response): Promise<string> {
    if (!endpointAccess(this.metricsService, response)) return '';
    const { req } = response;
    const exposition = await this.metricsService.exposition(
      req.headers.accept,
      req.headers['accept-encoding'],
    );
    writeExposition(req, response, exposition);
    return exposition.text;
  }
}

// The base class declares `index(@Res({ passthrough: true }))`; reflect-metadata would let this override
// inherit that flag, and Nest would then send the return value a second time.
Reflect.defineMetadata(RESPONSE_PASSTHROUGH_METADATA, false, MetricsController, 'index');
