import { type InputHTMLAttributes, type Ref, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import type { FieldErrors, FieldValues, UseFormRegisterReturn } from 'react-hook-form';

// Labelled form controls: the hint and the error are tied to the control with aria-describedby,
// and aria-invalid marks a control whose value needs attention.

export const fieldId = (name: string) => `field-${name.replaceAll('.', '-')}`;

interface FieldFrame {
  /** Defaults to one derived from the field name; pass one when a page has two forms with the same field. */
  id?: string;
  label: string;
  hint?: ReactNode;
  error?: string;
  optional?: boolean;
  registration: UseFormRegisterReturn;
}

/**
 * Validating on blur moves the layout (an error message appears or goes) while the mouse button is
 * still down; when the blur comes from pressing a button of the same form, that button would jump
 * away and the click be lost. The button's own action validates anyway, so skip that blur.
 */
function guardBlur(registration: UseFormRegisterReturn): UseFormRegisterReturn {
  return {
    ...registration,
    onBlur: async (event) => {
      const next = (event as { relatedTarget?: EventTarget | null }).relatedTarget;
      const target = event.target as { form?: HTMLFormElement | null } | null;
      if (next instanceof HTMLButtonElement && target?.form && next.form === target.form) return;
      return registration.onBlur(event);
    },
  };
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Frame({ id, label, hint, error, optional, children }: Omit<FieldFrame, 'registration'> & { id: string; children: ReactNode }) {
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
        {optional ? <span className="field__optional"> (optional)</span> : null}
      </label>
      {hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          <span className="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
      {children}
    </div>
  );
}

export function TextField({
  id: givenId,
  label,
  hint,
  error,
  optional,
  registration,
  addon,
  ...input
}: FieldFrame & { /** A control beside the input, e.g. a "Show" button for a secret. */ addon?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, keyof UseFormRegisterReturn>) {
  const id = givenId ?? fieldId(registration.name);
  const control = (
    <input
      id={id}
      className="input"
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy(id, hint, error)}
      required={!optional}
      {...input}
      {...guardBlur(registration)}
    />
  );
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      {addon ? (
        <div className="input-group">
          {control}
          {addon}
        </div>
      ) : (
        control
      )}
    </Frame>
  );
}

export function TextArea({ id: givenId, label, hint, error, optional, registration, ...textarea }: FieldFrame & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, keyof UseFormRegisterReturn>) {
  const id = givenId ?? fieldId(registration.name);
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      <textarea
        id={id}
        className="input input--textarea"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        required={!optional}
        {...textarea}
        {...guardBlur(registration)}
      />
    </Frame>
  );
}

export function SelectField({
  id: givenId,
  label,
  hint,
  error,
  optional,
  registration,
  children,
  ...select
}: FieldFrame & { children: ReactNode } & Omit<SelectHTMLAttributes<HTMLSelectElement>, keyof UseFormRegisterReturn>) {
  const id = givenId ?? fieldId(registration.name);
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      <select
        id={id}
        className="input input--select"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        required={!optional}
        {...select}
        {...guardBlur(registration)}
      >
        {children}
      </select>
    </Frame>
  );
}

/** The error message of a dotted field path, e.g. `company.legalName`. */
export function errorAt(errors: FieldErrors<FieldValues>, path: string): string | undefined {
  let node: unknown = errors;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  const message = node && typeof node === 'object' ? (node as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}

/**
 * The list of problems shown above a form after a failed submit. It receives focus, so a screen
 * reader reads it first; each entry links to its field.
 */
export function ErrorSummary({ problems, ref }: { problems: ReadonlyArray<{ path: string; label?: string; message: string }>; ref?: Ref<HTMLDivElement> }) {
  if (problems.length === 0) return null;
  return (
    <div className="error-summary" ref={ref} tabIndex={-1} aria-labelledby="error-summary-title">
      <h2 className="error-summary__title" id="error-summary-title">
        {problems.length === 1 ? 'One thing needs your attention' : `${problems.length} things need your attention`}
      </h2>
      <ul className="error-summary__list">
        {problems.map((problem) => (
          <li key={problem.path}>
            <a
              href={`#${fieldId(problem.path)}`}
              onClick={(event) => {
                event.preventDefault();
                const field = document.getElementById(fieldId(problem.path));
                field?.focus();
                field?.scrollIntoView({ block: 'center' });
              }}
            >
              {problem.label ? `${problem.label}: ` : ''}
              {problem.message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface FieldLabel {
  path: string;
  /** Shown before the message in the error summary when the message alone is ambiguous (which contact). */
  label?: string;
}

/** Problems for the summary, in the order the fields appear on the page. */
export function collectProblems(errors: FieldErrors<FieldValues>, fields: readonly FieldLabel[]) {
  return fields.flatMap(({ path, label }) => {
    const message = errorAt(errors, path);
    return message ? [{ path, label, message }] : [];
  });
}
