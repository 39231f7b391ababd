import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_INDICES } from '../common/constants';
import { configSchema } from './config';

describe('plugin config', () => {
  it('fills every default for an empty kibana.yml section', () => {
    expect(configSchema.validate({})).toEqual({
      enabled: true,
      interval: '15m',
      lookback: '45m',
      graphWindow: '4h',
      prevalenceLookback: '30d',
      indices: DEFAULT_EVENT_INDICES,
      threshold: 0.75,
      partitions: 1,
      taskTimeout: '10m',
      scoreSource: 'model',
    });
  });

  it('rejects bad values naming the key', () => {
    expect(() => configSchema.validate({ partitions: 0 })).toThrow(/\[partitions\]/);
    expect(() => configSchema.validate({ interval: 'soon' })).toThrow(/\[interval\]: "soon"/);
    expect(() => configSchema.validate({ threshold: 2 })).toThrow(/\[threshold\]/);
    expect(() => configSchema.validate({ scoreSource: 'magic' })).toThrow(/\[scoreSource\]/);
    expect(() => configSchema.validate({ surprise: true })).toThrow(/\[surprise\]/);
  });

  it('accepts kibana.yml strings for numbers', () => {
    expect(configSchema.validate({ partitions: '4', threshold: '0.8' })).toMatchObject({
      partitions: 4,
      threshold: 0.8,
    });
  });
});
