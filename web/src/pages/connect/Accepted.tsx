import type { ConnectState } from '../../api.ts';
import { formatDay } from './dates.ts';
import type { EditableStep } from './steps.ts';

// What an earlier step accepted, as the server remembers it (secrets only as a hint of their
// first characters), with a way back to change it.

export function AcceptedEntraApp({ entraApp, onChange }: { entraApp: NonNullable<ConnectState['entraApp']>; onChange?: (step: EditableStep) => void }) {
  return (
    <div className="accepted">
      <div className="accepted__head">
        <h3 className="accepted__title">
          <span aria-hidden="true" className="accepted__tick">
            ✓
          </span>{' '}
          Entra app checked with Microsoft
        </h3>
        {onChange ? (
          <button type="button" className="button button--secondary button--small" onClick={() => onChange('entra_app')}>
            Change<span className="visually-hidden"> the Entra app</span>
          </button>
        ) : null}
      </div>
      <dl className="accepted__list">
        <div>
          <dt>Tenant</dt>
          <dd>
            {entraApp.tenant}
            {entraApp.tenant !== entraApp.tenantId ? <span className="muted"> (ID {entraApp.tenantId})</span> : null}
          </dd>
        </div>
        <div>
          <dt>Web App Client ID</dt>
          <dd className="mono">{entraApp.clientId}</dd>
        </div>
        <div>
          <dt>Client secret</dt>
          <dd>
            <span className="mono">{entraApp.secretHint}</span> <span className="muted">(only its first characters are shown)</span>
          </dd>
        </div>
      </dl>
    </div>
  );
}

export function AcceptedPartnerCenterApp({
  app,
  onChange,
}: {
  app: NonNullable<ConnectState['partnerCenterApp']>;
  onChange?: (step: EditableStep) => void;
}) {
  return (
    <div className="accepted">
      <div className="accepted__head">
        <h3 className="accepted__title">
          <span aria-hidden="true" className="accepted__tick">
            ✓
          </span>{' '}
          Partner Center app checked with Microsoft
        </h3>
        {onChange ? (
          <button type="button" className="button button--secondary button--small" onClick={() => onChange('partner_center_app')}>
            Change<span className="visually-hidden"> the Partner Center app</span>
          </button>
        ) : null}
      </div>
      <dl className="accepted__list">
        <div>
          <dt>Web App ID</dt>
          <dd className="mono">{app.webAppId}</dd>
        </div>
        <div>
          <dt>Web App Secret</dt>
          <dd>
            <span className="mono">{app.secretHint}</span> <span className="muted">(expires {formatDay(app.secretExpiresOn)}, the date Partner Center shows next to this key: please confirm it is the key you meant, or change it)</span>
          </dd>
        </div>
        <div>
          <dt>Native App ID</dt>
          <dd className="mono">{app.nativeAppId}</dd>
        </div>
      </dl>
    </div>
  );
}
