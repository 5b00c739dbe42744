import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Link, usePageTitle } from '../router.tsx';

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
            <a href="#prepare-microsoft">The full checklist</a> is below.
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

        <h3>A service account for TotalOne</h3>
        <ul className="checklist">
          <li>A new user used only by TotalOne, for example total.one@yourdomain.onmicrosoft.com, with a strong password that does not expire.</li>
          <li>
            Roles: <strong>Global Administrator</strong> in Microsoft 365, and in Partner Center <strong>Admin Agent</strong> and{' '}
            <strong>Incentives administrator</strong> (entire organisation). Check that the account is a member of the AdminAgents security group.
          </li>
          <li>
            <strong>Multi-factor authentication</strong> enforced and set up: sign in once with the new account in a private window and enrol, for
            example with Microsoft Authenticator. TotalOne asks Microsoft to prompt for the second factor when the account signs in, and refuses a
            sign-in without it. Microsoft requires it step by step: for the Azure portal and the Entra and Intune admin centers since 15 October 2024,
            for the Partner Center portal since 8 September 2025, and since 1 April 2026 Partner Center refuses API calls made with a user&rsquo;s
            sign-in (as TotalOne&rsquo;s) when that sign-in did not use a second factor.
          </li>
        </ul>

        <h3>Partner Center web app</h3>
        <ul className="checklist">
          <li>In Partner Center (partner.microsoft.com), the gear icon &gt; Account settings &gt; App management &gt; Web app: note the web app&rsquo;s <strong>App ID</strong>.</li>
          <li>
            Create a new <strong>secret</strong> for it (two years is a good validity). Copy it without trailing spaces and note its expiry date. This
            secret also protects your data in TotalOne: keep it safe, nobody can recover it for you.
          </li>
          <li>
            Note the <strong>native app ID</strong> shown on the same page.
          </li>
          <li>
            Register TotalOne&rsquo;s <strong>reply address</strong> on the web app. The web app is also an app registration in your tenant: in the
            Entra admin center open App registrations &gt; All applications &gt; the Partner Center web app (its Application ID is the web app&rsquo;s
            App ID) &gt; Authentication &gt; Add a platform &gt; <strong>Web</strong>, and add this address under Redirect URIs, exactly as shown:{' '}
            <LandingReplyAddress />. Without it, Microsoft stops the sign-in in Step 3 on its own page (error AADSTS50011); the wizard checks it before
            the sign-in starts.
          </li>
        </ul>

        <h3>An app registration in Microsoft Entra</h3>
        <ul className="checklist">
          <li>
            In the Azure portal, App registrations, register a new app for TotalOne and note its <strong>Application (client) ID</strong>.
          </li>
          <li>
            Under Certificates &amp; secrets, create a <strong>client secret</strong> and note its value.
          </li>
          <li>
            Under API permissions, add these Microsoft Graph permissions:
            <ul className="permission-list">
              <li>
                Application: <code>Directory.ReadWrite.All</code>, <code>Group.ReadWrite.All</code>, <code>RoleManagement.ReadWrite.Directory</code>,{' '}
                <code>User.ReadWrite.All</code>
              </li>
              <li>
                Delegated: <code>User.Read</code>
              </li>
            </ul>
          </li>
          <li>
            <strong>Grant admin consent</strong> for your organisation.
          </li>
          <li>
            Recommended: also the application permission <code>DelegatedAdminRelationship.Read.All</code>, so TotalOne can tell which customers you
            can administer through GDAP (without it your customers are still imported).
          </li>
          <li>
            You do not need to add the app to the AdminAgents group, as older guides asked: under GDAP that membership grants nothing in your
            customers&rsquo; tenants.
          </li>
        </ul>

        <h3>GDAP relationships with your customers</h3>
        <ul className="checklist">
          <li>
            For every customer TotalOne should administer: an <strong>active GDAP relationship</strong> (Partner Center &gt; Customers &gt; the
            customer &gt; Admin relationships) that includes <strong>Global Administrator</strong>. Read-only relationships from Microsoft&rsquo;s
            transition (named <code>MLT_&hellip;</code>) are not enough.
          </li>
          <li>
            In that relationship, <strong>assign a security group that contains the service account</strong> (Assign roles to security groups). Roles
            of a relationship reach nobody until a group is assigned.
          </li>
          <li>
            Relationships with Global Administrator cannot auto-extend: renew them before they end. TotalOne shows which customers lack access and
            why.
          </li>
        </ul>
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

/** The exact reply address of this installation (its public URL), as the server builds it. */
function LandingReplyAddress() {
  const [address, setAddress] = useState<string>();
  useEffect(() => {
    let current = true;
    api
      .replyAddress()
      .then((body) => current && setAddress(body.replyAddress))
      .catch(() => current && setAddress(`${location.origin}/api/connect/microsoft/callback`));
    return () => {
      current = false;
    };
  }, []);
  return <span className="mono reply-address-inline">{address ?? '…/api/connect/microsoft/callback'}</span>;
}
