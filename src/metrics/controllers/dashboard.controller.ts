import { Controller, Get, HttpStatus, Res, VERSION_NEUTRAL } from '@nestjs/common';
import type { Response } from 'express';
import { DASHBOARD_PAGE } from '../dashboard/dashboard-page.js';
import { MetricsService } from '../metrics.service.js';
import { endpointAccess } from './endpoint-access.js';

/**
 * Serves the dashboard page on `customPath` + `/dashboard` when the `dashboard` option is on; its path
 * is set from the options at bootstrap.
 */
@Controller({ version: VERSION_NEUTRAL })
export class DashboardController {
  constructor(private readonly metricsService: MetricsService) {}

  @Get()
  page(@Res() response: Response): void {
    const served = this.metricsService.options.dashboardPath !== undefined;
    if (!endpointAccess(this.metricsService, response, served)) return;
    response.status(HttpStatus.OK).set(DASHBOARD_PAGE.headers).send(DASHBOARD_PAGE.body);
  }
}
