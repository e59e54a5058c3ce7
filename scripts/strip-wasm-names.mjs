// Drops the `name` custom section from a wasm file, in place.
//
// worker-build always runs wasm-opt with `--debuginfo`, which keeps the function names:
// 85 KiB of the gzipped Worker (docs/performance.md, "Size of the Worker"). Custom
// sections carry no semantics, so removing one changes nothing the runtime executes;
// panics still print their message and source location (those live in the data). The
// profiler's per-function breakdown needs the names: `make build WASM_NAMES=1` keeps them.
//
// usage: node scripts/strip-wasm-names.mjs build/index_bg.wasm
import { readFileSync, writeFileSync } from "node:fs";

const path = process.argv[2];
const wasm = readFileSync(path);
if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path} is not a wasm module`);

// An unsigned LEB128 at `at`: [value, offset after it].
const leb = (at) => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = wasm[at++];
    if (byte === undefined) throw new Error(`${path}: truncated LEB128`);
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
};

const kept = [wasm.subarray(0, 8)];
let dropped = 0;
for (let at = 8; at < wasm.length; ) {
  const start = at;
  const id = wasm[at];
  const [size, body] = leb(at + 1);
  const end = body + size;
  if (end > wasm.length) throw new Error(`${path}: section ${id} runs past the end`);
  let name = null;
  if (id === 0) {
    const [length, text] = leb(body);
    name = wasm.toString("utf8", text, text + length);
  }
  if (name === "name") dropped += end - start;
  else kept.push(wasm.subarray(start, end));
  at = end;
}
writeFileSync(path, Buffer.concat(kept));
console.error(`strip-wasm-names: ${path}: ${dropped} bytes of names dropped`);
