import { describe, expect, it } from 'vitest';
import { formatTimeLeft, RateMeter } from './rate';

describe('transfer rate and time left', () => {
  it('knows no rate from one sample, then estimates the time left from the smoothed rate', () => {
    const meter = new RateMeter(1000, 250);
    meter.update(0, 0);
    expect(meter.bytesPerSecond()).toBeNull();
    expect(meter.secondsLeft(1000)).toBeNull();
    meter.update(100, 1000);
    expect(meter.bytesPerSecond()).toBeCloseTo(100);
    expect(meter.secondsLeft(1000)).toBeCloseTo(9);
  });

  it('follows a change of speed gradually: after one half-life, half way to the new rate', () => {
    const meter = new RateMeter(1000, 250);
    meter.update(0, 0);
    meter.update(100, 1000);
    meter.update(400, 2000);
    expect(meter.bytesPerSecond()).toBeCloseTo(200);
  });

  it('merges samples that come in a burst, and starts over when the byte count goes back', () => {
    const meter = new RateMeter(1000, 250);
    meter.update(0, 0);
    meter.update(50, 10);
    expect(meter.bytesPerSecond()).toBeNull();
    meter.update(100, 500);
    expect(meter.bytesPerSecond()).toBeCloseTo(200);
    meter.update(10, 600);
    expect(meter.bytesPerSecond()).toBeNull();
  });

  it('formats seconds, minutes and hours', () => {
    expect(formatTimeLeft(7.2)).toBe('8 s');
    expect(formatTimeLeft(125)).toBe('2 min 05 s');
    expect(formatTimeLeft(4320)).toBe('1 h 12 min');
  });
});
