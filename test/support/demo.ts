import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../server/config/config.ts';
import { startupReport } from '../../server/app/startup-report.ts';
import { startSystem, type System } from '../../server/app/system.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { waitFor } from './sync.ts';

// The demo as `npm start` runs it (server/main.ts): embedded defaults, a PGlite database in a data
// folder, the built-in Microsoft emulator and mail catcher, the real clock, and what it prints at
// start-up. In this process, on the ports and folder given, so a test (or a script) can stop it,
// run a command on its data folder and start it again. Everything else is read back over HTTP,
// from the addresses it printed, as a newcomer reads them.

export interface DemoOptions {
  dataDir: string;
  /** The app's port (0: a free one). The operator CLI builds invitation links from the same PORT. */
  port: number;
  /** Where the built web app is; default none (integration tests use the API behind each page). */
  webDist?: string;
}

export interface Demo {
  system: System;
  /** The start-up output, line by line, as `npm start` prints it. */
  printed: string[];
  values: DemoValues;
  /** What the demo logged (warnings and errors), for a failure message. */
  logLines: string[];
  stop(): Promise<void>;
}

/** The values the start-up output gives a newcomer for the demo tenant, and the demo's addresses. */
export interface DemoValues {
  signupPage: string;
  operatorConsole: string;
  demoInbox: string;
  /** Absent when the demo runs without the emulator. */
  tenant?: {
    entraDomain: string;
    serviceAccount: { upn: string; password: string };
    mfaCodes: string;
    entraApp: { clientId: string; clientSecret: string };
    partnerCenter: { webAppId: string; webAppSecret: string; nativeAppId: string };
    mpnId: string;
  };
}

export function demoEnv(options: DemoOptions): Record<string, string> {
  return {
    APP_MODE: 'demo',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    EMULATOR_PORT: '0',
    MAIL_CATCHER_SMTP_PORT: '0',
    LOG_LEVEL: 'warn',
  };
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const logLines: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  // Only what `npm start` on a fresh clone sees: no variable of this process leaks in.
  const config = loadConfig(demoEnv(options));
  const system = await startSystem(config, { logger: createLogger({ level: 'warn', destination: capture }), webDist: options.webDist ?? '/nonexistent-web-dist' });
  try {
    const printed = await startupReport(config, system);
    return { system, printed, values: printedValues(printed), logLines, stop: () => system.close() };
  } catch (error) {
    await system.close();
    throw error;
  }
}

/** Reads the values a newcomer copies from the start-up output. */
export function printedValues(printed: string[]): DemoValues {
  const text = printed.join('\n');
  const value = (label: string) => {
    const match = new RegExp(`^  ${label.replace(/ /g, '\\s')}\\s+(\\S+)`, 'm').exec(text);
    assert.ok(match, `the start-up output has "${label}":\n${text}`);
    return match[1]!;
  };
  const signupPage = value('Signup page');
  const demo: DemoValues = { signupPage, operatorConsole: value('Operator console'), demoInbox: value('Demo inbox') };
  if (!/^Demo tenant/m.test(text)) return demo;
  const account = /^  Service account\s+(\S+) \/ (\S+)$/m.exec(text);
  assert.ok(account, 'the start-up output has the service account and its password');
  return {
    ...demo,
    tenant: {
      entraDomain: value('Entra domain'),
      serviceAccount: { upn: account[1]!, password: account[2]! },
      mfaCodes: value('MFA code'),
      entraApp: { clientId: value('Entra app client ID'), clientSecret: value('Entra app client secret') },
      partnerCenter: { webAppId: value('Partner Center web app'), webAppSecret: value('Partner Center secret'), nativeAppId: value('Partner Center native app') },
      mpnId: value('MPN ID'),
    },
  };
}

export interface InboxEmail {
  id: string;
  subject: string;
  to: string[];
  text: string;
}

/**
 * Waits until the demo inbox (the printed address; its page reads `/dev/api/mail`) lists an email
 * that `matches`, and returns it with its text.
 */
export async function waitForInboxEmail(demoInbox: string, matches: (email: { subject: string; to: string[] }) => boolean, what: string): Promise<InboxEmail> {
  const origin = new URL(demoInbox).origin;
  const listed = await waitFor(what, async () => {
    const response = await fetch(`${origin}/dev/api/mail`);
    assert.equal(response.status, 200);
    const { messages } = (await response.json()) as { messages: Array<{ id: string; subject: string; to: string[] }> };
    return messages.find(matches);
  }, 30_000);
  const response = await fetch(`${origin}/dev/api/mail/${listed.id}`);
  assert.equal(response.status, 200);
  return (await response.json()) as InboxEmail;
}

/** The current MFA code of `upn`, from the emulator's page the start-up output names. */
export async function mfaCode(mfaCodes: string, upn: string): Promise<string> {
  const response = await fetch(mfaCodes);
  assert.equal(response.status, 200);
  const { value } = (await response.json()) as { value: Array<{ upn: string; code: string }> };
  const code = value.find((entry) => entry.upn === upn)?.code;
  assert.ok(code && /^\d{6}$/.test(code), `an MFA code for ${upn} at ${mfaCodes}`);
  return code;
}
