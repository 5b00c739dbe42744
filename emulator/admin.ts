// The admin API (/_emulator/...): tests and people load scenarios, patch them, move the clock
// and read what happened. Production code never calls it.
import type { FastifyInstance } from 'fastify';
import { scenarioFacts, totpCode } from './facts.ts';
import { findUserByUpn } from './directory.ts';
import { STYLESHEET, STYLESHEET_PATH } from './identity/pages.ts';
import { listScenarios } from './scenarios/index.ts';
import { PatchError, type PatchOperation } from './scenarios/patch.ts';
import type { Scenario } from './scenarios/types.ts';
import type { EmulatorState } from './state.ts';

export interface AdminControls {
  load(nameOrScenario: string | Scenario, parameters?: { replyAddress?: string }): void;
  reset(): void;
  patch(...ops: PatchOperation[]): unknown[];
  advanceClock(seconds: number): void;
  /** Vault URL, CA certificate and access app, when the Key Vault listener runs. */
  keyVault(): object | undefined;
}

export function registerAdmin(app: FastifyInstance, state: EmulatorState, controls: AdminControls): void {
  app.get(STYLESHEET_PATH, (_request, reply) => reply.header('content-type', 'text/css; charset=utf-8').send(STYLESHEET));

  app.get('/_emulator', () => ({
    baseUrl: state.baseUrl,
    scenario: state.scenario.name,
    now: state.now().toISOString(),
    facts: scenarioFacts(state.scenario),
    endpoints: {
      identity: `${state.baseUrl}/{tenant}/oauth2/v2.0/authorize | token`,
      graph: `${state.baseUrl}/v1.0`,
      partnerCenter: `${state.baseUrl}/v1`,
      admin: `${state.baseUrl}/_emulator`,
    },
  }));
  app.get('/_emulator/scenarios', () => ({ value: listScenarios() }));
  app.get('/_emulator/key-vault', (_request, reply) => controls.keyVault() ?? reply.status(404).send({ error: 'The Key Vault listener is not running (start with keyVault: true or --key-vault)' }));
  app.get('/_emulator/scenario', () => state.scenario);
  app.get('/_emulator/facts', () => ({ value: scenarioFacts(state.scenario) }));

  app.post('/_emulator/scenario', (request, reply) => {
    const body = (request.body ?? {}) as { name?: string; scenario?: Scenario; replyAddress?: string | null };
    try {
      if (body.replyAddress !== undefined && body.replyAddress !== null && typeof body.replyAddress !== 'string') throw new Error('replyAddress must be a string (or null to register none)');
      if (body.scenario) controls.load(body.scenario);
      else if (body.name) controls.load(body.name, body.replyAddress !== undefined ? { replyAddress: body.replyAddress ?? undefined } : undefined);
      else return reply.status(400).send({ error: 'Send {"name": "<built-in scenario>", "replyAddress"?: "<url>"} or {"scenario": {...}}' });
    } catch (err) {
      return reply.status(400).send({ error: (err as Error).message });
    }
    return { scenario: state.scenario.name, facts: scenarioFacts(state.scenario) };
  });

  app.post('/_emulator/reset', () => {
    controls.reset();
    return { scenario: state.scenario.name };
  });

  app.post('/_emulator/scenario/patch', (request, reply) => {
    const body = (request.body ?? {}) as PatchOperation | { operations: PatchOperation[] };
    const ops = 'operations' in body ? body.operations : [body];
    try {
      return { results: controls.patch(...ops) };
    } catch (err) {
      if (err instanceof PatchError || err instanceof Error) return reply.status(400).send({ error: err.message });
      throw err;
    }
  });

  app.get('/_emulator/clock', () => ({ now: state.now().toISOString(), offsetSeconds: state.clockOffsetMs / 1000 }));
  app.post('/_emulator/clock', (request, reply) => {
    const body = (request.body ?? {}) as { advanceSeconds?: number };
    if (typeof body.advanceSeconds !== 'number') return reply.status(400).send({ error: 'Send {"advanceSeconds": n}' });
    controls.advanceClock(body.advanceSeconds);
    return { now: state.now().toISOString() };
  });

  // The demo's stand-in for the authenticator app: without ?upn, every user of the running
  // scenario that has a TOTP method, with the current code and how long it stays valid.
  app.get('/_emulator/totp', (request, reply) => {
    const { upn } = request.query as { upn?: string };
    const now = state.now();
    const secondsLeft = 30 - (Math.floor(now.getTime() / 1000) % 30);
    if (!upn) {
      const users = state.scenario.tenants.flatMap((tenant) => tenant.users.map((user) => ({ tenant, user })));
      const value = users.flatMap(({ tenant, user }) =>
        user.mfa?.method === 'totp' ? [{ upn: user.userPrincipalName, tenantId: tenant.id, code: totpCode(user.mfa.secret, now), secondsLeft }] : [],
      );
      return { value, note: value.length === 0 ? 'No user of the running scenario has a TOTP method.' : 'Codes change every 30 seconds; reload for the next one.' };
    }
    const found = findUserByUpn(state.scenario, upn);
    if (!found || found.user.mfa?.method !== 'totp') return reply.status(404).send({ error: 'No user with a TOTP method by that UPN' });
    return { upn: found.user.userPrincipalName, code: totpCode(found.user.mfa.secret, now), secondsLeft };
  });

  app.get('/_emulator/requests', (request) => {
    const { service } = request.query as { service?: string };
    return { value: service ? state.requests.filter((r) => r.service === service) : state.requests };
  });
  app.get('/_emulator/tokens', () => ({ value: state.tokens }));
  app.get('/_emulator/events', (request) => {
    const { type } = request.query as { type?: string };
    return { value: type ? state.events.filter((e) => e.type.startsWith(type)) : state.events };
  });
  app.get('/_emulator/grants', () => ({
    value: state.scenario.tenants.map((t) => ({ tenantId: t.id, oauth2PermissionGrants: t.oauth2PermissionGrants, appRoleAssignments: t.appRoleAssignments })),
    events: state.events.filter((e) => e.type.startsWith('consent.') || e.type.startsWith('graph.')),
  }));
}
