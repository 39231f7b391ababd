/**
 * The link back from a finding published elsewhere (an Elastic Security alert's `event.url`) to
 * the community in the analyst app: the app page's address followed by `#community=<id>`, the
 * same form the notifications use. `appUrl` is under Kibana `<server.publicBaseUrl>/app/problemChild`
 * (relative `/app/problemChild` when server.publicBaseUrl is not set), standalone the host's own
 * URL (`http://127.0.0.1:5601/`).
 */
import { APP_ID } from './constants';

export function communityUrl(appUrl: string, communityId: string): string {
  return `${appUrl}#community=${encodeURIComponent(communityId)}`;
}

/**
 * The app's address under Kibana, from core's IBasePath.publicBaseUrl (server.publicBaseUrl),
 * in a space other than the default one when given (Kibana's `/s/<space>` prefix).
 */
export function kibanaAppUrl(publicBaseUrl: string | undefined, spaceId?: string): string {
  const space = spaceId && spaceId !== 'default' ? `/s/${encodeURIComponent(spaceId)}` : '';
  return `${(publicBaseUrl ?? '').replace(/\/+$/, '')}${space}/app/${APP_ID}`;
}
