import { ConfigError, loadConfig } from './config/config.ts';
import { installProcessGuards } from './app/process.ts';
import { startSystem, type System } from './app/system.ts';
import { createLogger } from './lib/logger.ts';

// Entry point: read the configuration, start the roles it names, print where everything is.

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // One logger for the process; the guards log what nothing else caught (see app/process.ts).
  const logger = createLogger({ level: config.log.level });
  let system: System | undefined;
  installProcessGuards({ logger, shutdown: async () => system?.close() });
  system = await startSystem(config, { logger });
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
    lines.push(`  Entra domain              ${facts.domain}   (tenant ${facts.tenantId})`);
    lines.push(`  Service account           ${facts.serviceAccount.upn} / ${facts.serviceAccount.password}`);
    if (facts.serviceAccount.mfa === 'totp') lines.push(`  MFA code                  ${system.emulator.baseUrl}/_emulator/totp   (changes every 30 s)`);
    lines.push(`  Entra app client ID       ${facts.totalOneApp.appId}`);
    if (facts.totalOneApp.secret) lines.push(`  Entra app client secret   ${facts.totalOneApp.secret}`);
    lines.push(`  Partner Center web app    ${facts.partnerCenter.webAppId}`);
    if (facts.partnerCenter.webAppSecret) lines.push(`  Partner Center secret     ${facts.partnerCenter.webAppSecret}`);
    lines.push(`  Partner Center native app ${facts.partnerCenter.nativeAppId}`);
    lines.push(`  MPN ID                    ${facts.partnerCenter.mpnId}`);
    lines.push('');
  }
  // The demo's console needs an operator; the embedded database cannot be opened by the CLI while
  // the app runs, so the demo invites its first administrator itself (the email lands in the inbox).
  if (config.mode === 'demo' && system.url && system.catcher) {
    const operators = await system.services.operatorAuth.list();
    if (operators.length === 0) {
      await system.services.operatorAuth.createOperator({ email: 'admin@totalone.example', role: 'admin' }, { type: 'system', label: 'demo start-up' });
    }
    lines.push(`  Operator console ${system.publicUrl}/console   ${operators.length === 0 ? '(invitation for admin@totalone.example in the demo inbox)' : ''}`);
  }
  if (system.catcher) lines.push(`  Demo inbox       ${system.publicUrl}/dev/mail   (SMTP catcher on port ${system.catcher.port})`);
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping...`);
    await system!.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error('TotalOne Signup could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
