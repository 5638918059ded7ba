import { MemoryStore } from '../../src/index.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => new MemoryStore());
