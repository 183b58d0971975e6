export { createAdapter, ScjgAdapter, SCJG_STATUS } from './scjg.adapter';
