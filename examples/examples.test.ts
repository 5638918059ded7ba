import { describe, expect, it } from 'vitest';
import { auditDemo } from './audit-errors.js';
import { levelUpDemo } from './level-up.js';
import { levelUpZkEvmDemo } from './level-up-zkevm.js';
import { reveal } from './reveal.js';

const quiet = () => {};

describe('examples run against the reference server in-process', () => {
  it('reveal.ts: the revealed values are live after the refresh', async () => {
    const live = await reveal(quiet);
    expect(live.map((a) => a.metadata)).toEqual([
      { name: 'Hero #101', revealed: true, rarity: 'common' },
      { name: 'Hero #102', revealed: true, rarity: 'rare' },
      { name: 'Hero #103', revealed: true, rarity: 'legendary' },
    ]);
  });

  it('level-up.ts: 300 level-ups of 40 heroes cost one refresh request, every hero refreshed', async () => {
    const { events, stats } = await levelUpDemo(quiet);
    const sent = events.filter((e) => e.type === 'batchSent');
    expect(sent).toHaveLength(1);
    const succeeded = new Set(
      events.flatMap((e) => (e.type === 'tokenSucceeded' ? [e.tokenId] : [])),
    );
    expect(succeeded.size).toBe(40);
    expect(stats.budget.used).toBe(1);
  });

  it('level-up-zkevm.ts: 600 level-ups of 300 heroes, each pushed at its latest level, verified', async () => {
    const { events, stats, hero } = await levelUpZkEvmDemo(quiet);
    const pushed = events.flatMap((e) => (e.type === 'batchSent' ? e.tokenIds : []));
    // Level 2 of every hero was enqueued before the level-1 pushes could all leave: at most one
    // push of 250 went out at level 1, and every hero ends at level 2.
    expect(new Set(pushed).size).toBe(300);
    expect(events.some((e) => e.type === 'tokenFailed')).toBe(false);
    expect(hero.attributes?.[0]?.value).toBe(2);
    expect(stats.budget.used).toBe(events.filter((e) => e.type === 'batchSent').length);
    expect(stats.budget.limit).toBe(20);
  });

  it('audit-errors.ts: groups every failed token by error code', async () => {
    const byCode = await auditDemo(quiet);
    const count = (code: string) => byCode.get(code)?.length ?? 0;
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(count('invalid_response_status_code')).toBe(
      ids.filter((i) => i <= 990 && (i % 7 === 0 || i % 5 === 0)).length,
    );
    expect(count('token_not_found')).toBe(10);
  });
});
