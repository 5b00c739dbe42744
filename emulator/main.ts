// Standalone emulator: npm run emulator -- --scenario ready --port 4010
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildScenario, listScenarios, startEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'ready' },
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'reply-address': { type: 'string' },
    list: { type: 'boolean', default: false },
    dump: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    log: { type: 'boolean', default: false },
    'key-vault': { type: 'boolean', default: false },
    'key-vault-port': { type: 'string', default: '4011' },
  },
});

if (values.help) {
  console.log(`Usage: npm run emulator -- [options]
  --scenario NAME|FILE.json   built-in scenario (default ready) or a scenario file
  --port N                    port (default 4010; 0 = any free port)
  --host HOST                 listen address (default 127.0.0.1)
  --reply-address URL         the product's reply address: ready and its variants register it on the
                              Partner Center web app (Web redirect URI); reply-address-missing does not
  --key-vault                 also serve Azure Key Vault keys over https (--key-vault-port, default 4011)
  --list                      list the built-in scenarios
  --dump                      print the chosen scenario as JSON and exit
  --log                       log every request`);
  process.exit(0);
}

if (values.list) {
  for (const s of listScenarios()) console.log(`${s.name.padEnd(32)} ${s.description}`);
  process.exit(0);
}

// --dump prints a built-in scenario as JSON: a starting point for a scenario file.
if (values.dump) {
  console.log(JSON.stringify(buildScenario(values.scenario, new Date()), null, 2));
  process.exit(0);
}

// --scenario takes a built-in name or the path of a JSON scenario file.
const scenario = values.scenario.endsWith('.json') ? JSON.parse(readFileSync(values.scenario, 'utf8')) : values.scenario;
const emulator = await startEmulator({
  scenario,
  port: Number(values.port),
  host: values.host,
  logger: values.log,
  ...(values['reply-address'] ? { replyAddress: values['reply-address'] } : {}),
  keyVault: values['key-vault'] ? { port: Number(values['key-vault-port']) } : false,
});
const f = emulator.facts;
const base = emulator.baseUrl;
console.log(`Microsoft emulator listening on ${base}  (scenario: ${emulator.scenario.name})
  ${emulator.scenario.description}

Endpoints
  authorize        ${base}/${f.tenantId}/oauth2/v2.0/authorize
  token            ${base}/${f.tenantId}/oauth2/v2.0/token   (v1: ${base}/${f.tenantId}/oauth2/token)
  discovery        ${base}/${f.tenantId}/v2.0/.well-known/openid-configuration
  Graph            ${base}/v1.0
  Partner Center   ${base}/v1
  admin            ${base}/_emulator

Partner tenant     ${f.tenantId}  (${f.domains.join(', ')})
Service account    ${f.serviceAccount.upn}
  password         ${f.serviceAccount.password}
  MFA              ${f.serviceAccount.mfa}${f.serviceAccount.totpSecret ? `  TOTP secret ${f.serviceAccount.totpSecret}  (current code: ${base}/_emulator/totp?upn=${encodeURIComponent(f.serviceAccount.upn)})` : ''}
Total One app      client id ${f.totalOneApp.appId}
  secret           ${f.totalOneApp.secret ?? '(none)'}  expires ${f.totalOneApp.secretEndDateTime ?? '-'}
Partner Center     web app id ${f.partnerCenter.webAppId}
  web app secret   ${f.partnerCenter.webAppSecret ?? '(none)'}
  native app id    ${f.partnerCenter.nativeAppId}
  MPN ID           ${f.partnerCenter.mpnId}, ${f.partnerCenter.customerCount} customers
Reply address      ${webAppRedirectUris(emulator).join(', ') || '(none registered on the Partner Center web app; pass --reply-address URL)'}

${emulator.keyVault ? `Key Vault          ${emulator.keyVault.vaultUrl}  key ${emulator.keyVault.keyName}  (CA certificate: ${base}/_emulator/key-vault)
  vault tenant     ${emulator.keyVault.tenantId}
  client id        ${emulator.keyVault.clientId}
  client secret    ${emulator.keyVault.clientSecret}
` : ''}
Scenarios: ${listScenarios().map((s) => s.name).join(', ')}  (--list for descriptions)`);

function webAppRedirectUris(e: typeof emulator): string[] {
  const tenant = e.scenario.tenants[0];
  return tenant?.applications.find((a) => a.appId === tenant.partnerCenter.webAppId)?.webRedirectUris ?? [];
}

const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
