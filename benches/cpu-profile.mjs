// CPU time per request of the Worker under `wrangler dev`, from V8's sampling profiler
// over the DevTools protocol (wrangler's inspector port): for each case, the profiler
// runs while the case's requests are made one after another, and the time of every
// sample that is not "(idle)" — our wasm, JS glue, workerd's runtime APIs, GC — is
// summed and divided by the number of requests. `wrangler dev` reports no CPU time
// itself; this is the same measurement the DevTools "Profiler" tab makes.
//
// usage: node benches/cpu-profile.mjs <inspector-port> <cases.json>
// cases.json: [{"label", "url", "method"?, "headers"?, "body"?, "n"}]; prints JSON lines
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
await call("Profiler.setSamplingInterval", { interval: 250 });
for (const c of cases) {
  const send = () => fetch(c.url, { method: c.method ?? "GET", headers: c.headers ?? {}, body: c.body });
  await (await send()).arrayBuffer(); // warm: compile and caches out of the figure
  await call("Profiler.start");
  for (let i = 0; i < c.n; i++) {
    const r = await send();
    await r.arrayBuffer();
    if (r.status >= 500) throw new Error(`${c.label}: ${r.status}`);
  }
  const { result } = await call("Profiler.stop");
  const profile = result.profile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let busyUs = 0;
  profile.samples.forEach((node, i) => { if (!idle.has(node)) busyUs += profile.timeDeltas[i] ?? 0; });
  if (process.env.CPU_PROFILE_DEBUG) {
    const byName = new Map();
    const name = new Map(profile.nodes.map((n) => [n.id, `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url}:${n.callFrame.lineNumber}`]));
    profile.samples.forEach((node, i) => byName.set(name.get(node), (byName.get(name.get(node)) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    console.error([...byName].sort((a, b) => b[1] - a[1]).slice(0, 12));
  }
  console.log(JSON.stringify({
    label: c.label,
    n: c.n,
    cpu_ms_per_request: Number((busyUs / 1000 / c.n).toFixed(3)),
    samples: profile.samples.length,
  }));
}
ws.close();
