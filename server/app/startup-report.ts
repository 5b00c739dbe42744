import type { Config } from '../config/config.ts';
import type { System } from './system.ts';

// What `npm start` prints once everything runs: where the pages are and, in the demo, everything
// a newcomer types into the wizard, the way into the console and the inbox.

export const DEMO_ADMIN_EMAIL = 'admin@totalone.example';

export async function startupReport(config: Readonly<Config>, system: System): Promise<string[]> {
  const lines = [`TotalOne Signup is running (${config.mode} mode, roles: ${config.roles.join(', ')}, database: ${system.database.kind}).`];
  if (system.url) {
    lines.push(`  Signup page      ${system.publicUrl}/signup`);
    lines.push(`  API reference    ${system.publicUrl}/docs`);
  }
  if (system.emulator) {
    const facts = system.emulator.facts;
    lines.push(`  Microsoft        ${system.emulator.baseUrl}   (built-in emulator, scenario "${config.emulator.scenario}")`);
    lines.push('');
    lines.push('Demo tenant (everything Step 2 of the guide prepares, ready to enter in Step 3):');
    lines.push(`  Entra domain              ${facts.domain}   (tenant ${facts.tenantId}; sign up with this domain)`);
    lines.push(`  Service account           ${facts.serviceAccount.upn} / ${facts.serviceAccount.password}`);
    if (facts.serviceAccount.mfa === 'totp') lines.push(`  MFA code                  ${system.emulator.baseUrl}/_emulator/totp   (changes every 30 s)`);
    lines.push(`  Entra app client ID       ${facts.totalOneApp.appId}`);
    if (facts.totalOneApp.secret) lines.push(`  Entra app client secret   ${facts.totalOneApp.secret}`);
    lines.push(`  Partner Center web app    ${facts.partnerCenter.webAppId}`);
    if (facts.partnerCenter.webAppSecret) lines.push(`  Partner Center secret     ${facts.partnerCenter.webAppSecret}`);
    const secretEnd = webAppSecretEnd(system);
    if (secretEnd) lines.push(`  Secret expires on         ${secretEnd}   (the Partner Center secret, as Partner Center shows it)`);
    lines.push(`  Partner Center native app ${facts.partnerCenter.nativeAppId}`);
    lines.push(`  MPN ID                    ${facts.partnerCenter.mpnId}`);
    const store = config.database.url ? 'database' : `data folder (${config.database.dataDir})`;
    lines.push(`  The demo tenant can be signed up and connected once per ${store}; \`npm run demo:reset\` starts the demo over.`);
    lines.push('');
  }
  if (config.mode === 'demo' && system.url && system.catcher) lines.push(...(await demoConsoleAccess(system)));
  if (system.catcher) lines.push(`  Demo inbox       ${system.publicUrl}/dev/mail   (SMTP catcher on port ${system.catcher.port})`);
  return lines;
}

/**
 * The demo's console needs an operator, and the embedded database cannot be opened by the CLI
 * while the app runs, so the demo invites its first administrator itself. An invitation sent by
 * an earlier start shows no link in the inbox any more (its one-time secret was erased once it was
 * sent), so while no administrator has set up an account, every start sends a new one.
 */
export async function demoConsoleAccess(system: Pick<System, 'publicUrl' | 'services'>): Promise<string[]> {
  const auth = system.services.operatorAuth;
  const actor = { type: 'system' as const, label: 'demo start-up' };
  const operators = await auth.list();
  const consoleLine = (note: string) => `  Operator console ${system.publicUrl}/console   ${note}`;
  if (operators.length === 0) {
    await auth.createOperator({ email: DEMO_ADMIN_EMAIL, role: 'admin' }, actor);
    return [consoleLine(`(invitation for ${DEMO_ADMIN_EMAIL} in the demo inbox)`)];
  }
  const demoAdmin = operators.find((o) => o.email === DEMO_ADMIN_EMAIL);
  const activeAdmin = operators.some((o) => o.role === 'admin' && o.status === 'active');
  if (!activeAdmin && demoAdmin?.status === 'invited') {
    await auth.reinvite(demoAdmin.id, actor);
    return [consoleLine(`(a new invitation for ${DEMO_ADMIN_EMAIL} in the demo inbox; earlier ones stop working)`)];
  }
  return [
    consoleLine(''),
    '    Invitation used or lost? Stop the demo (Ctrl+C), run',
    '      npm run operator -- create --email you@totalone.example --role admin',
    '    (or `npm run operator -- invite --email <address>` for an operator not set up yet), then `npm start`: the invitation is in the demo inbox.',
  ];
}

/** The day the demo's Partner Center web app secret expires, as Partner Center shows it. */
function webAppSecretEnd(system: System): string | undefined {
  const emulator = system.emulator!;
  const tenant = emulator.scenario.tenants.find((t) => t.id === emulator.facts.tenantId);
  const app = tenant?.applications.find((a) => a.appId === emulator.facts.partnerCenter.webAppId);
  return app?.passwordCredentials.at(-1)?.endDateTime?.slice(0, 10);
}
