import type { DbOrTx } from '../../db/database.ts';
import type { SetupAction, SetupRunRow } from './connect.setup.fns.ts';

// The runs of "Set up Microsoft for me" (table microsoft_setup_runs). Every write of a running run
// is conditional on it still running: a run given up (interrupted) while its server was gone never
// overwrites the run that replaced it.

export function createSetupRunsRepo() {
  return {
    /**
     * Starts a run unless one of the partner's is still running: a running run not heard of since
     * `staleBefore` is given up first (its server stopped). Returns the new run's id (undefined when
     * one still runs) and the runs given up, for the audit trail.
     */
    async start(tx: DbOrTx, partnerId: string, now: Date, staleBefore: Date): Promise<{ runId: string | undefined; givenUp: SetupRunRow[] }> {
      const givenUp = await tx
        .updateTable('microsoft_setup_runs')
        .set({ status: 'interrupted', finished_at: now })
        .where('partner_id', '=', partnerId)
        .where('status', '=', 'running')
        .where('updated_at', '<', staleBefore)
        .returning(['status', 'actions', 'refusal', 'app_id', 'started_at', 'updated_at', 'finished_at'])
        .execute();
      const row = await tx
        .insertInto('microsoft_setup_runs')
        .values({ partner_id: partnerId, status: 'running', actions: '[]', started_at: now, updated_at: now })
        .onConflict((oc) => oc.column('partner_id').where('status', '=', 'running').doNothing())
        .returning('id')
        .executeTakeFirst();
      return { runId: row?.id, givenUp };
    },

    /** A run that ended before any action (the sign-in was refused): stored finished. */
    async insertRefused(db: DbOrTx, partnerId: string, now: Date, refusal: { message: string; fix: string }): Promise<void> {
      await db
        .insertInto('microsoft_setup_runs')
        .values({ partner_id: partnerId, status: 'refused', actions: '[]', refusal: JSON.stringify(refusal), started_at: now, updated_at: now, finished_at: now })
        .execute();
    },

    /** The actions so far; false when the run no longer runs (given up meanwhile). */
    async saveActions(db: DbOrTx, runId: string, actions: SetupAction[], now: Date): Promise<boolean> {
      const result = await db
        .updateTable('microsoft_setup_runs')
        .set({ actions: JSON.stringify(actions), updated_at: now })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async finish(db: DbOrTx, runId: string, end: { status: 'completed' | 'refused'; actions: SetupAction[]; refusal?: { message: string; fix: string }; appId?: string; now: Date }): Promise<boolean> {
      const result = await db
        .updateTable('microsoft_setup_runs')
        .set({
          status: end.status,
          actions: JSON.stringify(end.actions),
          refusal: end.refusal ? JSON.stringify(end.refusal) : null,
          app_id: end.appId ?? null,
          updated_at: end.now,
          finished_at: end.now,
        })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async latest(db: DbOrTx, partnerId: string): Promise<SetupRunRow | undefined> {
      return db
        .selectFrom('microsoft_setup_runs')
        .select(['status', 'actions', 'refusal', 'app_id', 'started_at', 'updated_at', 'finished_at'])
        .where('partner_id', '=', partnerId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
  };
}

export type SetupRunsRepo = ReturnType<typeof createSetupRunsRepo>;
