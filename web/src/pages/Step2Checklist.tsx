import { useEffect, useState } from 'react';
import { api } from '../api.ts';

// Step 2 of the guide: what the partner prepares in Microsoft before opening the signup link, with
// where each value is found in today's portals. The landing page and the printable checklist
// (/checklist) show the same list.

export function Step2Checklist() {
  return (
    <>
      <h3>A service account for TotalOne</h3>
      <ul className="checklist">
        <li>
          A new user used only by TotalOne, for example total.one@yourdomain.onmicrosoft.com, with a strong password that does not expire: Microsoft
          365 admin center (admin.microsoft.com) &gt; Users &gt; Active users &gt; Add a user.
        </li>
        <li>
          Roles: <strong>Global Administrator</strong> (same page: the user &gt; Manage roles &gt; Admin center access), and in Partner Center
          (partner.microsoft.com) &gt; gear icon &gt; Account settings &gt; User management &gt; the user: <strong>Admin agent</strong> and{' '}
          <strong>Incentive administrator</strong> (entire organisation). Admin agent adds the account to the AdminAgents security group.
        </li>
        <li>
          <strong>Multi-factor authentication</strong> enforced and set up: a Conditional Access policy requiring it (Entra admin center,
          entra.microsoft.com &gt; Protection &gt; Conditional Access) or security defaults, then sign in once with the new account in a private
          window at aka.ms/mysecurityinfo and enrol, for example with Microsoft Authenticator. TotalOne asks Microsoft to prompt for the second factor when the account signs in, and refuses a
          sign-in without it. Microsoft requires it step by step: for the Azure portal and the Entra and Intune admin centers since 15 October 2024,
          for the Partner Center portal since 8 September 2025, and since 1 April 2026 Partner Center refuses API calls made with a user&rsquo;s
          sign-in (as TotalOne&rsquo;s) when that sign-in did not use a second factor.
        </li>
      </ul>

      <h3>Partner Center web app</h3>
      <ul className="checklist">
        <li>In Partner Center (partner.microsoft.com), the gear icon &gt; Account settings &gt; App management &gt; Web app: note the web app&rsquo;s <strong>App ID</strong>.</li>
        <li>
          On the same page, <strong>Add key</strong> to create a new secret (two years is a good validity). Copy it at once, without trailing
          spaces: Partner Center shows it only this once. The wizard reads its expiry date from Microsoft. This secret also protects your data in
          TotalOne: keep it safe, nobody can recover it for you.
        </li>
        <li>
          Note the <strong>native app ID</strong>: App management &gt; Native app (add one if there is none).
        </li>
        <li>
          Register TotalOne&rsquo;s <strong>reply address</strong> on the web app. The web app is also an app registration in your tenant: in the
          Entra admin center (entra.microsoft.com) open Identity &gt; Applications &gt; App registrations &gt; All applications &gt; the Partner Center web app (its Application ID is the web app&rsquo;s
          App ID) &gt; Authentication &gt; Add a platform &gt; <strong>Web</strong>, and add this address under Redirect URIs, exactly as shown:{' '}
          <LandingReplyAddress />. Without it, Microsoft stops the sign-in in Step 3 on its own page (error AADSTS50011); the wizard checks it before
          the sign-in starts.
        </li>
      </ul>

      <h3>An app registration in Microsoft Entra</h3>
      <ul className="checklist">
        <li>
          In the Entra admin center, Identity &gt; Applications &gt; App registrations &gt; New registration: register an app for TotalOne (single
          tenant) and note its <strong>Application (client) ID</strong> and your <strong>Directory (tenant) ID</strong> from its Overview.
        </li>
        <li>
          Under Certificates &amp; secrets &gt; New client secret, create a <strong>client secret</strong> and copy its <strong>Value</strong> (not
          its Secret ID): it is shown only right after you create it.
        </li>
        <li>
          Under API permissions &gt; Add a permission &gt; Microsoft Graph, add these permissions:
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
          <strong>Grant admin consent</strong> for your organisation (API permissions &gt; Grant admin consent for &hellip;): the Status column turns
          green.
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
    </>
  );
}

/** The exact reply address of this installation (its public URL), as the server builds it. */
export function LandingReplyAddress() {
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
