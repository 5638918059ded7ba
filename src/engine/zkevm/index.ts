/** What adapters (node:http server, msw) import from the zkEVM reference engine: listed, not `*`. */
export {
  createZkEvmService,
  DEFAULT_REFRESHES_PER_HOUR,
  DEFAULT_SYNC_DELAY_MS,
  DEFAULT_WINDOW_MS,
} from './service.js';
export type {
  ApiKeyRule,
  MintedNft,
  ZkEvmBudgetSnapshot,
  ZkEvmCollectionConfig,
  ZkEvmControls,
  ZkEvmLimits,
  ZkEvmService,
  ZkEvmServiceOptions,
} from './types.js';
