// PostGraphile 5 configuration for bench/compare (used by server.mjs).
// Settings come from the environment set by run.sh:
//   PG5_DATABASE_URL  connection string (with application_name=...)
//   PG5_POOL_MAX      pool size of this process
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.PG5_DATABASE_URL;
if (!connectionString) {
  throw new Error("PG5_DATABASE_URL is not set");
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // Roster orders customers by created_at, which has no index. The index
  // behaviours plugin would hide orderBy/condition on unindexed columns
  // (the v5 equivalent of v4's --no-ignore-indexes), so it is disabled
  // to offer the same orderings as Roster; v4 runs with its default
  // (ignoreIndexes: true) for the same reason.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      pubsub: false,
      poolConfig: { max: Number(process.env.PG5_POOL_MAX || 10) },
    }),
  ],
  grafserv: {
    graphiql: false,
    watch: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
