import type { FastifyInstance } from 'fastify';
import type { EmulatorState } from '../state.ts';
import { appRoutes } from './app-routes.ts';
import { directoryRoutes } from './directory-routes.ts';
import { gdapRoutes } from './gdap-routes.ts';
import { registerGraph } from './router.ts';
import { setupRoutes } from './setup-routes.ts';

export function registerAppRoutes(app: FastifyInstance, state: EmulatorState): void {
  registerGraph(app, state, [...directoryRoutes, ...appRoutes, ...gdapRoutes, ...setupRoutes]);
}
