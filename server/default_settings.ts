import {
  DEFAULT_EVENT_INDICES,
  DEFAULT_INTERVAL,
  DEFAULT_LOOKBACK,
  DEFAULT_PREVALENCE_LOOKBACK,
  DEFAULT_SCORE_SOURCE,
  DEFAULT_THRESHOLD,
} from '../common/constants';
import type { Settings } from './ports';

/** Built-in settings of both stores; stored values (and kibana.yml in Kibana) override them. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  threshold: DEFAULT_THRESHOLD,
  interval: DEFAULT_INTERVAL,
  lookback: DEFAULT_LOOKBACK,
  prevalence_lookback: DEFAULT_PREVALENCE_LOOKBACK,
  indices: DEFAULT_EVENT_INDICES,
  score_source: DEFAULT_SCORE_SOURCE,
});
