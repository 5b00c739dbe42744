import type { Db } from '../../db/database.ts';
import type { AppKeyring } from '../vault/vault.appkeys.ts';
import type { SealedStore } from '../vault/vault.service.ts';
import type { OperatorsRepo } from './operators.repo.ts';

// Operators' authenticator secrets are sealed under the app keyring (`operator-totp`) for as long
// as the account lives. This store lets the vault move them onto the active key version when it
// rotates (and at start-up, off the format from before the keyring), and keeps a version that still
// seals one from being retired: an operator never loses an enrolled authenticator to a key rotation.

export const totpContext = (operatorId: string) => `operator-totp:${operatorId}`;

export function createTotpSecretStore(deps: { db: Db; repo: Pick<OperatorsRepo, 'sealedTotpSecrets' | 'resealTotpSecret'>; keyring: Pick<AppKeyring, 'sealer' | 'activeVersion' | 'versionOf'> }): SealedStore {
  const sealer = deps.keyring.sealer('operator-totp');
  return {
    label: 'operator authenticator secrets',
    async resealToActive() {
      const active = deps.keyring.activeVersion();
      let resealed = 0;
      for (const row of await deps.repo.sealedTotpSecrets(deps.db)) {
        if (deps.keyring.versionOf(row.totp_secret) === active) continue;
        let again: string;
        try {
          again = sealer.seal(sealer.open(row.totp_secret, totpContext(row.id)), totpContext(row.id));
        } catch {
          continue; // not openable here (counted below under its version); the operator can enrol again
        }
        // An operator enrolling again meanwhile wrote a new secret (under the active version): leave it.
        if (await deps.repo.resealTotpSecret(deps.db, row.id, row.totp_secret, again)) resealed++;
      }
      const byVersion: Record<number, number> = {};
      for (const row of await deps.repo.sealedTotpSecrets(deps.db)) {
        const version = deps.keyring.versionOf(row.totp_secret) ?? -1;
        byVersion[version] = (byVersion[version] ?? 0) + 1;
      }
      return { resealed, byVersion };
    },
  };
}
