/**
 * The community → Discover drill-down on the app side: what the link will select (and the note
 * the app shows when that is more than the community's events), and the one request per app
 * that makes the server create the saved search before the first navigation.
 */
import { useMemo } from 'react';
import {
  buildDiscoverDrillDown,
  discoverTargetOf,
  type DiscoverableCommunity,
  type DiscoverDrillDown,
  type DiscoverSavedSearchIds,
} from '../../../common/discover';
import type { ApiClient } from '../api_client';

const ensured = new WeakMap<ApiClient, Promise<DiscoverSavedSearchIds>>();

/**
 * The saved objects exist once this resolved, so later links reuse the answer; a failure is
 * forgotten, so the next click asks again (for example after an administrator granted rights).
 */
export function ensureDiscoverIds(api: ApiClient): Promise<DiscoverSavedSearchIds> {
  let pending = ensured.get(api);
  if (!pending) {
    pending = api.ensureDiscoverSavedSearch();
    ensured.set(api, pending);
    pending.catch(() => ensured.delete(api));
  }
  return pending;
}

/** The drill-down plan with the default ids; undefined when the community has no usable span. */
export function useDiscoverDrillDown(
  community: DiscoverableCommunity | undefined,
): DiscoverDrillDown | undefined {
  return useMemo(() => {
    if (!community) return undefined;
    try {
      return buildDiscoverDrillDown(discoverTargetOf(community));
    } catch {
      return undefined;
    }
  }, [community]);
}
