/**
 * Fake of Kibana's UI shared dependencies: assigns `window.__kbnSharedDeps__` from this
 * repository's own React 18, EUI, Emotion and moment, under the names Kibana exports them.
 *
 * Mirrors elastic/kibana src/platform/packages/private/kbn-ui-shared-deps-src/src/entry.js
 * @ 089d9d141022c390fd83aee2c82270be12945d12 (`export const React = require('react')`, ...),
 * whose names the externals in definitions.js @ 0703cc83e8d8e6d265fc6262e964986c61798655 read.
 * Only the packages the plugin bundle can reach are provided (ElasticCharts for the charts panel,
 * `export const ElasticCharts = require('@elastic/charts')` in the same entry.js). Kibana loads this before any plugin bundle
 * (get_js_dependency_paths.ts @ 143eb438453f3e878a0f340b28cde977e56e88dc), so it must run first.
 */
import * as React from 'react';
import * as ReactDom from 'react-dom';
import * as EmotionReact from '@emotion/react';
import * as EmotionCache from '@emotion/cache';
import * as ElasticCharts from '@elastic/charts';
import * as ElasticEui from '@elastic/eui';
import * as ElasticEuiThemeBorealis from '@elastic/eui-theme-borealis';
import moment from 'moment';

declare global {
  interface Window {
    __kbnSharedDeps__?: Record<string, unknown>;
  }
}

window.__kbnSharedDeps__ = {
  React,
  ReactDom,
  EmotionReact,
  EmotionCache,
  ElasticCharts,
  ElasticEui,
  ElasticEuiThemeBorealis,
  Moment: moment,
};
