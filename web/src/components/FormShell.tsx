import type { FocusEventHandler, FormEventHandler, ReactNode } from 'react';
import type { FieldErrors, FieldValues } from 'react-hook-form';
import type { ApiError } from '../api.ts';
import { collectProblems, ErrorSummary, type FieldLabel } from './form.tsx';
import { ApiErrorNotice } from './Notice.tsx';
import type { useFormFeedback } from './useFormFeedback.ts';

/**
 * The frame of every form: after a failed submit, the summary of field problems (focused, each
 * linking to its field) or the alert for a failure that is not about one field (focused), then the
 * fields and buttons. Pages pass their own notice when the default partner one does not fit (the
 * console's points operators to the server log, not to the partner support form).
 */
export function FormShell({
  feedback,
  fields,
  errors,
  submitCount,
  onSubmit,
  onFocus,
  renderFailure = (error) => <ApiErrorNotice error={error} />,
  className = 'form',
  label,
  labelledBy,
  heading,
  children,
}: {
  feedback: Pick<ReturnType<typeof useFormFeedback>, 'summaryRef' | 'alertRef' | 'apiError'>;
  fields: readonly FieldLabel[];
  errors: FieldErrors<FieldValues>;
  /** Field problems are summarised only once the form was submitted. */
  submitCount: number;
  /** `handleSubmit(submit, feedback.onInvalid)` */
  onSubmit: FormEventHandler<HTMLFormElement>;
  onFocus?: FocusEventHandler<HTMLFormElement>;
  renderFailure?: (error: ApiError) => ReactNode;
  className?: string;
  /** The form's accessible name: a label, or the id of the heading that names it. */
  label?: string;
  labelledBy?: string;
  /** Shown above the problems (a heading inside the form's card). */
  heading?: ReactNode;
  children: ReactNode;
}) {
  const problems = submitCount > 0 ? collectProblems(errors, fields) : [];
  return (
    <form className={className} noValidate onFocus={onFocus} onSubmit={onSubmit} aria-label={label} aria-labelledby={labelledBy}>
      {heading}
      {problems.length > 0 ? <ErrorSummary ref={feedback.summaryRef} problems={problems} /> : null}
      {feedback.apiError ? (
        <div ref={feedback.alertRef} tabIndex={-1} className="focus-target">
          {renderFailure(feedback.apiError)}
        </div>
      ) : null}
      {children}
    </form>
  );
}
