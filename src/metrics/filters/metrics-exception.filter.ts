import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { markException } from '../transports/http/request-state.js';

/**
 * Notes the class of each exception that ends an HTTP request, for `http_exceptions_total`, then
 * answers exactly as Nest's built-in handling would. It is registered as the first global filter, so
 * every filter of the app's own (method, controller or global) takes precedence and keeps working.
 * The count itself happens when the response ends, once per request, with the final status code.
 */
@Catch()
export class MetricsExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      // Only HTTP has a built-in answer to defer to; other transports handle their own errors.
      throw exception;
    }
    markException(host.switchToHttp().getResponse(), exception);
    super.catch(exception, host);
  }
}
