import { Controller, Get, HttpStatus, Res, VERSION_NEUTRAL } from '@nestjs/common';
import type { Response } from 'express';
import type { MetricsSummary } from '../interfaces/metrics-summary.interface.js';
import { MetricsService } from '../metrics.service.js';
import { endpointAccess } from './endpoint-access.js';

/** Serves the JSON summary for people on `customPath`; its path is set from the options at bootstrap. */
@Controller({ version: VERSION_NEUTRAL })
export class CustomMetricsController {
  constructor(private readonly metricsService: MetricsService) {}

  @Get()
  async summary(@Res() response: Response): Promise<MetricsSummary | undefined> {
    if (!endpointAccess(this.metricsService, response)) return undefined;
    const summary = await this.metricsService.summary();
    response.status(HttpStatus.OK).setHeader('Cache-Control', 'no-store');
    response.json(summary);
    return summary;
  }
}
