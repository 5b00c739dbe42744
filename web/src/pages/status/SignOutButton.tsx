import { useState } from 'react';
import { asApiError, type ApiError } from '../../api.ts';
import { ApiErrorNotice } from '../../components/Notice.tsx';
import { statusApi } from './status-api.ts';

/** Sign out of the status page and tenant view in this browser (the emailed status link stays valid). */
export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  async function signOut() {
    setBusy(true);
    try {
      await statusApi.signOut();
      // A full load: nothing of the signed-in pages stays in memory.
      location.replace('/status?signed-out');
    } catch (e) {
      setError(asApiError(e));
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" className="button button--secondary" onClick={signOut} disabled={busy}>
        {busy ? 'Signing out…' : 'Sign out'}
      </button>
      {error ? <ApiErrorNotice error={error} /> : null}
    </>
  );
}
