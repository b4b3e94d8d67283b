import { Controller, Get, HttpStatus, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { DASHBOARD_PAGE } from '../dashboard/dashboard-page.js';
import { MetricsService } from '../metrics.service.js';
import { rawExchange } from '../transports/http/raw-exchange.js';
import { endpointAccess } from './endpoint-access.js';

/**
 * Serves the dashboard page on `customPath` + `/dashboard` when the `dashboard` option is on; its path
 * is set from the options at bootstrap.
 */
@Controller({ version: VERSION_NEUTRAL })
export class DashboardController {
  constructor(private readonly metricsService: MetricsService) {}

  /** Writes the page to the response (Express's or Fastify's). */
  @Get()
  page(@Req() req: unknown, @Res() res: unknown): void {
    const { request, response } = rawExchange(req, res);
    const served = this.metricsService.options.dashboardPath !== undefined;
    if (!endpointAccess(this.metricsService, request, response, served)) return;
    response.statusCode = HttpStatus.OK;
    for (const [name, value] of Object.entries(DASHBOARD_PAGE.headers))
      response.setHeader(name, value);
    response.end(DASHBOARD_PAGE.body);
  }
}
