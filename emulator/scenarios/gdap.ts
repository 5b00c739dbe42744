// The GDAP variants of `ready`: which customers the partner can administer through granular
// delegated admin relationships (the relationships themselves are derived in graph/gdap.ts).
import type { ScenarioTenant } from './types.ts';

export interface GdapScenario {
  name: string;
  description: string;
  change: (tenant: ScenarioTenant, now: Date) => void;
}

function gdapOf(tenant: ScenarioTenant) {
  if (!tenant.gdap) throw new Error(`Scenario tenant ${tenant.id} has no GDAP setup`);
  return tenant.gdap;
}

export const gdapScenarios: GdapScenario[] = [
  {
    name: 'no-gdap',
    description: 'The partner has no GDAP relationship with any customer (only the customer list in Partner Center).',
    change: (t) => {
      delete t.gdap;
    },
  },
  {
    name: 'gdap-partial',
    description: '30% of the customers have no active GDAP relationship (none, expired or terminated); the others are active with Global Administrator.',
    change: (t) => {
      gdapOf(t).withoutActivePercent = 30;
    },
  },
  {
    name: 'gdap-expiring',
    description: '20% of the customers\' relationships end within 30 days; 20% auto-extend by 180 days (without Global Administrator, as Partner Center requires).',
    change: (t) => {
      Object.assign(gdapOf(t), { expiringPercent: 20, autoExtendPercent: 20 });
    },
  },
  {
    name: 'gdap-readonly',
    description: 'Only the Microsoft-led transition relationships (MLT_): eight default roles without Global Administrator, assigned to AdminAgents.',
    change: (t) => {
      gdapOf(t).microsoftLed = true;
    },
  },
];
