import { pbkdf2Sync } from 'node:crypto';
import { toHex } from 'viem';
import type { Address, Hex } from 'viem';
import { HDKey, hdKeyToAccount } from 'viem/accounts';

/** anvil's default mnemonic: its ten accounts are public knowledge, fine for a local devnet only. */
export const DEFAULT_MNEMONIC = 'test test test test test test test test test test test junk';
export const ACCOUNT_COUNT = 10;
/**
 * Accounts the devnet signs its own transactions with: 0 deploys the emitter and pings, 1 pings.
 * Tests must not send from them (their nonces would race the devnet's).
 */
export const RESERVED_ACCOUNT_INDEXES: readonly number[] = [0, 1];

export interface DevnetAccount {
  /** Index in the mnemonic's derivation path `m/44'/60'/0'/0/i`. */
  index: number;
  address: Address;
  privateKey: Hex;
  /** True when the devnet itself sends from this account; tests should use the others. */
  reserved: boolean;
}

const cache = new Map<string, DevnetAccount[]>();

/** The funded dev accounts anvil derives from `mnemonic` (derivation is slow-ish, so cached). */
export function deriveAccounts(mnemonic: string = DEFAULT_MNEMONIC): DevnetAccount[] {
  let accounts = cache.get(mnemonic);
  if (!accounts) {
    accounts = [];
    // BIP-39 seed via native PBKDF2: viem's mnemonicToAccount redoes a pure-JS PBKDF2 per account (~30 ms each).
    const seed = pbkdf2Sync(mnemonic.normalize('NFKD'), 'mnemonic', 2048, 64, 'sha512');
    const master = HDKey.fromMasterSeed(seed);
    for (let index = 0; index < ACCOUNT_COUNT; index++) {
      const hd = hdKeyToAccount(master, { addressIndex: index });
      const key = hd.getHdKey().privateKey;
      if (!key) throw new Error(`no private key derived for account ${index}`);
      accounts.push({ index, address: hd.address, privateKey: toHex(key), reserved: RESERVED_ACCOUNT_INDEXES.includes(index) });
    }
    cache.set(mnemonic, accounts);
  }
  return accounts.map((a) => ({ ...a }));
}
