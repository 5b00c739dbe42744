import { zodResolver } from '@hookform/resolvers/zod';
import { useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import { createOperatorSchema } from '../../../contracts/operators.ts';
import { asApiError, type ApiError } from '../api.ts';
import { SelectField, TextField } from '../components/form.tsx';
import { Notice } from '../components/Notice.tsx';
import { consoleApi, type OperatorRole, type OperatorView } from './consoleApi.ts';
import { useConsoleSession, useConsoleTitle } from './session.ts';
import { ApiErrorNotice, LoadedView, ReasonDialog, StatusText, When, useLoad } from './ui.tsx';
import { DataTable } from './DataTable.tsx';

// /console/operators (admins): who can use the console, invite a new operator, change a role,
// send a fresh invitation, disable. Role changes and disabling are confirmed with a reason.

type Pending = { kind: 'role'; operator: OperatorView; role: OperatorRole } | { kind: 'disable'; operator: OperatorView };

export function OperatorsPage() {
  useConsoleTitle('Operators');
  const { session, setSession } = useConsoleSession();
  const loaded = useLoad(() => consoleApi.operators(), 'operators');
  const [pending, setPending] = useState<Pending>();
  const [outcome, setOutcome] = useState<string>();
  const [rowError, setRowError] = useState<ApiError>();
  const outcomeRef = useRef<HTMLDivElement>(null);

  function show(message: string) {
    setRowError(undefined);
    setOutcome(message);
    loaded.reload();
    window.setTimeout(() => outcomeRef.current?.focus(), 50);
  }

  async function reinvite(operator: OperatorView) {
    try {
      show((await consoleApi.reinviteOperator(operator.id)).message);
    } catch (error) {
      setOutcome(undefined);
      setRowError(asApiError(error));
    }
  }

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Operators</h1>
          <p className="muted">People who can use this console. Support operators work with signups and the inbox; administrators also manage operators.</p>
        </div>
      </div>
      {outcome ? (
        <div ref={outcomeRef} tabIndex={-1} className="focus-target">
          <Notice tone="success" title="Done">
            <p>{outcome}</p>
          </Notice>
        </div>
      ) : null}
      {rowError ? <ApiErrorNotice error={rowError} /> : null}
      <LoadedView loaded={loaded} what="the operators">
        {(list) => (
          <DataTable
            label="Operators"
            caption="Operators"
            rows={list.items}
            rowKey={(o) => o.id}
            columns={[
              {
                header: 'Email',
                rowHeader: true,
                cell: (o) => (
                  <>
                    {o.email}
                    {o.id === session.operator.id ? <span className="cell-sub">you</span> : null}
                  </>
                ),
              },
              { header: 'Role', cell: (o) => (o.role === 'admin' ? 'Admin' : 'Support') },
              {
                header: 'Status',
                cell: (o) => (
                  <>
                    <StatusText status={o.status} tone={o.status === 'active' ? 'good' : o.status === 'disabled' ? 'stopped' : 'progress'} />
                    {o.lockedUntil ? (
                      <span className="cell-sub cell-sub--error">
                        locked until <When iso={o.lockedUntil} />
                      </span>
                    ) : null}
                    {o.status === 'active' && !o.totpEnrolled ? <span className="cell-sub">no authenticator</span> : null}
                  </>
                ),
              },
              { header: 'Last sign-in', cell: (o) => <When iso={o.lastSignInAt} /> },
              {
                header: 'Actions',
                headerHidden: true,
                cell: (o) =>
                  o.status === 'disabled' ? null : (
                    <div className="row-actions">
                      {o.status === 'invited' ? (
                        <button type="button" className="button button--secondary button--small" onClick={() => reinvite(o)}>
                          Send new invitation<span className="visually-hidden"> to {o.email}</span>
                        </button>
                      ) : null}
                      <button type="button" className="button button--secondary button--small" onClick={() => setPending({ kind: 'role', operator: o, role: o.role === 'admin' ? 'support' : 'admin' })}>
                        {o.role === 'admin' ? 'Make support' : 'Make admin'}
                        <span className="visually-hidden"> ({o.email})</span>
                      </button>
                      {o.id === session.operator.id ? null : (
                        <button type="button" className="button button--danger-outline button--small" onClick={() => setPending({ kind: 'disable', operator: o })}>
                          Disable<span className="visually-hidden"> {o.email}</span>
                        </button>
                      )}
                    </div>
                  ),
              },
            ]}
          />
        )}
      </LoadedView>

      <InviteOperator onInvited={show} />

      <ReasonDialog
        open={pending !== undefined}
        title={pending?.kind === 'disable' ? `Disable ${pending.operator.email}` : pending ? `Make ${pending.operator.email} ${pending.role === 'admin' ? 'an administrator' : 'a support operator'}` : ''}
        confirmLabel={pending?.kind === 'disable' ? 'Disable operator' : 'Change role'}
        danger={pending?.kind === 'disable'}
        reasonHint="Required. Goes into the audit log, e.g. “Left the team” or “Covers for the team lead in December”."
        explain={
          pending?.kind === 'disable' ? (
            <p>The operator can no longer sign in, and every session they have ends at once. This cannot be undone from the console.</p>
          ) : pending ? (
            <p>{pending.role === 'admin' ? 'Administrators can invite, change and disable operators.' : 'Support operators cannot manage operators.'} The change applies to their next request.</p>
          ) : null
        }
        onConfirm={async (reason) => {
          if (!pending) return;
          if (pending.kind === 'disable') {
            const done = await consoleApi.disableOperator(pending.operator.id, reason);
            show(`${done.email} is disabled; their sessions have ended.`);
          } else {
            const done = await consoleApi.changeRole(pending.operator.id, pending.role, reason);
            show(`${done.email} is now ${done.role === 'admin' ? 'an administrator' : 'a support operator'}.`);
            // Your own role: the header, the menu and this page follow at once.
            if (done.id === session.operator.id) setSession(await consoleApi.session());
          }
        }}
        onClose={() => setPending(undefined)}
      />
    </div>
  );
}

type InviteInput = z.input<typeof createOperatorSchema>;

function InviteOperator({ onInvited }: { onInvited: (message: string) => void }) {
  const [failure, setFailure] = useState<ApiError>();
  const {
    register,
    handleSubmit,
    reset,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<InviteInput, unknown, z.output<typeof createOperatorSchema>>({ resolver: zodResolver(createOperatorSchema), defaultValues: { email: '', role: 'support' } });

  async function submit(data: z.output<typeof createOperatorSchema>) {
    setFailure(undefined);
    try {
      const invited = await consoleApi.createOperator(data.email, data.role);
      reset({ email: '', role: 'support' }, { keepFieldsRef: true }); // what is typed at once is kept (see ReasonDialog)
      onInvited(invited.message);
    } catch (error) {
      const problem = asApiError(error);
      const emailProblem = problem.fields.find((f) => f.path === 'email');
      if (emailProblem) setError('email', { type: 'server', message: emailProblem.message });
      else setFailure(problem);
    }
  }

  return (
    <form className="card form" noValidate onSubmit={handleSubmit(submit)} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite an operator</h2>
      <p className="muted">They get an email with a link that works for 72 hours, choose a password and add the console to an authenticator app.</p>
      {failure ? <ApiErrorNotice error={failure} /> : null}
      <div className="field-row field-row--wide">
        <TextField id="invite-email" label="Email" type="email" autoComplete="off" spellCheck={false} registration={register('email')} error={errors.email?.message} />
        <SelectField id="invite-role" label="Role" registration={register('role')} error={errors.role?.message}>
          <option value="support">Support</option>
          <option value="admin">Admin</option>
        </SelectField>
      </div>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={isSubmitting}>
          {isSubmitting ? 'Sending…' : 'Send invitation'}
        </button>
      </div>
    </form>
  );
}
