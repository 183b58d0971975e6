import { DEFAULT_WAKE_QUEUE, parseWakeUrl, wakeServerOptions } from './wake-signal';

describe('parseWakeUrl', () => {
  it('reads tcp, none and the default', () => {
    expect(parseWakeUrl('tcp://10.0.0.5:4001', 1)).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 4001 });
    expect(parseWakeUrl('none', 1)).toEqual({ kind: 'none' });
    expect(parseWakeUrl(undefined, 3001)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3001 });
    expect(wakeServerOptions({ kind: 'none' })).toBeNull();
  });

  it('takes the RabbitMQ queue from ?queue= and keeps it out of the connection URL', () => {
    expect(parseWakeUrl('amqp://gw:pw@mq.local:5672', 0)).toEqual({ kind: 'rmq', url: 'amqp://gw:pw@mq.local:5672', queue: DEFAULT_WAKE_QUEUE });
    const t = parseWakeUrl('amqp://gw:pw@mq.local:5672/county?queue=gw_wake_pingjiang&heartbeat=10', 0);
    expect(t).toEqual({ kind: 'rmq', url: 'amqp://gw:pw@mq.local:5672/county?heartbeat=10', queue: 'gw_wake_pingjiang' });
    expect(wakeServerOptions(t)).toMatchObject({ options: { queue: 'gw_wake_pingjiang', urls: ['amqp://gw:pw@mq.local:5672/county?heartbeat=10'] } });
  });

  it('refuses other schemes', () => {
    expect(() => parseWakeUrl('http://x:1', 0)).toThrow(/WAKE_URL/);
  });
});
