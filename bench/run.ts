import Fastify from 'fastify';
import { closedLoop, openLoop, request, type LoadResult, type OpenLoopResult } from './load.ts';
import { createTestDatabase, type Backend } from '../test/support/database.ts';
import { startTestSystem, generousLimits } from '../test/support/system.ts';
import { signupRequest } from '../test/support/factories.ts';
import { signupRequestSchema } from '../contracts/signup.ts';

// npm run bench: signup submissions per second at 50 connections, on PGlite and on PostgreSQL,
// against two baselines measured in the same run:
//   - a trivial Fastify route (the HTTP framework's ceiling on this machine), and
//   - the same signup transaction called straight on the service, with no HTTP in front
//     (the database's ceiling for this work).
// The figure that matters: signups/s divided by direct-SQL/s (target >= 0.6 on PostgreSQL, p99 < 50 ms).
// Then, on PostgreSQL, an open loop: signups sent at a fixed rate (100/s for 30 s) whatever the
// answers' pace, as independent visitors arrive, latency counted from when each was due
// (target p99 < 100 ms, no errors). BENCH_RATE and BENCH_OPEN_SECONDS change it.

const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const openRate = Number(process.env.BENCH_RATE ?? 100);
const openSeconds = Number(process.env.BENCH_OPEN_SECONDS ?? 30);
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

function line(label: string, r: LoadResult) {
  return `  ${label.padEnd(30)} ${r.perSecond.toFixed(0).padStart(7)} /s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   errors ${r.errors}`;
}

async function trivialRoute(): Promise<LoadResult> {
  const app = Fastify({ logger: false });
  app.get('/ping', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ping`;
  const result = await closedLoop(connections, seconds, async () => (await request(url, { method: 'GET' })).status === 200);
  await app.close();
  return result;
}

async function backendFigures(backend: Backend) {
  if (backend === 'postgres') process.env.TEST_POSTGRES_URL = postgresUrl;
  const database = await createTestDatabase(backend);
  // Web role only: the figures are about accepting signups; email sending runs in workers.
  const system = await startTestSystem(backend, { roles: ['web'], database, limits: generousLimits, env: { LOG_LEVEL: 'silent', ...(process.env.BENCH_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE } : {}) } });
  try {
    const meta = { ip: '127.0.0.1', userAgent: 'bench' };
    const direct = await closedLoop(connections, seconds, async () => {
      await system.services.signup.submitSignup(signupRequestSchema.parse(signupRequest()), meta);
      return true;
    });

    // One browser session: its CSRF cookie and token, as the signup page would send them.
    const first = await fetch(`${system.url}/api/csrf-token`);
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const freshToken = (await first.json()) as { token: string };
    const headers = { 'content-type': 'application/json', 'x-csrf-token': freshToken.token, cookie };
    const http = await closedLoop(connections, seconds, async () => {
      const response = await request(`${system.url}/api/signups`, { method: 'POST', headers, body: JSON.stringify(signupRequest()) });
      return response.status === 202;
    });
    // The open loop: a fresh browser session per visitor would add a token request each; the
    // rate is about signups, so the one session's token serves them all.
    let open: OpenLoopResult | undefined;
    if (backend === 'postgres' && openSeconds > 0) {
      open = await openLoop(openRate, openSeconds, async () => {
        const response = await request(`${system.url}/api/signups`, { method: 'POST', headers, body: JSON.stringify(signupRequest()) });
        return response.status === 202;
      });
    }
    const partners = await system.database.db.selectFrom('partners').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { direct, http, open, partners: partners.n };
  } finally {
    await system.dispose();
  }
}

async function main() {
  console.log(`TotalOne Signup benchmark: ${connections} connections, ${seconds} s per measurement, Node ${process.version}\n`);
  const trivial = await trivialRoute();
  console.log('HTTP framework ceiling');
  console.log(line('trivial Fastify route', trivial));

  for (const backend of ['pglite', 'postgres'] as const) {
    let figures;
    try {
      figures = await backendFigures(backend);
    } catch (error) {
      console.log(`\n${backend}: skipped (${error instanceof Error ? error.message : error})`);
      continue;
    }
    const { direct, http } = figures;
    console.log(`\n${backend}`);
    console.log(line('signup transaction, direct', direct));
    console.log(line('POST /api/signups over HTTP', http));
    console.log(`  ratio signups / direct SQL     ${(http.perSecond / direct.perSecond).toFixed(2)}   (target >= 0.6 on PostgreSQL)`);
    console.log(`  ratio signups / trivial route  ${(http.perSecond / trivial.perSecond).toFixed(3)}`);
    // In a closed loop every connection waits for its answer before sending again, so the mean
    // latency is at least connections / rate (Little's law): below 50 ms only above 1,000 signups/s
    // at 50 connections. The open loop below is the latency a visitor sees at a given load.
    const floor = (1000 * connections) / http.perSecond;
    console.log(`  p99 signup latency             ${http.p99.toFixed(1)} ms   (target < 50 ms): ${http.p99 < 50 ? 'met' : `not met; ${connections} connections at ${http.perSecond.toFixed(0)}/s wait ${floor.toFixed(0)} ms on average by Little's law`}`);
    if (figures.open) {
      const o = figures.open;
      console.log(line(`open loop, ${openRate} signups/s`, o));
      console.log(`  open loop: ${o.scheduled} scheduled over ${openSeconds} s, ${o.requests} accepted, ${o.errors} errors, ${o.dropped} never sent (over ${1000} in flight)`);
      console.log(`  p99 at ${openRate}/s                   ${o.p99.toFixed(1)} ms   (target < 100 ms): ${o.p99 < 100 && o.errors === 0 && o.dropped === 0 ? 'met' : 'NOT MET'}`);
    }
    console.log(`  partners written               ${figures.partners}`);
  }
  clearInterval(rssTimer);
  console.log(`\npeak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
