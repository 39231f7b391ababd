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

/** The app's address under Kibana, from core's IBasePath.publicBaseUrl (server.publicBaseUrl). */
export function kibanaAppUrl(publicBaseUrl: string | undefined): string {
  return `${(publicBaseUrl ?? '').replace(/\/+$/, '')}/app/${APP_ID}`;
}
