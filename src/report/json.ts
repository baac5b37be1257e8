// `intake report --format json` and `/api/cases`: the same bytes from the same function.
import { listCases } from '../store/cases.js';
import type { Db } from '../store/db.js';

export async function reportJson(db: Db): Promise<string> {
  return `${JSON.stringify(await listCases(db), null, 2)}\n`;
}
