export { createAdapter, BdcAdapter, BDC_STAGES, BDC_CERT_TYPES, BDC_MEDIA_TYPES, encodeGbk } from './bdc.adapter';
