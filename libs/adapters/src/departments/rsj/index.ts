export { createAdapter, RsjAdapter, RSJ_STATUS, RSJ_RESULTS, RSJ_FIELDS } from './rsj.adapter';
export { formatRsjDelivery, parseRsjDeliveryReply, rsjDeliveryFields, RSJ_DELIVERY_STATUS } from './rsj-delivery';
