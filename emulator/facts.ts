// The facts of a scenario a test or a person needs to sign in and configure the product:
// what the partner would copy into the TotalOne Signup wizard in step 3.
import { TOTP } from 'otpauth';
import type { Scenario, ScenarioTenant } from './scenarios/types.ts';
import { customerCount } from './partner-center/customers.ts';

export interface TenantFacts {
  tenantId: string;
  domain: string;
  domains: string[];
  serviceAccount: { id: string; upn: string; password: string; mfa: 'totp' | 'approve' | 'none'; totpSecret?: string };
  totalOneApp: { appId: string; objectId: string; secret?: string; secretKeyId?: string; secretEndDateTime?: string; servicePrincipalId?: string };
  partnerCenter: { webAppId: string; webAppSecret?: string; nativeAppId: string; mpnId: string; companyName: string; customerCount: number; throttleBudget: number };
  adminAgentsGroupId: string;
}

export function tenantFacts(tenant: ScenarioTenant): TenantFacts {
  const account = tenant.users.find((u) => u.userPrincipalName === tenant.roles.serviceAccountUpn)!;
  // Absent in the setup scenarios (nothing registered yet): ids are then empty.
  const app = tenant.applications.find((a) => a.appId === tenant.roles.totalOneAppId) ?? { appId: '', id: '', passwordCredentials: [] };
  const appSecret = app.passwordCredentials.at(-1);
  const pcApp = tenant.applications.find((a) => a.appId === tenant.partnerCenter.webAppId);
  return {
    tenantId: tenant.id,
    domain: tenant.domains[0]!,
    domains: tenant.domains,
    serviceAccount: {
      id: account.id,
      upn: account.userPrincipalName,
      password: account.password,
      mfa: account.mfa?.method ?? 'none',
      ...(account.mfa?.method === 'totp' ? { totpSecret: account.mfa.secret } : {}),
    },
    totalOneApp: {
      appId: app.appId,
      objectId: app.id,
      ...(appSecret ? { secret: appSecret.secretText, secretKeyId: appSecret.keyId, secretEndDateTime: appSecret.endDateTime } : {}),
      ...(tenant.servicePrincipals.find((s) => s.appId === app.appId) ? { servicePrincipalId: tenant.servicePrincipals.find((s) => s.appId === app.appId)!.id } : {}),
    },
    partnerCenter: {
      webAppId: tenant.partnerCenter.webAppId,
      ...(pcApp?.passwordCredentials.at(-1) ? { webAppSecret: pcApp.passwordCredentials.at(-1)!.secretText } : {}),
      nativeAppId: tenant.partnerCenter.nativeAppId,
      mpnId: tenant.partnerCenter.mpnId,
      companyName: tenant.partnerCenter.companyName,
      customerCount: customerCount(tenant.partnerCenter.customers),
      throttleBudget: tenant.partnerCenter.throttle.budget,
    },
    adminAgentsGroupId: tenant.roles.adminAgentsGroupId,
  };
}

/** Facts of the partner tenants (the operator's own tenant, if any, is described by keyVault facts). */
export function scenarioFacts(scenario: Scenario): TenantFacts[] {
  return scenario.tenants.filter((t) => t.kind !== 'operator').map(tenantFacts);
}

/** The current 6-digit code an authenticator app would show for this secret. */
export function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at.getTime() });
}
