import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from src/ when run from sources and from dist/ when compiled. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
