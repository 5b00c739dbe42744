import { useState } from 'react';
import { Link } from '../router.tsx';
import { consoleApi, type Overview, type SecretExpiryList } from './consoleApi.ts';
import { useConsoleTitle } from './session.ts';
import { auditActionLabel, partnerStates, stateLabel, templateLabel } from './labels.ts';
import { Details, LoadedView, StateBadge, When, formatWhen, useLoad } from './ui.tsx';
import { DataTable } from './DataTable.tsx';

// /console: how many partners who signed up in the chosen period are in each state now, how far
// they got stage by stage (and where they stopped), and the latest audit events.

const periods = [7, 30, 90] as const;
const DAY = 86_400_000;

export function OverviewPage() {
  useConsoleTitle('Console overview');
  const [days, setDays] = useState<(typeof periods)[number]>(() => {
    const asked = Number(new URLSearchParams(location.search).get('days'));
    return periods.find((p) => p === asked) ?? 30;
  });
  const loaded = useLoad(() => consoleApi.overview(new Date(Date.now() - days * DAY).toISOString()), String(days));

  function choose(value: (typeof periods)[number]) {
    setDays(value);
    history.replaceState(history.state, '', value === 30 ? '/console' : `/console?days=${value}`);
  }

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p className="muted">Partners who signed up in the last {days} days: where they are now and where they stopped.</p>
        </div>
        <div className="segmented" role="group" aria-label="Period">
          {periods.map((p) => (
            <button key={p} type="button" className="segmented__option" aria-pressed={p === days} onClick={() => choose(p)}>
              {p} days
            </button>
          ))}
        </div>
      </div>
      <LoadedView loaded={loaded} what="the overview">
        {(overview) => <OverviewBody overview={overview} loading={loaded.loading} />}
      </LoadedView>
    </div>
  );
}

function OverviewBody({ overview, loading }: { overview: Overview; loading: boolean }) {
  const first = overview.funnel[0]?.reached ?? 0;
  const biggestDrop = overview.funnel.slice(0, -1).reduce<Overview['funnel'][number] | undefined>((worst, stage) => (stage.droppedBeforeNext > (worst?.droppedBeforeNext ?? 0) ? stage : worst), undefined);
  return (
    <div className={`stack${loading ? ' is-refreshing' : ''}`} aria-busy={loading}>
      <p className="muted period-line">
        {formatWhen(overview.period.from)} – {formatWhen(overview.period.to)}
      </p>
      <ul className="stat-grid" aria-label="Key numbers">
        <li className="stat">
          <span className="stat__value">{overview.total}</span>
          <span className="stat__label">signups in the period</span>
        </li>
        <li className="stat">
          <span className="stat__value">{overview.byState.active ?? 0}</span>
          <span className="stat__label">active now</span>
        </li>
        <li className="stat">
          <span className="stat__value">{(overview.byState.link_expired ?? 0) + (overview.byState.sync_failed ?? 0) + (overview.byState.needs_attention ?? 0)}</span>
          <span className="stat__label">need attention (link expired, sync failed)</span>
        </li>
        <li className="stat">
          <Link to="/console/support" className="stat__link">
            <span className="stat__value">{overview.openSupportRequests}</span>
            <span className="stat__label">open support requests</span>
          </Link>
        </li>
        <li className="stat">
          <span className="stat__value">{overview.emails.waiting}</span>
          <span className="stat__label">
            emails waiting to be sent{overview.emails.oldestWaitingSince ? <> (oldest since {formatWhen(overview.emails.oldestWaitingSince)})</> : null}
          </span>
        </li>
      </ul>

      {overview.emails.failed > 0 ? (
        <section className="card" aria-labelledby="undelivered-title">
          <h2 id="undelivered-title">Emails the mail server refused ({overview.emails.failed})</h2>
          <p className="muted">These are not sent again. Check the address with the partner; the partner page can issue a new confirmation email or signup link.</p>
          <DataTable
            label="Refused emails"
            caption="The latest emails the mail server refused for good"
            rows={overview.emails.recentFailures}
            rowKey={(f) => f.id}
            columns={[
              { header: 'When', cell: (f) => <When iso={f.failedAt} /> },
              { header: 'Email', cell: (f) => templateLabel(f.template) },
              { header: 'To', cell: (f) => f.to },
              { header: 'Partner', cell: (f) => (f.partner ? <Link to={`/console/partners/${f.partner.id}`}>{f.partner.companyName}</Link> : '—') },
              { header: 'Mail server answer', cell: (f) => f.lastError ?? '—' },
            ]}
          />
        </section>
      ) : null}

      <section className="card" aria-labelledby="funnel-title">
        <h2 id="funnel-title">Funnel</h2>
        {biggestDrop && biggestDrop.droppedBeforeNext > 0 ? (
          <p>
            Most partners stop after <strong>{biggestDrop.label}</strong>: {biggestDrop.droppedBeforeNext} of {biggestDrop.reached} went no further.
          </p>
        ) : (
          <p className="muted">{overview.total === 0 ? 'Nobody signed up in this period.' : 'Nobody has stopped along the way in this period.'}</p>
        )}
        <DataTable
          label="Funnel"
          caption="How far the partners of the period got, stage by stage"
          className="funnel"
          rows={overview.funnel}
          rowKey={(stage) => stage.stage}
          columns={[
            { header: 'Stage', rowHeader: true, cell: (stage) => stage.label },
            { header: 'Reached', className: 'num', cell: (stage) => stage.reached },
            {
              header: 'Share of all signups',
              headerHidden: true,
              className: 'funnel__bar-col',
              cell: (stage) => (
                <svg className="funnel__bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                  <rect className="funnel__track" x="0" y="0" width="100" height="8" rx="1" />
                  <rect className="funnel__fill" x="0" y="0" width={first > 0 ? Math.max((stage.reached / first) * 100, stage.reached > 0 ? 1 : 0) : 0} height="8" rx="1" />
                </svg>
              ),
            },
            { header: 'Stopped here', className: 'num', cell: (stage) => (stage.droppedBeforeNext > 0 ? <strong>{stage.droppedBeforeNext}</strong> : stage.droppedBeforeNext) },
            { header: 'From previous', className: 'num', cell: (stage) => (stage.conversionFromPrevious === null ? '—' : `${stage.conversionFromPrevious} %`) },
          ]}
        />
      </section>

      <SecretExpiries />

      <div className="two-columns">
        <section className="card" aria-labelledby="states-title">
          <h2 id="states-title">By state now</h2>
          <ul className="state-counts">
            {partnerStates.map((state) => (
              <li key={state}>
                <Link to={`/console/partners?state=${state}`} aria-label={`${stateLabel(state)}: ${overview.byState[state] ?? 0} — show these signups`}>
                  <StateBadge state={state} />
                  <span className="state-counts__n">{overview.byState[state] ?? 0}</span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="activity-title">
          <h2 id="activity-title">Recent activity</h2>
          {overview.recentActivity.length === 0 ? (
            <p className="muted">Nothing has happened yet.</p>
          ) : (
            <ol className="activity">
              {overview.recentActivity.map((item) => (
                <li key={item.id} className="activity__item">
                  <p className="activity__what">
                    <strong>{auditActionLabel(item.action)}</strong>
                    {item.partner ? (
                      <>
                        {' · '}
                        <Link to={`/console/partners/${item.partner.id}`}>{item.partner.companyName}</Link>
                      </>
                    ) : null}
                  </p>
                  <p className="activity__meta">
                    <When iso={item.occurredAt} /> · {item.actor ?? item.actorType}
                  </p>
                  <Details details={item.details} brief />
                </li>
              ))}
            </ol>
          )}
          <Link to="/console/audit">Search the audit log</Link>
        </section>
      </div>
    </div>
  );
}

const credentialLabels: Record<SecretExpiryList['items'][number]['credential'], string> = {
  entra_client_secret: 'Entra app secret',
  partner_center_web_app_secret: 'Partner Center web app key',
};

/** Partners by the secret that ends first: who gets a reminder next, and who is past the end. */
function SecretExpiries() {
  const loaded = useLoad(() => consoleApi.secretExpiries(), 'secret-expiries');
  return (
    <section className="card" aria-labelledby="expiries-title">
      <h2 id="expiries-title">Secrets ending soonest</h2>
      <LoadedView loaded={loaded} what="the secret expiries">
        {(list) =>
          list.items.length === 0 ? (
            <p className="muted">No connected partner has a secret with a known end yet.</p>
          ) : (
            <DataTable
              label="Secrets ending soonest"
              caption="Partners by the secret that ends first; reminders go out 60, 30, 14, 7 and 1 days before"
              compact
              rows={list.items}
              rowKey={(item) => `${item.partnerId}-${item.credential}`}
              columns={[
                { header: 'Partner', rowHeader: true, cell: (item) => <Link to={`/console/partners/${item.partnerId}`}>{item.companyName}</Link> },
                {
                  header: 'Secret',
                  cell: (item) => (
                    <>
                      {credentialLabels[item.credential]}
                      {item.source === 'typed' ? <span className="cell-sub">date typed by the partner</span> : null}
                    </>
                  ),
                },
                { header: 'Ends', cell: (item) => <When iso={item.endsAt} day /> },
                { header: 'Days left', className: 'num', cell: (item) => (item.daysLeft <= 0 ? <strong>expired</strong> : item.daysLeft <= 14 ? <strong>{item.daysLeft}</strong> : item.daysLeft) },
                { header: 'State', cell: (item) => <StateBadge state={item.state} /> },
              ]}
            />
          )
        }
      </LoadedView>
    </section>
  );
}
