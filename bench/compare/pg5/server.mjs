// PostGraphile 5 HTTP server for bench/compare/run.sh.
// Usage: node --require ./polyfill.cjs server.mjs
// Environment: PG5_HOST, PG5_PORT, PG5_WORKERS (1 = this process serves;
// N > 1 = node:cluster primary forking N workers that share the port),
// plus those read by graphile.config.mjs. NODE_ENV=production.
import cluster from "node:cluster";
import { createServer } from "node:http";

const host = process.env.PG5_HOST || "127.0.0.1";
const port = Number(process.env.PG5_PORT || 5678);
const workers = Number(process.env.PG5_WORKERS || 1);

if (workers > 1 && cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      console.error(`pg5: worker ${worker.process.pid} exited (${signal || code}); stopping`);
      stopping = true;
      for (const w of Object.values(cluster.workers)) w?.kill();
      process.exit(1);
    }
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w?.kill();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const { postgraphile } = await import("postgraphile");
  const { grafserv } = await import("postgraphile/grafserv/node");
  const { default: preset } = await import("./graphile.config.mjs");
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  // Build the schema before accepting connections.
  await pgl.getSchemaResult();
  const server = createServer();
  server.on("error", (e) => {
    console.error("pg5:", e);
    process.exit(1);
  });
  await serv.addTo(server);
  server.listen(port, host, () => {
    console.error(`pg5: pid ${process.pid} listening on http://${host}:${port}/graphql`);
  });
  const stop = () => {
    server.close();
    pgl.release().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
