// CPU time per request of the Worker under `wrangler dev`, from V8's sampling profiler
// over the DevTools protocol (wrangler's inspector port): for each case, the profiler
// runs while the case's requests are made one after another, and the time of every
// sample with our code on its stack (the wasm, worker-build's JS glue, and the runtime
// APIs they call) is summed and divided by the number of requests. `wrangler dev` reports no CPU time
// itself; this is the same measurement the DevTools "Profiler" tab makes.
//
// usage: node benches/cpu-profile.mjs <inspector-port> <cases.json>
// cases.json: [{"label", "url", "method"?, "headers"?, "body"? | "bodies"?, "n"}]; prints JSON lines
// {"label", "n", "cpu_ms_per_request", "samples"}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The `ws` package that wrangler itself installs (through miniflare): wrangler's
// inspector proxy refuses the handshake of Node's built-in WebSocket client.
const WebSocket = createRequire(import.meta.url)("ws");

const [port, casesFile] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, "utf8"));
const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
await new Promise((ok, fail) => { ws.on("open", ok); ws.on("error", fail); });
let next = 1;
const waiting = new Map();
ws.on("message", (data) => {
  const message = JSON.parse(String(data));
  if (message.id && waiting.has(message.id)) {
    waiting.get(message.id)(message);
    waiting.delete(message.id);
  }
});
const call = (method, params = {}) => new Promise((ok) => {
  const id = next++;
  waiting.set(id, ok);
  ws.send(JSON.stringify({ id, method, params }));
});

await call("Profiler.enable");
const INTERVAL_US = 100;
await call("Profiler.setSamplingInterval", { interval: INTERVAL_US });
for (const c of cases) {
  // `bodies`: one body per request (the first warms up), for requests that must not
  // repeat (SAML responses are single-use).
  if (c.bodies) c.n = c.bodies.length - 1;
  const bodyOf = (i) => (c.bodies ? c.bodies[i] : c.body);
  const send = (i) => fetch(c.url, { method: c.method ?? "GET", headers: c.headers ?? {}, body: bodyOf(i), redirect: "manual" });
  await (await send(0)).arrayBuffer(); // warm: compile and caches out of the figure
  await call("Profiler.start");
  for (let i = 0; i < c.n; i++) {
    const r = await send(i + 1);
    await r.arrayBuffer();
    if (r.status >= 500 || (c.expect && r.status !== c.expect)) throw new Error(`${c.label}: ${r.status}`);
  }
  const { result } = await call("Profiler.stop");
  const profile = result.profile;
  // A sample is the Worker's CPU when our code is on its stack: the wasm module or
  // worker-build's JS glue (and what they call: runtime APIs, crypto, JSON). Samples
  // with only "(program)" or "(idle)" at the root are the isolate waiting (workerd does
  // not mark every wait as idle), and wrangler's dev-only middleware alone is not ours.
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ours = (url) => url.startsWith("wasm://") || /(^|\/)(shim|index)\.js$/.test(url);
  const memo = new Map();
  const inOurs = (id) => {
    if (memo.has(id)) return memo.get(id);
    const node = byId.get(id);
    const result = node !== undefined && (ours(node.callFrame.url) || (parent.has(id) && inOurs(parent.get(id))));
    memo.set(id, result);
    return result;
  };
  // Each sample stands for one sampling interval (summing the gaps between samples would
  // charge a wait that follows our last frame to us).
  const ourSamples = profile.samples.filter(inOurs).length;
  const busyUs = ourSamples * INTERVAL_US;
  if (process.env.CPU_PROFILE_DEBUG) {
    // Where the counted samples are: microseconds per request by the sampled (leaf)
    // function, over the samples counted above.
    const byName = new Map();
    const name = new Map(profile.nodes.map((n) => [n.id, `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*\//, "")}`]));
    for (const node of profile.samples.filter(inOurs)) byName.set(name.get(node), (byName.get(name.get(node)) ?? 0) + INTERVAL_US / c.n);
    // And inclusive time of our own Rust functions (a sample counts once for each
    // distinct one on its stack).
    const inclusive = new Map();
    for (const node of profile.samples.filter(inOurs)) {
      const seen = new Set();
      for (let id = node; id !== undefined; id = parent.get(id)) {
        const f = byId.get(id).callFrame.functionName;
        const m = /^<?(orgpass[a-z_]*::[A-Za-z0-9_:]+)/.exec(f);
        if (m) seen.add(m[1].replace(/::h[0-9a-f]{16}$/, "").replace(/::\{\{closure\}\}/g, ""));
      }
      for (const f of seen) inclusive.set(f, (inclusive.get(f) ?? 0) + INTERVAL_US / c.n);
    }
    // And by the crate (or runtime part) of the sampled function: where a route's CPU
    // goes in kinds of work (XML, c14n, digests, RSA, D1 decoding, JS glue, …).
    const kind = (frame) => {
      const f = frame.functionName;
      if (frame.url.startsWith("wasm://")) {
        const m = /^<?(?:&(?:mut )?)?([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::([a-z_][a-z0-9_]*)?/.exec(f);
        if (!m) return "wasm (other)";
        return ["saml_sp", "orgpass", "orgpass_core", "orgpass_app"].includes(m[1]) && m[2] ? `${m[1]}::${m[2]}` : m[1];
      }
      if (/shim\.js$|index\.js$/.test(frame.url)) return "js glue (wasm-bindgen, worker)";
      if (frame.url.includes("d1-api")) return "D1 client (runtime JS)";
      return `runtime: ${f || "(anonymous)"}`;
    };
    const byKind = new Map();
    for (const node of profile.samples.filter(inOurs)) {
      const k = kind(byId.get(node).callFrame);
      byKind.set(k, (byKind.get(k) ?? 0) + INTERVAL_US / c.n);
    }
    console.error(c.label, "by kind", [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 24).map(([k, v]) => `${v.toFixed(0)}us ${k}`));
    console.error(c.label, "inclusive", [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${v.toFixed(0)}us ${k}`));
    console.error(c.label, [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${v.toFixed(0)}us ${k.slice(0, 110)}`));
  }
  console.log(JSON.stringify({
    label: c.label,
    n: c.n,
    cpu_ms_per_request: Number((busyUs / 1000 / c.n).toFixed(3)),
    samples: ourSamples,
    wall_ms: Number(((profile.endTime - profile.startTime) / 1000).toFixed(1)),
  }));
}
ws.close();
