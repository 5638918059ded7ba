/** What every route needs, resolved once from the options. */
import type { ServiceClock } from '../types.js';
import type { AuthResult } from './auth.js';
import type { RefreshBudget } from './budget.js';
import type { RefreshState } from './state.js';
import type { Worker } from './worker.js';

/** The routes' shared context. */
export interface RouteContext {
  state: RefreshState;
  budget: RefreshBudget;
  worker: Worker;
  clock: ServiceClock;
  generateId: () => string;
  /** Most distinct tokens in one refresh request. */
  tokensPerRefresh: number;
  /** The project-owner check of the request's headers, at the clock's time. */
  authenticate(header: (name: string) => string | undefined): AuthResult;
}
