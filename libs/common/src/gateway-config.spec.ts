import { ConfigError } from './errors';
import { loadGatewayConfig } from './gateway-config';

/** Start-up configuration: defaults, and a bad value stops the gateway with the variable named. */
describe('loadGatewayConfig', () => {
  const base = { GATEWAY_MODE: 'embedded', DATA_DIR: '/tmp/gw-config-spec' };

  it('reads rows of a batch file under way, 6,000 unless set', () => {
    expect(loadGatewayConfig(base).batchRowsUnderWay).toBe(6000);
    expect(loadGatewayConfig({ ...base, BATCH_ROWS_UNDER_WAY: '8000' }).batchRowsUnderWay).toBe(8000);
  });

  it.each([
    ['BATCH_ROWS_UNDER_WAY', '1'],
    ['BATCH_ROWS_UNDER_WAY', '20001'],
    ['BATCH_ROWS_UNDER_WAY', '4k'],
    ['PORT', '70000'],
    ['GATEWAY_MODE', 'cluster'],
  ])('refuses %s=%s, naming the variable in Chinese and English', (name, value) => {
    let error: unknown;
    try {
      loadGatewayConfig({ ...base, [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('配置有误');
    expect(message).toContain('configuration is invalid');
    expect(message).toContain(`${name}=`);
    // One line per bad variable: a value that is not a number is not also checked against its range.
    expect(message.split('\n').filter((l) => l.includes(`${name}=`))).toHaveLength(1);
  });
});
