export { createAdapter, MappedAdapter, parseTime } from './mapped.adapter';
export {
  compileMapping,
  parseCanonicalPath,
  parsePayloadPath,
  DATE_FORMATS,
  REPLY_PLACEHOLDERS,
  type MappingOptions,
  type CompiledMapping,
  type DateFormat,
  type StageEntry,
  type CertTypeEntry,
  type ReplyTemplate,
} from './mapping-schema';
