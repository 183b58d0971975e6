import request from 'supertest';
import { signedHeaders } from '#gw/platform';
import { CALLBACK_APP_ID, CALLBACK_SECRET } from './test-gateway';

/** Posts a callback to the gateway signed as the platform would (or with `secret` to forge one). */
export function postCallback(gatewayUrl: string, body: unknown, opts: { secret?: string; now?: number; nonce?: string; headers?: Record<string, string> } = {}) {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = opts.headers ?? { ...signedHeaders({ appId: CALLBACK_APP_ID, secret: opts.secret ?? CALLBACK_SECRET, alg: 'hmac-sm3', body: raw, now: opts.now, nonce: opts.nonce }) };
  return { headers, response: request(gatewayUrl).post('/api/v1/platform/callbacks').set(headers).set('Content-Type', 'application/json').send(raw) };
}

/** An online application as the platform's data carries it (city-platform-api.md). */
export function onlineApplication(taskCode: string, overrides: Record<string, unknown> = {}) {
  return {
    task_code: taskCode,
    task_name: '企业设立登记',
    project_name: '平江县某某农业发展有限公司企业设立登记',
    project_type: 2,
    applyer_type: 2,
    applyer_name: '平江县某某农业发展有限公司',
    applyer_page_type: '001',
    applyer_page_code: '91330102MA28NBU477',
    legal: '赵六',
    contact_name: '钱七',
    contact_mobile: '13900000000',
    address: '平江县汉昌街道天岳大道88号',
    materials: [{ material_name: '公司章程', get_type: '1', get_num: 1, file_url: 'https://zwfw.example/files/1.pdf' }],
    ...overrides,
  };
}
