/**
 * The NotificationOutbox port's contract, run by every store inside describeStoreContract
 * (store_contract.ts). Semantics both stores must share:
 *  - config: urls default [], secret null; a patch changes only the keys it has, `secret: null`
 *    clears the secret;
 *  - enqueue inserts deliveries whose id is new (pending, 0 attempts, due at createdAt) and
 *    answers how many were new; an existing id is left untouched;
 *  - lastNotified: per community, the highest-scored non-test delivery's score and severity;
 *  - due: pending with nextAttemptAt <= now, oldest due first, at most `limit`;
 *  - recordAttempt overwrites status, attempts, next attempt and last error;
 *  - retry: only a failed delivery goes back to pending with 0 attempts, due `now`;
 *  - list: newest createdAt first, optionally one status.
 * Also the CommunityStore filter the Kibana rule type reads with: `detected_after`.
 */
import { describe, expect, it } from 'vitest';
import { listCommunitiesQuery } from '../../common/schemas';
import type { NewDelivery, Stores } from '../ports';
import { fixtureCommunity } from './testing/fixtures';

const delivery = (id: string, over: Partial<NewDelivery> = {}): NewDelivery => ({
  id,
  communityId: `c-${id}`,
  url: 'http://127.0.0.1:9/hook',
  kind: 'new',
  score: 0.8,
  severity: 'risk',
  body: JSON.stringify({ id, text: 'x → y "quoted"' }),
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

export function describeNotificationOutboxContract(get: () => Stores): void {
  describe('NotificationOutbox', () => {
    const outbox = () => {
      const o = get().notifications;
      if (!o) throw new Error('the store has no notification outbox');
      return o;
    };

    it('keeps the webhook config; the secret changes only when given', async () => {
      expect(await outbox().getConfig()).toEqual({ urls: [], secret: null });
      await outbox().setConfig({
        urls: ['http://a/1', 'https://b/2'],
        secret: 's3cret-s3cret-s3cret',
      });
      expect(await outbox().setConfig({ urls: ['http://a/1'] })).toEqual({
        urls: ['http://a/1'],
        secret: 's3cret-s3cret-s3cret',
      });
      expect(await outbox().setConfig({ secret: null })).toEqual({
        urls: ['http://a/1'],
        secret: null,
      });
    });

    it('enqueues idempotently by id; due, attempts, failure, retry and the log', async () => {
      const o = outbox();
      expect(
        await o.enqueue([
          delivery('d1'),
          delivery('d2', { createdAt: '2026-01-01T00:00:01.000Z' }),
          delivery('t1', { kind: 'test', communityId: 'c-d1', score: 0.99, severity: 'danger' }),
        ]),
      ).toBe(3);
      expect(
        await o.enqueue([
          delivery('d1', { body: 'changed' }),
          delivery('d3', { createdAt: '2026-01-01T00:00:02.000Z' }),
        ]),
      ).toBe(1);
      const [d1] = await o.due('2026-01-01T00:00:00.500Z', 10);
      expect(d1).toMatchObject({
        id: 'd1',
        status: 'pending',
        attempts: 0,
        body: delivery('d1').body,
      });
      expect((await o.due('2026-01-01T00:00:00.500Z', 10)).map((d) => d.id).sort()).toEqual([
        'd1',
        't1',
      ]);
      expect((await o.due('2026-01-02T00:00:00.000Z', 2)).map((d) => d.id)).toHaveLength(2);

      const last = await o.lastNotified(['c-d1', 'c-d2', 'c-none']);
      expect(last.get('c-d1')).toEqual({ score: 0.8, severity: 'risk' });
      expect(last.has('c-d2')).toBe(true);
      expect(last.has('c-none')).toBe(false);

      await o.recordAttempt('d1', {
        status: 'pending',
        attempts: 1,
        nextAttemptAt: '2026-01-01T01:00:00.000Z',
        lastAttemptAt: '2026-01-01T00:00:05.000Z',
        lastError: 'ECONNREFUSED',
      });
      expect((await o.due('2026-01-01T00:30:00.000Z', 10)).map((d) => d.id)).not.toContain('d1');
      await o.recordAttempt('d1', {
        status: 'failed',
        attempts: 2,
        nextAttemptAt: '2026-01-01T01:00:00.000Z',
        lastError: 'HTTP 500',
      });
      await o.recordAttempt('d2', {
        status: 'delivered',
        attempts: 1,
        nextAttemptAt: '2026-01-01T00:00:06.000Z',
        deliveredAt: '2026-01-01T00:00:06.000Z',
      });
      const [failed] = await o.list({ limit: 10, status: 'failed' });
      expect(failed).toMatchObject({
        id: 'd1',
        attempts: 2,
        lastError: 'HTTP 500',
        lastAttemptAt: '2026-01-01T00:00:05.000Z',
      });
      expect((await o.list({ limit: 10, status: 'delivered' }))[0]).toMatchObject({
        id: 'd2',
        deliveredAt: '2026-01-01T00:00:06.000Z',
      });
      expect(await o.retry('d2', '2026-01-03T00:00:00.000Z')).toBe(false);
      expect(await o.retry('nope', '2026-01-03T00:00:00.000Z')).toBe(false);
      expect(await o.retry('d1', '2026-01-03T00:00:00.000Z')).toBe(true);
      expect(
        (await o.due('2026-01-03T00:00:00.000Z', 10)).find((d) => d.id === 'd1'),
      ).toMatchObject({
        status: 'pending',
        attempts: 0,
      });
      expect((await o.list({ limit: 10 })).map((d) => d.id)).toEqual(['d3', 'd2', 'd1', 't1']);
      expect(await o.list({ limit: 1 })).toHaveLength(1);
    });

    it('communities list: detected_after selects by detectedAt', async () => {
      const { communities } = get();
      const a = fixtureCommunity({ tag: 'early' });
      const b = fixtureCommunity({ tag: 'late' });
      await communities.writeCommunities([a], {
        runId: 'r1',
        detectedAt: '2026-01-01T00:00:00.000Z',
        replaced: [],
      });
      await communities.writeCommunities([b], {
        runId: 'r2',
        detectedAt: '2026-01-02T00:00:00.000Z',
        replaced: [],
      });
      const page = await communities.list(
        listCommunitiesQuery.parse({ detected_after: '2026-01-02T00:00:00.000Z' }),
      );
      expect(page.items.map((c) => c.id)).toEqual([b.id]);
      const all = await communities.list(
        listCommunitiesQuery.parse({ detected_after: '2025-12-31T00:00:00.000Z' }),
      );
      expect(all.total).toBe(2);
    });
  });
}
