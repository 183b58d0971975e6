export { createAdapter, RsjAdapter, RSJ_STATUS, RSJ_RESULTS, RSJ_FIELDS } from './rsj.adapter';
