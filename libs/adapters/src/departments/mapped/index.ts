export { createAdapter, MappedAdapter, parseTime } from './mapped.adapter';
export {
  compileMapping,
  parseCanonicalPath,
  parsePayloadPath,
  DATE_FORMATS,
  REPLY_PLACEHOLDERS,
  DELIVERY_PLACEHOLDERS,
  DELIVERY_TYPES,
  type MappingOptions,
  type CompiledMapping,
  type DateFormat,
  type StageEntry,
  type CertTypeEntry,
  type ReplyTemplate,
  type DeliveryTemplate,
  type CompiledDelivery,
} from './mapping-schema';
export { renderMappedDelivery, parseMappedDeliveryReply, toDateFormat } from './mapped-delivery';
