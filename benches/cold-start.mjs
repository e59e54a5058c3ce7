// Cold start of the release Worker (`make bench-cold-start`, docs/performance.md): the
// time from nothing to the first answer of a fresh isolate, measured with Miniflare (the
// workerd that `wrangler dev` runs). Each round starts a new workerd with the built
// Worker (build/index.js and its wasm), waits until it is ready (workerd has compiled
// and instantiated the wasm then: the glue does that at the module's top level) and
// sends `GET /healthz`, then disposes of it. Prints the wasm's size and the median and
// spread of each phase. A benchmark: it prints numbers and never fails on a slow machine.
//
// usage: node benches/cold-start.mjs [rounds]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const { Miniflare } = createRequire(import.meta.url)("miniflare");
const rounds = Number(process.argv[2] ?? 15);
const wasm = readFileSync("build/index_bg.wasm");
const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync("wrangler.toml", "utf8"))[1];

const options = {
  modules: true,
  scriptPath: "build/index.js",
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  compatibilityDate,
  d1Databases: ["DB"],
  kvNamespaces: ["KV"],
  bindings: { ENVIRONMENT: "development", BASE_URL: "http://127.0.0.1:8787" },
  // The Worker's request log line is not the bench's output.
  handleRuntimeStdio() {},
};

// A one-line JavaScript Worker, started the same way: what workerd itself costs.
const reference = {
  modules: true,
  script: 'export default { fetch() { return new Response("ok"); } };',
  compatibilityDate,
  handleRuntimeStdio() {},
};

async function measure(opts) {
  const phases = { ready: [], first: [], total: [] };
  for (let i = 0; i < rounds + 1; i++) {
    const start = performance.now();
    const mf = new Miniflare(opts);
    await mf.ready;
    const ready = performance.now();
    const res = await mf.dispatchFetch("http://127.0.0.1:8787/healthz");
    await res.text();
    const done = performance.now();
    await mf.dispose();
    if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
    // The first round warms the disk cache and Node's module loading: not counted.
    if (i === 0) continue;
    phases.ready.push(ready - start);
    phases.first.push(done - ready);
    phases.total.push(done - start);
  }
  return phases;
}

const floor = await measure(reference);
const ours = await measure(options);

const at = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const kib = (n) => (n / 1024).toFixed(1);
console.log(`wasm: ${kib(wasm.length)} KiB raw (\`make size\` gives the gzipped size); ${rounds} fresh isolates each`);
console.log("phase                                    p10 ms   p50 ms   p90 ms");
const row = (label, xs) =>
  console.log(`${label.padEnd(40)} ${at(xs, 0.1).toFixed(1).padStart(7)}  ${at(xs, 0.5).toFixed(1).padStart(7)}  ${at(xs, 0.9).toFixed(1).padStart(7)}`);
for (const [name, phases] of [["a one-line JS Worker (reference)", floor], ["orgpass", ours]]) {
  console.log(name);
  row("  start to ready (workerd, wasm compiled)", phases.ready);
  row("  ready to first answer (GET /healthz)", phases.first);
  row("  start to first answer", phases.total);
}
const p50 = (xs) => at(xs, 0.5);
console.log(`orgpass's own share of a cold start (p50, start to first answer, minus the reference): ${(p50(ours.total) - p50(floor.total)).toFixed(1)} ms`);
