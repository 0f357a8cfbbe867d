import type { PeriodType } from './time-format.js';

/** The shapes of the simulated marketplace's orders (spec §6), as the order API returns them. */
export type OrderType = 'NEW' | 'TRIAL' | 'TRIAL_TO_FORMAL' | 'UNSUBSCRIBE' | 'RENEW' | 'CHANGE';
export type ChargingMode = 'PERIOD' | 'ONE_TIME' | 'ON_DEMAND' | 'ON_DEMAND_PKG';

export interface BuyerInfo {
  customerId: string;
  customerName: string;
  userId: string;
  userName: string;
  mobilePhone?: string;
  email?: string;
}

export interface ExtendParam {
  name: string;
  value: string;
}

export interface ProductInfo {
  skuCode: string;
  productId: string;
  linearValue?: number;
}

export interface OrderLine {
  orderLineId: string;
  chargingMode: ChargingMode;
  periodType?: PeriodType;
  periodNumber?: number;
  expireTime?: Date;
  productInfo: ProductInfo[];
  orderAmount: number;
  currency: string;
}

export interface Order {
  orderId: string;
  orderType: OrderType;
  createTime: Date;
  buyerInfo: BuyerInfo;
  extendParams: ExtendParam[];
  orderLine: OrderLine[];
  /** The instance a renewal, change or unsubscription applies to. */
  instanceId?: string;
  /** A debug order of spec §6 (MOCK...). */
  mock?: boolean;
  /** Cancelled by the marketplace after the seller failed every retry (spec §7). */
  cancelled?: boolean;
}
