import type { ReactNode } from 'react';
import type { z } from 'zod';
import type { customerGdapSchema, gdapSummarySchema } from '../../../../contracts/sync.ts';
import { formatDateTime } from '../../format.ts';

// What GDAP lets TotalOne do in the partner's customers' tenants: one cell per customer and the
// summary with the reasons (tenant view, status page and the operator console use them).

export type CustomerGdap = z.infer<typeof customerGdapSchema>;
export type GdapSummary = z.infer<typeof gdapSummarySchema>;

const STATUS_TEXT: Record<NonNullable<CustomerGdap['status']>, string> = {
  active: 'Active',
  expiring: 'Ends within 30 days',
  expired: 'Ended',
  none: 'No relationship',
  unknown: 'Not readable',
};

/** The admin access cell of one customer: can TotalOne administer it, until when, or why not. */
export function GdapCell({ gdap }: { gdap: CustomerGdap }) {
  if (gdap.status === null) return <span className="muted">Not checked yet</span>;
  const ends = gdap.endAt ? `${gdap.autoExtend ? 'renews itself after' : 'until'} ${formatDateTime(gdap.endAt)}` : '';
  if (gdap.canManage) {
    return (
      <span className="gdap gdap--ok">
        <strong>Admin access</strong>
        <span className="muted">
          {' '}
          · {STATUS_TEXT[gdap.status]}
          {ends ? `, ${ends}` : ''}
        </span>
      </span>
    );
  }
  return (
    <details className="gdap gdap--blocked">
      <summary>
        <strong>No admin access</strong> <span className="muted">· {STATUS_TEXT[gdap.status]}{gdap.readOnly ? ', read-only (MLT_)' : ''}</span>
      </summary>
      <p>{gdap.reason}</p>
      {gdap.fix ? (
        <p>
          <strong>How to fix: </strong>
          {gdap.fix}
        </p>
      ) : null}
    </details>
  );
}

/** How many customers TotalOne cannot administer yet, and why, with the fixes. */
export function GdapSummaryView({ summary, headingLevel = 2, children }: { summary: GdapSummary; headingLevel?: 2 | 3; children?: ReactNode }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const checked = summary.manageable + summary.cannotManage;
  return (
    <section className="card stack" aria-labelledby="gdap-title">
      <Heading id="gdap-title">Admin access to your customers (GDAP)</Heading>
      {summary.outcome === null ? (
        <p>Checked after the first import of your customers.</p>
      ) : summary.cannotManage === 0 ? (
        <p>TotalOne can administer all {checked.toLocaleString('en')} customers through your GDAP relationships.</p>
      ) : (
        <p>
          TotalOne cannot administer <strong>{summary.cannotManage.toLocaleString('en')}</strong> of {checked.toLocaleString('en')} customers yet.
          {summary.manageable > 0 ? ` ${summary.manageable.toLocaleString('en')} are ready.` : ''}
        </p>
      )}
      {summary.problem ? (
        <p>
          {summary.problem} {summary.fix}
        </p>
      ) : null}
      {summary.reasons.length > 0 ? (
        <ul className="gdap-reasons">
          {summary.reasons.map((r) => (
            <li key={r.blocker}>
              <strong>
                {r.count.toLocaleString('en')} {r.count === 1 ? 'customer' : 'customers'}:
              </strong>{' '}
              {r.reason} <span className="muted">How to fix: {r.fix}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {summary.expiringSoon > 0 ? <p>{summary.expiringSoon.toLocaleString('en')} relationships end within 30 days and do not renew themselves: renew them in Partner Center.</p> : null}
      {summary.readAt ? <p className="muted">Last checked {formatDateTime(summary.readAt)}.</p> : null}
      {children}
    </section>
  );
}
