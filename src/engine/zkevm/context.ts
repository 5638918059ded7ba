/** What every route needs, resolved once from the options. */
import type { Clock } from '../../clock.js';
import type { RollingBudget } from './budget.js';
import type { CollectionRules } from './limits.js';
import type { ChainWire } from './nft-wire.js';
import type { RouteResult } from './responses.js';
import type { ZkEvmState } from './state.js';

/** The routes' shared context. */
export interface RouteContext {
  state: ZkEvmState;
  budget: RollingBudget;
  clock: Clock;
  chain: ChainWire;
  syncDelayMs: number;
  /** Whether a collection refresh spends the budget, and its size limit. */
  collectionRules: CollectionRules;
  duplicates: 'reject' | 'last-wins';
  /** Undefined when the key is accepted, else the 401/403. */
  checkKey(header: (name: string) => string | undefined): RouteResult | undefined;
}
