export {
  createAdapter,
  YbjAdapter,
  YBJ_HEADER,
  YBJ_STAGES,
  YBJ_RESULTS,
  YBJ_BATCH_MEDIA_TYPES,
  isGbkBatch,
  mapYbjRow,
} from './ybj.adapter';
