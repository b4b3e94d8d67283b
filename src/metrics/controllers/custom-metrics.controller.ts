import { Controller, Get, HttpStatus, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import type { MetricsSummary } from '../interfaces/metrics-summary.interface.js';
import { MetricsService } from '../metrics.service.js';
import { rawExchange } from '../transports/http/raw-exchange.js';
import { sendJson } from '../serving/metrics-request-handler.js';
import { endpointAccess } from './endpoint-access.js';

/** Serves the JSON summary for people on `customPath`; its path is set from the options at bootstrap. */
@Controller({ version: VERSION_NEUTRAL })
export class CustomMetricsController {
  constructor(private readonly metricsService: MetricsService) {}

  /** Writes the summary to the response (Express's or Fastify's) and returns it. */
  @Get()
  async summary(@Req() req: unknown, @Res() res: unknown): Promise<MetricsSummary | undefined> {
    const { request, response } = rawExchange(req, res);
    if (!endpointAccess(this.metricsService, request, response)) return undefined;
    const summary = await this.metricsService.summary();
    response.setHeader('Cache-Control', 'no-store');
    sendJson(response, HttpStatus.OK, summary);
    return summary;
  }
}
