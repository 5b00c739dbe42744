import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type LegalTextView } from '../../api.ts';
import { ApiErrorNotice, Notice } from '../../components/Notice.tsx';
import { LegalText } from './LegalText.tsx';
import { BusyStatus, StepHeading, type WizardActions } from './wizard.tsx';

// Step 3.1: the Terms of Use and the Privacy Policy, in full, accepted with one checkbox. The
// acceptance names each document's version and SHA-256, so the server records exactly what was
// read; when a document changed meanwhile, the current text is loaded and accepted anew.

type Texts = { kind: 'loading' } | { kind: 'ready'; documents: LegalTextView[] } | { kind: 'failed'; error: ApiError };

const CHECKBOX_ID = 'field-accepted';
const MUST_TICK = 'Tick the box to confirm that you accept the Terms of Use and the Privacy Policy.';

export function TermsStep({ actions }: { actions: WizardActions }) {
  const [texts, setTexts] = useState<Texts>({ kind: 'loading' });
  const [checked, setChecked] = useState(false);
  const [fieldError, setFieldError] = useState<string>();
  const [apiError, setApiError] = useState<ApiError>();
  const [changed, setChanged] = useState<string>();
  const [busy, setBusy] = useState(false);
  const alertRef = useRef<HTMLDivElement>(null);
  const focusAlert = useRef(false);

  const loadTexts = useCallback(async () => {
    setTexts({ kind: 'loading' });
    try {
      setTexts({ kind: 'ready', documents: (await api.legalTexts()).documents });
    } catch (error) {
      setTexts({ kind: 'failed', error: asApiError(error) });
    }
  }, []);

  useEffect(() => {
    void loadTexts();
  }, [loadTexts]);

  useEffect(() => {
    if (!focusAlert.current || !alertRef.current) return;
    focusAlert.current = false;
    alertRef.current.focus();
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (texts.kind !== 'ready' || busy) return;
    setApiError(undefined);
    if (!checked) {
      setFieldError(MUST_TICK);
      document.getElementById(CHECKBOX_ID)?.focus();
      return;
    }
    setFieldError(undefined);
    setBusy(true);
    try {
      await api.acceptTerms({ accepted: true, documents: texts.documents.map(({ document, version, sha256 }) => ({ document, version, sha256 })) });
      await actions.reload();
    } catch (error) {
      setBusy(false);
      const failure = asApiError(error);
      if (failure.code === 'TERMS_CHANGED') {
        // Someone published a new version while this page was open: show it, ask again.
        setChecked(false);
        setChanged(failure.message);
        focusAlert.current = true;
        await loadTexts();
        return;
      }
      if (actions.onConflict(failure)) return;
      setApiError(failure);
      focusAlert.current = true;
    }
  }

  return (
    <>
      <StepHeading step="terms">Terms of Use and Privacy Policy</StepHeading>
      <p>
        Before you connect Microsoft, read the Terms of Use and the Privacy Policy of the TotalOne platform. We record which version you accepted, when,
        and from which browser.
      </p>

      <div ref={alertRef} tabIndex={-1} className="focus-target">
        {changed ? (
          <Notice tone="warning" title="The documents were updated while you were reading">
            <p>{changed}</p>
            <p>The current versions are shown below. Please read them and accept again.</p>
          </Notice>
        ) : null}
        {apiError ? <ApiErrorNotice error={apiError} /> : null}
      </div>

      {texts.kind === 'loading' ? (
        <p role="status" className="loading">
          Loading the documents…
        </p>
      ) : texts.kind === 'failed' ? (
        <>
          <ApiErrorNotice error={texts.error} title="The documents could not be loaded" />
          <button type="button" className="button button--secondary" onClick={() => void loadTexts()}>
            Load them again
          </button>
        </>
      ) : (
        <>
          <div className="legal-docs">
            {texts.documents.map((doc) => (
              <article key={doc.document} className="legal-doc" aria-label={doc.title}>
                <p className="legal-doc__meta">
                  <span className="badge">Version {doc.version}</span>{' '}
                  <span className="muted">
                    Fingerprint (SHA-256) <code>{doc.sha256.slice(0, 12)}…</code>
                  </span>
                </p>
                <LegalText markdown={doc.content} headingLevel={3} />
              </article>
            ))}
          </div>

          <form className="form" noValidate onSubmit={(event) => void submit(event)} aria-label="Accept the terms">
            <div className={`field checkbox-field${fieldError ? ' field--invalid' : ''}`}>
              {fieldError ? (
                <p className="field__error" id={`${CHECKBOX_ID}-error`}>
                  <span className="visually-hidden">Error: </span>
                  {fieldError}
                </p>
              ) : null}
              <div className="checkbox">
                <input
                  type="checkbox"
                  id={CHECKBOX_ID}
                  name="accepted"
                  checked={checked}
                  aria-invalid={fieldError ? true : undefined}
                  aria-describedby={fieldError ? `${CHECKBOX_ID}-error` : undefined}
                  onChange={(event) => {
                    setChecked(event.target.checked);
                    if (event.target.checked) setFieldError(undefined);
                  }}
                />
                <label htmlFor={CHECKBOX_ID}>I accept the Terms of Use and the Privacy Policy</label>
              </div>
            </div>
            <div className="form-actions">
              <button type="submit" className="button button--primary button--large" disabled={busy}>
                Accept
              </button>
              <BusyStatus busy={busy}>Recording your acceptance…</BusyStatus>
            </div>
          </form>
        </>
      )}
    </>
  );
}
