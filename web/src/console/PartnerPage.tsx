import { useRef, useState } from 'react';
import { Notice } from '../components/Notice.tsx';
import { Link } from '../router.tsx';
import { GdapCell, GdapSummaryView } from '../pages/status/GdapAccess.tsx';
import { consoleApi, type PartnerAction, type PartnerCustomers, type PartnerDetail } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';
import { actionLabels, auditActionLabel, templateLabel } from './labels.ts';
import { Card, Details, readableMessage, LoadedView, ReasonDialog, StateBadge, StatusText, When, useLoad } from './ui.tsx';
import { DataTable } from './DataTable.tsx';

// /console/partners/:id: company and contacts, the actions the state allows (each confirmed with a
// reason), links, emails, terms, connection, credentials as masked hints only, checks, imports and
// the timeline from the audit log.

export function PartnerPage({ id }: { id?: string }) {
  const partnerId = id ?? '';
  const loaded = useLoad(() => consoleApi.partner(partnerId), partnerId);
  return (
    <LoadedView loaded={loaded} what="the signup">
      {(partner) => <PartnerView partner={partner} reload={loaded.reload} />}
    </LoadedView>
  );
}

const actionOrder: PartnerAction[] = ['recheck_attention', 'resend_verification', 'issue_signup_link', 'rerun_preflight', 'restart_sync', 'stop_sync', 'suspend', 'offboard'];

function PartnerView({ partner, reload }: { partner: PartnerDetail; reload: () => void }) {
  useConsoleTitle(`Signup: ${partner.company.legalName}`);
  const [action, setAction] = useState<PartnerAction>();
  const [result, setResult] = useState<string>();
  const resultRef = useRef<HTMLDivElement>(null);
  const primary = partner.contacts.find((c) => c.role === 'primary');

  async function run(chosen: PartnerAction, reason: string) {
    const done = await consoleApi.partnerAction(partner.id, chosen, reason);
    setResult(done.message);
    reload();
    // After the dialog closes, focus goes to the outcome so it is read out.
    window.setTimeout(() => resultRef.current?.focus(), 50);
  }

  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/console/partners">← All signups</Link>
      </p>
      <div className="page-head">
        <div>
          <p className="eyebrow">Signup {partner.reference}</p>
          <h1>{partner.company.legalName}</h1>
          <p className="page-head__meta">
            <StateBadge state={partner.state} /> <span className="muted">
              Signed up <When iso={partner.createdAt} /> · last change <When iso={partner.updatedAt} />
            </span>
          </p>
        </div>
      </div>

      {result ? (
        <div ref={resultRef} tabIndex={-1} className="focus-target">
          <Notice tone="success" title="Done">
            <p>{readableMessage(result)}</p>
          </Notice>
        </div>
      ) : null}

      <div className="detail-grid">
        <div className="detail-grid__main stack">
          <Finding partner={partner} />
          <Timeline partner={partner} />
          <LinksTable partner={partner} />
          <EmailsTable partner={partner} />
          <PreflightRuns partner={partner} />
          <SyncRuns partner={partner} />
          {partner.syncRuns.length > 0 ? <Customers partnerId={partner.id} /> : null}
        </div>
        <aside className="detail-grid__side stack" aria-label="Signup facts and actions">
          <Card id="actions" title="Actions">
            {partner.availableActions.length === 0 ? (
              <p className="muted">No action is possible in this state.</p>
            ) : (
              <ul className="action-list">
                {actionOrder
                  .filter((a) => partner.availableActions.includes(a))
                  .map((a) => (
                    <li key={a}>
                      <button type="button" className={`button ${a === 'suspend' || a === 'offboard' ? 'button--danger-outline' : 'button--secondary'} button--block`} onClick={() => setAction(a)}>
                        {actionLabels[a].button}
                      </button>
                    </li>
                  ))}
              </ul>
            )}
            <p className="muted small">Each action asks for a reason and is recorded in the audit log with your name.</p>
          </Card>

          <Card id="company" title="Company">
            <dl className="kv">
              <div>
                <dt>Legal name</dt>
                <dd>{partner.company.legalName}</dd>
              </div>
              <div>
                <dt>Address</dt>
                <dd>
                  {partner.company.street}, {partner.company.postalCode} {partner.company.city}, {partner.company.country}
                </dd>
              </div>
              <div>
                <dt>Tax ID</dt>
                <dd className="mono">{partner.company.taxId}</dd>
              </div>
              <div>
                <dt>MPN ID</dt>
                <dd className="mono">{partner.company.mpnId}</dd>
              </div>
              <div>
                <dt>Entra domain</dt>
                <dd className="mono">{partner.company.entraDomain}</dd>
              </div>
              <div>
                <dt>Website</dt>
                <dd>{partner.company.website ?? '—'}</dd>
              </div>
              <div>
                <dt>Email confirmed</dt>
                <dd>
                  <When iso={partner.emailVerifiedAt} />
                </dd>
              </div>
            </dl>
          </Card>

          <Card id="contacts" title="Contacts">
            {partner.contacts.map((c) => (
              <div key={c.role} className="contact">
                <p className="contact__name">
                  {c.firstName} {c.lastName} <span className="muted">· {c.role === 'primary' ? 'primary' : 'secondary'}</span>
                </p>
                <p className="contact__line">{c.jobTitle}</p>
                <p className="contact__line">
                  <a href={`mailto:${c.email}`}>{c.email}</a>
                </p>
                <p className="contact__line">{c.phone}</p>
              </div>
            ))}
          </Card>

          <ConnectionCard partner={partner} />

          <Card id="terms" title="Terms accepted">
            {partner.termsAccepted.length === 0 ? (
              <p className="muted">Not yet.</p>
            ) : (
              <ul className="plain-list">
                {partner.termsAccepted.map((t) => (
                  <li key={`${t.document}-${t.version}`}>
                    {t.document} <span className="mono">v{t.version}</span> · <When iso={t.acceptedAt} />
                  </li>
                ))}
              </ul>
            )}
          </Card>

          {partner.supportRequests.length > 0 ? (
            <Card id="support" title="Support requests">
              <ul className="plain-list">
                {partner.supportRequests.map((s) => (
                  <li key={s.id}>
                    <Link to={`/console/support/${s.id}`}>{s.reference}</Link> · <StatusText status={s.status} /> · <When iso={s.createdAt} />
                  </li>
                ))}
              </ul>
            </Card>
          ) : null}
        </aside>
      </div>

      <ReasonDialog
        open={action !== undefined}
        title={action ? actionLabels[action].title : ''}
        confirmLabel={action ? actionLabels[action].button : ''}
        danger={action === 'suspend'}
        explain={
          action ? (
            <>
              <p>{actionLabels[action].explain}</p>
              <p className="muted">
                {partner.company.legalName} ({partner.reference}){primary ? `, primary contact ${primary.email}` : ''}.
              </p>
            </>
          ) : null
        }
        onConfirm={(reason) => run(action!, reason)}
        onClose={() => setAction(undefined)}
      />
    </div>
  );
}

const TIMELINE_FIRST = 30;

function Timeline({ partner }: { partner: PartnerDetail }) {
  const [all, setAll] = useState(false);
  const shown = all ? partner.timeline : partner.timeline.slice(0, TIMELINE_FIRST);
  return (
    <Card id="timeline" title="Timeline" aside={<Link to={`/console/audit?partnerId=${partner.id}`}>Search its audit events</Link>}>
      {partner.timeline.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="timeline">
          {shown.map((item, index) => (
            <li key={`${item.at}-${index}`} className={`timeline__item timeline__item--${item.kind}`}>
              <p className="timeline__what">
                <strong>{item.kind === 'email' ? templateLabel(item.action.replace(/^email\./, '')) : auditActionLabel(item.action)}</strong>
                {item.kind === 'email' && typeof item.details.status === 'string' ? (
                  <>
                    {' '}
                    <StatusText status={item.details.status} />
                  </>
                ) : null}
              </p>
              <p className="timeline__meta">
                <When iso={item.at} />
                {item.actor || item.actorType ? ` · ${item.actor ?? item.actorType}` : ''} · <code>{item.action}</code>
              </p>
              <Details details={item.kind === 'email' ? omit(item.details, 'status') : item.details} />
            </li>
          ))}
        </ol>
      )}
      {shown.length < partner.timeline.length ? (
        <button type="button" className="button button--secondary button--small" onClick={() => setAll(true)}>
          Show all {partner.timeline.length} events
        </button>
      ) : null}
    </Card>
  );
}

function omit(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

function LinksTable({ partner }: { partner: PartnerDetail }) {
  return (
    <Card id="links" title="Links">
      {partner.links.length === 0 ? (
        <p className="muted">No links issued.</p>
      ) : (
        <DataTable
          label="Links"
          caption="Confirmation, signup and credential update links, newest first"
          compact
          rows={partner.links}
          rowKey={(l) => l.id}
          columns={[
            {
              header: 'Link',
              rowHeader: true,
              cell: (l) => (
                <>
                  {l.purpose === 'signup_link' ? 'Signup link' : l.purpose === 'credential_update' ? 'Credential update' : 'Email confirmation'}
                  <span className="cell-sub cell-sub--wrap">by {l.issuedBy.replace(/_/g, ' ')}</span>
                </>
              ),
            },
            { header: 'Status', cell: (l) => <StatusText status={l.status} tone={l.status === 'open' ? 'progress' : undefined} /> },
            {
              header: 'Issued',
              cell: (l) => (
                <>
                  <When iso={l.createdAt} />
                  <span className="cell-sub">
                    expires <When iso={l.expiresAt} />
                  </span>
                </>
              ),
            },
            {
              header: 'Claimed / spent / revoked',
              cell: (l) =>
                l.revokedAt ? (
                  <>
                    revoked <When iso={l.revokedAt} />
                    {l.revokedReason ? <span className="cell-sub">{l.revokedReason}</span> : null}
                  </>
                ) : l.spentAt ? (
                  <>
                    spent <When iso={l.spentAt} />
                  </>
                ) : l.claimedAt ? (
                  <>
                    claimed <When iso={l.claimedAt} />
                  </>
                ) : (
                  <span className="muted">—</span>
                ),
            },
          ]}
        />
      )}
    </Card>
  );
}

function EmailsTable({ partner }: { partner: PartnerDetail }) {
  return (
    <Card id="emails" title="Emails">
      {partner.emails.length === 0 ? (
        <p className="muted">No emails sent.</p>
      ) : (
        <DataTable
          label="Emails"
          caption="Emails to the partner and their delivery status"
          compact
          rows={partner.emails}
          rowKey={(m) => m.id}
          columns={[
            { header: 'Email', rowHeader: true, cell: (m) => templateLabel(m.template) },
            { header: 'To', cell: (m) => m.to },
            {
              header: 'Delivery',
              cell: (m) => (
                <>
                  <StatusText status={m.status} />
                  {m.attempts > 1 ? <span className="cell-sub">{m.attempts} attempts</span> : null}
                  {m.lastError ? <span className="cell-sub cell-sub--error">{m.lastError}</span> : null}
                </>
              ),
            },
            {
              header: 'Queued / sent',
              cell: (m) => (
                <>
                  <When iso={m.createdAt} />
                  {m.sentAt ? (
                    <span className="cell-sub">
                      sent <When iso={m.sentAt} />
                    </span>
                  ) : null}
                </>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}

function ConnectionCard({ partner }: { partner: PartnerDetail }) {
  const c = partner.connection;
  return (
    <Card id="connection" title="Connection">
      {!c ? (
        <p className="muted">Not started.</p>
      ) : (
        <dl className="kv">
          <div>
            <dt>Tenant ID</dt>
            <dd className="mono">{c.tenantId ?? '—'}</dd>
          </div>
          <div>
            <dt>Entra app ID</dt>
            <dd className="mono">{c.entraAppId ?? '—'}</dd>
          </div>
          <div>
            <dt>Partner Center web app ID</dt>
            <dd className="mono">{c.partnerCenterWebAppId ?? '—'}</dd>
          </div>
          <div>
            <dt>Partner Center native app ID</dt>
            <dd className="mono">{c.partnerCenterNativeAppId ?? '—'}</dd>
          </div>
          <div>
            <dt>Service account</dt>
            <dd>{c.serviceAccountUpn ?? '—'}</dd>
          </div>
          <div>
            <dt>MFA performed</dt>
            <dd>{c.mfaPerformed === null ? '—' : c.mfaPerformed ? 'Yes' : 'No'}</dd>
          </div>
          <div>
            <dt>Signed in with Microsoft</dt>
            <dd>
              <When iso={c.signedInAt} />
            </dd>
          </div>
          <div>
            <dt>Connection saved</dt>
            <dd>
              <When iso={c.committedAt} />
            </dd>
          </div>
          {c.signInError ? (
            <div>
              <dt>Sign-in error</dt>
              <dd className="text-error">
                {c.signInError.message} <code>{c.signInError.code}</code>
              </dd>
            </div>
          ) : null}
        </dl>
      )}
      <h3>Credentials</h3>
      <p className="muted small">Stored in the vault. Operators see only a masked hint and the expiry, never the value.</p>
      {partner.credentials.length === 0 ? (
        <p className="muted">None stored.</p>
      ) : (
        <ul className="credential-list">
          {partner.credentials.map((cred) => (
            <li key={cred.field}>
              <span className="credential-list__field" title={cred.field}>{cred.label}</span>
              <span className="mono">{cred.hint ?? '••••'}</span>
              <span className="muted small">{cred.expiresAt ? <>expires <When iso={cred.expiresAt} day /></> : 'no expiry'}</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function PreflightRuns({ partner }: { partner: PartnerDetail }) {
  if (partner.preflightRuns.length === 0) return null;
  return (
    <Card id="preflight" title="Preflight checks">
      {partner.preflightRuns.map((run) => (
        <details key={run.id} className="run" open={run === partner.preflightRuns[0]}>
          <summary>
            <When iso={run.startedAt} /> · {run.allRequiredPassed ? <StatusText status="passed" /> : <StatusText status="failed" />} · by {run.triggeredBy}
          </summary>
          <ul className="check-list">
            {run.checks.map((check) => (
              <li key={check.id}>
                <StatusText status={check.status} /> <strong>{check.title}</strong>
                {check.required ? null : <span className="muted"> (optional)</span>}
                <span className="cell-sub">{check.found}</span>
                {check.fix ? <span className="cell-sub">Fix: {check.fix}</span> : null}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </Card>
  );
}

/** The open finding: what Microsoft refused, the fix the partner was sent, and who was told when. */
function Finding({ partner }: { partner: PartnerDetail }) {
  const finding = partner.attention;
  if (!finding) return null;
  return (
    <Card id="finding" title={<>Needs the partner: {finding.code}</>}>
      <p>{finding.message}</p>
      <p>
        <strong>Fix:</strong> {finding.fix}
      </p>
      {finding.afterFix ? <p>{finding.afterFix}</p> : null}
      <dl className="kv">
        <div>
          <dt>Found</dt>
          <dd>
            <When iso={finding.openedAt} /> ({finding.origin === 'sync' ? 'customer import' : finding.origin === 'drift' ? 'daily check' : 'secret expiry'}{finding.source ? `, ${finding.source.replace(/_/g, ' ')}` : ''})
          </dd>
        </div>
        <div>
          <dt>Last checked</dt>
          <dd>
            <When iso={finding.lastCheckedAt} />
          </dd>
        </div>
        <div>
          <dt>Primary contact told</dt>
          <dd>{finding.primaryNotifiedAt ? <When iso={finding.primaryNotifiedAt} /> : 'not yet'}</dd>
        </div>
        <div>
          <dt>Secondary contact told</dt>
          <dd>{finding.secondaryNotifiedAt ? <When iso={finding.secondaryNotifiedAt} /> : 'not yet (after 3 days without a fix)'}</dd>
        </div>
      </dl>
    </Card>
  );
}

/** The partner's imported customers and what GDAP lets TotalOne do there; filter "no admin access". */
function Customers({ partnerId }: { partnerId: string }) {
  const [access, setAccess] = useState<'all' | 'no_admin_access'>('all');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const loaded = useLoad<PartnerCustomers>(() => consoleApi.partnerCustomers(partnerId, { access, ...(cursor ? { cursor } : {}) }), `${partnerId}:${access}:${cursor ?? ''}`);
  return (
    <Card id="customers" title="Customers" className="stack">
      <div className="field">
        <label className="field__label" htmlFor="customers-access">
          Show
        </label>
        <select
          id="customers-access"
          className="input"
          value={access}
          onChange={(event) => {
            setCursors([]);
            setAccess(event.target.value as 'all' | 'no_admin_access');
          }}
        >
          <option value="all">All customers</option>
          <option value="no_admin_access">No admin access (GDAP)</option>
        </select>
      </div>
      <LoadedView loaded={loaded} what="the customers">
        {(page) => (
          <>
            {page.gdap ? <GdapSummaryView summary={page.gdap} headingLevel={3} /> : null}
            <DataTable
              label="Customers"
              caption={`${access === 'no_admin_access' ? 'Customers without admin access' : 'Customers'}, by name`}
              compact
              rows={page.items}
              rowKey={(customer) => customer.id}
              columns={[
                { header: 'Company', rowHeader: true, cell: (customer) => customer.companyName },
                { header: 'Domain', cellClassName: 'mono', cell: (customer) => customer.domain },
                { header: 'Admin access (GDAP)', cell: (customer) => <GdapCell gdap={customer.gdap} /> },
              ]}
            />
            {page.items.length === 0 ? <p className="muted">No customers to show.</p> : null}
            <div className="button-row">
              <button type="button" className="button button--secondary button--small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous page
              </button>
              <button type="button" className="button button--secondary button--small" disabled={!page.nextCursor} onClick={() => setCursors((c) => [...c, page.nextCursor!])}>
                Next page
              </button>
            </div>
          </>
        )}
      </LoadedView>
    </Card>
  );
}

function SyncRuns({ partner }: { partner: PartnerDetail }) {
  if (partner.syncRuns.length === 0) return null;
  return (
    <Card id="sync" title="Customer imports">
      <DataTable
        label="Customer imports"
        caption="Customer import runs, newest first"
        compact
        rows={partner.syncRuns}
        rowKey={(run) => run.id}
        columns={[
          { header: 'Started', rowHeader: true, cell: (run) => <When iso={run.startedAt} /> },
          {
            header: 'Status',
            cell: (run) => (
              <>
                <StatusText status={run.status} />
                {run.error ? <span className="cell-sub cell-sub--error">{run.error.message}</span> : null}
              </>
            ),
          },
          { header: 'Why', cell: (run) => run.reason },
          { header: 'Customers', className: 'num', cell: (run) => `${run.customersSeen}${run.totalCount !== null ? ` of ${run.totalCount}` : ''}` },
          { header: 'Finished', cell: (run) => <When iso={run.finishedAt} /> },
        ]}
      />
    </Card>
  );
}
