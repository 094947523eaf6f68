// The GraphQL-over-HTTP audit of graphql-http against a live Roster:
// every MUST and SHOULD passes (no error, no warning).
//   ROSTER_URL=http://127.0.0.1:8080 node audit.mjs
import { auditServer } from 'graphql-http';

const url = `${process.env.ROSTER_URL}/graphql`;
const results = await auditServer({ url, fetchFn: fetch });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  if (result.status === 'warn' || result.status === 'error') {
    console.log(`${result.status}: ${result.id} ${result.name}: ${result.reason}`);
  }
}
const failed = counts.warn + counts.error;
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.notice} notices (MAY), ${counts.warn} warnings, ${counts.error} errors`);
process.exit(failed ? 1 : 0);
