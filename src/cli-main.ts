// Entry point when run directly (`tsx src/cli-main.ts`, or bin/specedit.mjs from dist/).
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
