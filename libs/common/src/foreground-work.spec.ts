import { ForegroundWork } from './foreground-work';

describe('ForegroundWork', () => {
  afterEach(() => jest.useRealTimers());

  it('asks background work to wait until the last piece of foreground work ends, then tells it once', () => {
    const work = new ForegroundWork();
    const idle = jest.fn();
    work.onIdle(idle);
    expect(work.shouldYield).toBe(false);
    const endFirst = work.begin();
    const endSecond = work.begin();
    expect(work.shouldYield).toBe(true);
    endFirst();
    endFirst(); // ending twice does not end the other one
    expect(work.shouldYield).toBe(true);
    expect(idle).not.toHaveBeenCalled();
    endSecond();
    expect(work.shouldYield).toBe(false);
    expect(idle).toHaveBeenCalledTimes(1);
  });

  it('stops asking after maxYieldMs of uninterrupted foreground work: delayed, never starved', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const work = new ForegroundWork(30_000);
    const end = work.begin();
    jest.setSystemTime(1_000_000 + 29_999);
    expect(work.shouldYield).toBe(true);
    // A second file starting meanwhile does not restart the clock.
    const endSecond = work.begin();
    jest.setSystemTime(1_000_000 + 30_000);
    expect(work.shouldYield).toBe(false);
    end();
    endSecond();
    // The next file, after a pause, is yielded to again.
    work.begin();
    expect(work.shouldYield).toBe(true);
  });

  it('an unsubscribed listener is not called', () => {
    const work = new ForegroundWork();
    const idle = jest.fn();
    const unsubscribe = work.onIdle(idle);
    unsubscribe();
    work.begin()();
    expect(idle).not.toHaveBeenCalled();
  });
});
