import { useEffect } from 'react';
import { Link, usePageTitle } from '../router.tsx';
import { Step2Checklist } from './Step2Checklist.tsx';

// What TotalOne Signup is and the three steps, in the partner's order of work.

export function LandingPage() {
  usePageTitle('Connect your CSP business to TotalOne');
  useEffect(() => {
    // Other pages link to a section here (/#prepare-microsoft).
    const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target) {
      target.scrollIntoView();
      target.focus({ preventScroll: true });
    }
    // Most visitors continue to the form: fetch its code while they read.
    const prefetch = setTimeout(() => void import('./SignupPage.tsx'), 2000);
    return () => clearTimeout(prefetch);
  }, []);

  return (
    <div className="stack stack--large">
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">For Microsoft CSP partners</p>
        <h1 id="hero-title">Connect your CSP business to TotalOne in three steps</h1>
        <p className="lead">
          TotalOne Signup is the self-service way onto the TotalOne platform. You register your company, prepare your Microsoft tenant, and connect
          it through a one-time link. Then we import your customers from Partner Center and your team can start working.
        </p>
        <div className="hero__actions">
          <Link to="/signup" className="button button--primary button--large">
            Start signup
          </Link>
          <a href="#prepare-microsoft" className="button button--secondary button--large">
            See what to prepare
          </a>
        </div>
        <p className="muted">Step 1 takes about five minutes. Allow an hour for Step 2 if this is your first time.</p>
      </section>

      <ol className="step-cards" aria-label="The three steps">
        <li className="card step-card">
          <p className="step-card__number" aria-hidden="true">
            1
          </p>
          <h2>Sign up</h2>
          <p>Enter your company details and a primary contact. Confirm that contact's email address with the button in our first email.</p>
          <p>A second email then brings your one-time signup link, valid for 48 hours.</p>
        </li>
        <li className="card step-card">
          <p className="step-card__number" aria-hidden="true">
            2
          </p>
          <h2>Prepare Microsoft</h2>
          <p>Create a service account and two app registrations in your own tenant, so TotalOne can work with Partner Center and Microsoft Graph.</p>
          <p>
            <a href="#prepare-microsoft">The full checklist</a> is below, and <Link to="/checklist">on one printable page</Link>.
          </p>
        </li>
        <li className="card step-card">
          <p className="step-card__number" aria-hidden="true">
            3
          </p>
          <h2>Connect</h2>
          <p>
            Only when Step 2 is done, open the signup link in a private browser window, enter the app details and sign in with the service account.
          </p>
          <p>The link works once, in one browser.</p>
        </li>
      </ol>

      <section className="card" id="prepare-microsoft" aria-labelledby="prepare-title" tabIndex={-1}>
        <p className="eyebrow">Step 2</p>
        <h2 id="prepare-title">What to prepare in Microsoft before you open the signup link</h2>
        <p>
          You need Global Administrator rights in your tenant and in Partner Center. Write each ID and secret down in a password manager as you go:
          Step 3 asks for them.
        </p>

        <p className="no-print">
          <Link to="/checklist">Open the printable checklist</Link> to tick the items off as you go.
        </p>
        <p id="set-up-for-me">
          <strong>Rather not register the Entra app by hand?</strong> Prepare only the service account and Partner Center&rsquo;s web and native apps. In Step 3,
          the Entra app step offers <strong>Set up Microsoft for me</strong>: a Global Administrator signs in once and TotalOne creates the &ldquo;Total One
          App&rdquo;, its permissions, admin consent and secret for you, showing each change.
        </p>
        <Step2Checklist />
      </section>

      <section className="card card--accent" aria-labelledby="connect-title">
        <p className="eyebrow">Step 3</p>
        <h2 id="connect-title">Connect through the one-time link</h2>
        <ul className="checklist">
          <li>Open the signup link from your email only after Step 2, within 48 hours, and preferably in a private (incognito) window, so your everyday Microsoft account does not sign in by itself.</li>
          <li>Accept the terms, enter the Entra app and Partner Center app details, and sign in with the service account.</li>
          <li>We check the connection, then import your customers. You receive an email when your TotalOne tenant is ready.</li>
        </ul>
        <p>
          Link lost or expired? <Link to="/help">Request a new one</Link>. Stuck? <Link to="/support">Contact support</Link>.
        </p>
        <Link to="/signup" className="button button--primary">
          Start signup
        </Link>
      </section>
    </div>
  );
}
