export { createAdapter, BdcAdapter, BDC_STAGES, BDC_CERT_TYPES, BDC_MEDIA_TYPES, encodeGbk } from './bdc.adapter';
export { formatBdcDelivery, parseBdcDeliveryReply, buildBdcDeliveryXml, BDC_DELIVERY_STAGES } from './bdc-delivery';
