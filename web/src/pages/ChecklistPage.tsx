import { Link, usePageTitle } from '../router.tsx';
import './status/status.css';
import { Step2Checklist } from './Step2Checklist.tsx';

// The guide's Step 2 on one printable page: the same checklist as the landing page, with boxes to
// tick and a table for what Step 3 asks for. Secrets belong in a password manager, never on paper.

export function ChecklistPage() {
  usePageTitle('Step 2 checklist: prepare Microsoft for TotalOne');
  return (
    <div className="stack printable">
      <div className="page-intro">
        <p className="eyebrow">Step 2 of 3</p>
        <h1>Checklist: prepare Microsoft for TotalOne</h1>
        <p className="lead">
          Everything to do in your Microsoft tenant and Partner Center before you open the signup link, with where each value is found today. You
          need Global Administrator rights in the tenant and in Partner Center; allow an hour the first time.
        </p>
        <p className="no-print">
          <button type="button" className="button button--primary" onClick={() => window.print()}>
            Print this checklist
          </button>{' '}
          <Link to="/#prepare-microsoft">Back to the guide</Link>
        </p>
      </div>

      <section className="card checklist-page" aria-labelledby="checklist-title">
        <h2 id="checklist-title" className="visually-hidden">
          The checklist
        </h2>
        <Step2Checklist />
      </section>

      <section className="card" aria-labelledby="values-title">
        <h2 id="values-title">What Step 3 asks for</h2>
        <p>Keep the secrets in your password manager, not on paper: this table only says where each value goes.</p>
        <div className="table-scroll" role="region" aria-label="Values for Step 3 (table)" tabIndex={0}>
          <table className="data-table values-table">
            <caption className="visually-hidden">The values the connect wizard asks for, and where they come from</caption>
            <thead>
              <tr>
                <th scope="col">Wizard step</th>
                <th scope="col">Value</th>
                <th scope="col">Where you find it</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>3.2 Entra app</td>
                <td>Tenant (primary domain or tenant ID)</td>
                <td>Entra admin center &gt; Overview</td>
              </tr>
              <tr>
                <td>3.2 Entra app</td>
                <td>Web App Client ID</td>
                <td>App registrations &gt; your app &gt; Overview: Application (client) ID</td>
              </tr>
              <tr>
                <td>3.2 Entra app</td>
                <td>Client secret (password manager)</td>
                <td>App registrations &gt; your app &gt; Certificates &amp; secrets: the Value</td>
              </tr>
              <tr>
                <td>3.3 Partner Center app</td>
                <td>Web App ID</td>
                <td>Partner Center &gt; gear icon &gt; Account settings &gt; App management &gt; Web app</td>
              </tr>
              <tr>
                <td>3.3 Partner Center app</td>
                <td>Web App Secret (password manager)</td>
                <td>The key you added there (its expiry is read from Microsoft)</td>
              </tr>
              <tr>
                <td>3.3 Partner Center app</td>
                <td>Native App ID</td>
                <td>App management &gt; Native app</td>
              </tr>
              <tr>
                <td>3.4 Microsoft sign-in</td>
                <td>Service account and its second factor</td>
                <td>The user you created, with its authenticator app at hand</td>
              </tr>
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
