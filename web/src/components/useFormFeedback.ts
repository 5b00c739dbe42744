import { useEffect, useRef, useState } from 'react';
import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { asApiError, type ApiError } from '../api.ts';
import type { FieldLabel } from './form.tsx';

/**
 * What a form shows after a failed submit: field errors (from the browser's own check or from the
 * server's 400 `fields`) go next to their fields and into a focused summary; anything else goes
 * into an alert at the top of the form.
 */
export function useFormFeedback<T extends FieldValues>(fields: readonly FieldLabel[], setError: UseFormSetError<T>) {
  const summaryRef = useRef<HTMLDivElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const [apiError, setApiError] = useState<ApiError>();
  const pendingFocus = useRef<'summary' | 'alert'>(undefined);
  const [, setFocusRequests] = useState(0);

  // The summary appears only after react-hook-form has counted the submit, which can be a render
  // later than onInvalid: keep the request until its target is on the page.
  useEffect(() => {
    if (!pendingFocus.current) return;
    const target = pendingFocus.current === 'summary' ? summaryRef.current : alertRef.current;
    if (!target) return;
    pendingFocus.current = undefined;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'start' });
  });

  const focus = (target: 'summary' | 'alert') => {
    pendingFocus.current = target;
    setFocusRequests((n) => n + 1);
  };

  return {
    summaryRef,
    alertRef,
    apiError,
    clearApiError: () => setApiError(undefined),
    /** Pass as the second argument of handleSubmit. */
    onInvalid: () => focus('summary'),
    onFailure(error: unknown) {
      const failure = asApiError(error);
      const known = new Set(fields.map((field) => field.path));
      const matched = failure.fields.filter((problem) => known.has(problem.path));
      for (const problem of matched) setError(problem.path as Path<T>, { type: 'server', message: problem.message });
      if (matched.length > 0 && matched.length === failure.fields.length) {
        setApiError(undefined);
        focus('summary');
        return;
      }
      setApiError(failure);
      focus('alert');
    },
  };
}
