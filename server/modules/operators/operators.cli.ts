import { runOperatorCli } from './operators.cli.main.ts';

// npm run operator -- create|invite|disable|list ... (see operators.cli.main.ts)
runOperatorCli(process.argv.slice(2)).then((code) => process.exit(code));
