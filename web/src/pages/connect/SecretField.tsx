import { useState, type ReactNode } from 'react';
import type { UseFormRegisterReturn } from 'react-hook-form';
import { fieldId, TextField } from '../../components/form.tsx';

/**
 * A secret value: hidden while typed, with a button to show it (to compare it with what Microsoft
 * showed), never offered for autocomplete or spell checking.
 */
export function SecretField({ label, hint, error, registration }: { label: string; hint: ReactNode; error?: string; registration: UseFormRegisterReturn }) {
  const [visible, setVisible] = useState(false);
  const id = fieldId(registration.name);
  return (
    <TextField
      label={label}
      hint={hint}
      error={error}
      registration={registration}
      type={visible ? 'text' : 'password'}
      autoComplete="off"
      spellCheck={false}
      autoCapitalize="none"
      autoCorrect="off"
      className="input input--secret"
      addon={
        <button type="button" className="button button--secondary input-group__button" aria-controls={id} onClick={() => setVisible((v) => !v)}>
          {visible ? 'Hide' : 'Show'}
          <span className="visually-hidden"> {label.toLowerCase()}</span>
        </button>
      }
    />
  );
}
