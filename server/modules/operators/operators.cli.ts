import { runCliProcess } from '../../lib/cli.ts';
import { runOperatorCli } from './operators.cli.main.ts';

// npm run operator -- create|invite|disable|list ... (see operators.cli.main.ts)
runCliProcess(runOperatorCli);
