import { useState, type ReactNode } from 'react';
import { api, asApiError, type ApiError, type ConnectState } from '../../api.ts';
import type { EditableStep } from './steps.ts';
import { connectSteps, stepNumberLabel, type ConnectStepId } from './steps.ts';

// What every step panel gets from the wizard frame.

export interface WizardActions {
  state: ConnectState;
  /** The server answered with the new state (after a step was accepted). */
  onState(state: ConnectState): void;
  /** Ask the server where the partner stands (after a step whose answer is not the state). */
  reload(): Promise<void>;
  /** The page was out of date (another tab, an expired link, ...): true when handled. */
  onConflict(error: ApiError): boolean;
  /** Reopen an earlier step to change what was accepted there. */
  edit(step: EditableStep): void;
  cancelEdit(): void;
}

/** The panel's heading: the target of focus after every step change. */
/**
 * Sends a step's form: the new state goes to the wizard; a stale page is handled by the wizard;
 * anything else (field errors, Microsoft's refusal) goes back to the form.
 */
export async function submitStep(
  actions: WizardActions,
  feedback: { clearApiError(): void; onFailure(error: unknown): void },
  send: () => Promise<ConnectState>,
): Promise<void> {
  feedback.clearApiError();
  try {
    actions.onState(await send());
  } catch (error) {
    const failure = asApiError(error);
    if (actions.onConflict(failure)) return;
    feedback.onFailure(failure);
  }
}

export function StepHeading({ step, children }: { step: ConnectStepId; children?: ReactNode }) {
  const title = connectSteps.find((candidate) => candidate.id === step)?.title ?? '';
  const number = stepNumberLabel(step);
  return (
    <>
      {number ? <p className="eyebrow">{number}</p> : null}
      <h2 id="step-heading" tabIndex={-1}>
        {children ?? title}
      </h2>
    </>
  );
}

/** Busy text announced politely; the element stays on the page so the change is announced. */
export function BusyStatus({ busy, children }: { busy: boolean; children: ReactNode }) {
  return (
    <p role="status" className={busy ? 'busy loading' : 'busy'}>
      {busy ? children : null}
    </p>
  );
}

/** "Sign in with Microsoft": the server prepares the sign-in, then the browser goes to Microsoft. */
export function useMicrosoftSignIn(actions: WizardActions) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  async function start() {
    setBusy(true);
    setError(undefined);
    try {
      const { authorizeUrl } = await api.startMicrosoftSignIn();
      // Stays busy: the browser is leaving for Microsoft's sign-in page.
      window.location.assign(authorizeUrl);
    } catch (failure) {
      setBusy(false);
      const apiError = asApiError(failure);
      if (!actions.onConflict(apiError)) setError(apiError);
    }
  }
  return { busy, error, start };
}
