import { runCliProcess } from '../../lib/cli.ts';
import { runVaultRotate } from './vault.rotate.ts';

// npm run vault:rotate [-- --resume | --retire <version> | --retire-app-key <n> | --status] (see vault.rotate.ts)
runCliProcess(runVaultRotate);
