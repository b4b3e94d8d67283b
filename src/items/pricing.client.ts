import { BadGatewayException, Injectable } from '@nestjs/common';
import { TrackExternalCall } from '../metrics/index.js';
import { PricingUpstream } from './pricing.upstream.js';

export { UNPRICEABLE_ITEM_ID } from './pricing.upstream.js';

export interface ItemPrice {
  id: number;
  price: number;
  currency: 'EUR';
}

/**
 * Asks the pricing service over HTTP. The library counts the call twice over, as a user's app would
 * see it: `@TrackExternalCall` for the business operation, and the outbound HTTP metrics
 * (`http_client_requests_total{host=…}`) for the request itself, with no code for it here.
 */
@Injectable()
export class PricingClient {
  constructor(private readonly upstream: PricingUpstream) {}

  @TrackExternalCall('pricing', 'get_price')
  async getPrice(id: number): Promise<ItemPrice> {
    const response = await fetch(`${this.upstream.url}/prices/${id}`);
    if (!response.ok) throw new BadGatewayException('Pricing service unavailable');
    return (await response.json()) as ItemPrice;
  }
}
