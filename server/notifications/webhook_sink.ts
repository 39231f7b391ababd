/**
 * The webhook FindingSink: turns a run's flagged communities into outbox deliveries, one per
 * NEW or ESCALATED community and configured URL. "New" and "escalated" are decided against what
 * the outbox itself last notified for the community id, not against FlaggedChange.previous: a run
 * that stored its communities and then failed before publishing has already moved `previous`, and
 * its retry must still notify. Delivery ids are derived from (community, severity, URL), so
 * re-publishing the same finding enqueues nothing new (the sink is idempotent), while a rise in
 * severity is a new delivery. The worker (webhook_delivery.ts) sends them.
 */
import { createHash } from 'node:crypto';
import { communityUrl } from '../../common/community_link';
import { SEVERITY_LEVELS, scoreToSeverity } from '../../common/severity';
import type { AnomalousCommunity } from '../../common/types/community';
import type { FindingSink, NewDelivery, NotificationOutbox } from '../ports';

export interface WebhookPayload {
  /** The delivery id (also in the x-problemchild-delivery header). */
  id: string;
  event: 'community.new' | 'community.escalated' | 'test';
  sentBy: 'problemchild';
  detectedAt: string;
  runId?: string;
  community: {
    id: string;
    score: number;
    severity: string;
    host: string;
    users: string[];
    chain: string;
    techniques: { id: string; name: string }[];
    firstSeen: string;
    lastSeen: string;
    link: string;
  };
  previous?: { score: number; severity: string };
}

export function deliveryId(communityId: string, severity: string, url: string): string {
  return createHash('sha256')
    .update(`${communityId}\n${severity}\n${url}`)
    .digest('hex')
    .slice(0, 32);
}

const rank = (severity: string): number => SEVERITY_LEVELS.indexOf(severity as never);

/** Where the app shows a community: the host's app URL with `#community=<id>`. */
export function communityLink(appUrl: string, id: string): string {
  return communityUrl(`${appUrl.replace(/\/+$/, '')}/`, id);
}

export function communitySummary(
  c: AnomalousCommunity,
  appUrl: string,
): WebhookPayload['community'] {
  return {
    id: c.id,
    score: c.score,
    severity: scoreToSeverity(c.score),
    host: c.host,
    users: [...c.users],
    chain: c.chain,
    techniques: c.techniques.map((t) => ({ id: t.id, name: t.name })),
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    link: communityLink(appUrl, c.id),
  };
}

export interface WebhookSinkOptions {
  outbox: NotificationOutbox;
  /** The app's base URL as receivers should open it (the host's URL once it listens). */
  appUrl: () => string;
  /** Called after deliveries were enqueued, so the worker sends them without waiting a poll. */
  onEnqueued?: () => void;
}

export function createWebhookSink(opts: WebhookSinkOptions): FindingSink {
  return {
    name: 'webhooks',
    async publish(changes, meta) {
      if (!changes.length) return;
      const { urls } = await opts.outbox.getConfig();
      if (!urls.length) return;
      const last = await opts.outbox.lastNotified(changes.map((c) => c.community.id));
      const out: NewDelivery[] = [];
      for (const { community } of changes) {
        const severity = scoreToSeverity(community.score);
        const before = last.get(community.id);
        if (before && rank(severity) <= rank(before.severity)) continue;
        const kind = before ? 'escalated' : 'new';
        for (const url of urls) {
          const id = deliveryId(community.id, severity, url);
          const payload: WebhookPayload = {
            id,
            event: `community.${kind}`,
            sentBy: 'problemchild',
            detectedAt: meta.detectedAt,
            runId: meta.runId,
            community: communitySummary(community, opts.appUrl()),
            ...(before ? { previous: before } : {}),
          };
          out.push({
            id,
            communityId: community.id,
            url,
            kind,
            score: community.score,
            severity,
            body: JSON.stringify(payload),
            createdAt: new Date().toISOString(),
          });
        }
      }
      if ((await opts.outbox.enqueue(out)) > 0) opts.onEnqueued?.();
    },
  };
}
