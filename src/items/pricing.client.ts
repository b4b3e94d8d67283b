import { BadGatewayException, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackExternalCall } from '../metrics/index.js';

export interface ItemPrice {
  id: number;
  price: number;
  currency: 'EUR';
}

/** Its price lookup always fails, so the external-call error path can be demonstrated. */
export const UNPRICEABLE_ITEM_ID = 13;

/**
 * Pretends to be a remote pricing service: no network, just a short id-dependent latency and a
 * deterministic price, so external-call latency histograms have something to show.
 */
@Injectable()
export class PricingClient {
  @TrackExternalCall('pricing', 'get_price')
  async getPrice(id: number): Promise<ItemPrice> {
    await sleep(5 + (id % 20));
    if (id === UNPRICEABLE_ITEM_ID) {
      throw new BadGatewayException('Pricing service unavailable');
    }
    const priceInCents = 100 + ((id * 7919) % 9900);
    return { id, price: priceInCents / 100, currency: 'EUR' };
  }
}
