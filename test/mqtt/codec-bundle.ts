/**
 * The codec's stream decoder bundled alone for an interpreter (rollup + TypeScript to ES5 +
 * terser, the firmware build's settings: tools/build/targets.ts), as a script that defines the
 * global `MQTT`, and an interpreter script that feeds it the largest PUBLISH a decoder limit
 * allows, in socket-sized binary-string chunks, as the firmware's transport does.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import typescript from "@rollup/plugin-typescript";
import { rollup } from "rollup";
import { minify } from "terser";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = resolve(ROOT, "src/mqtt/\0device-decode-entry.ts");

/** What the firmware's receive path uses of src/mqtt. */
const ENTRY_SOURCE = `export { createPacketStream, pushBytes } from "./stream-decoder";\n`;

/** `var MQTT = {createPacketStream: ...}`, ES5, minified. */
export async function buildDecoderBundle(): Promise<string> {
  const bundle = await rollup({
    input: ENTRY,
    plugins: [
      {
        name: "device-decode-entry",
        resolveId: (id) => (id === ENTRY ? id : null),
        load: (id) => (id === ENTRY ? ENTRY_SOURCE : null),
      },
      typescript({
        tsconfig: resolve(ROOT, "src/tsconfig.json"),
        compilerOptions: { target: "ES5", noEmit: false, removeComments: true, declaration: false, sourceMap: false },
        include: [resolve(ROOT, "src/mqtt/*.ts")],
      }),
    ],
    onwarn(warning) {
      throw new Error(warning.message);
    },
  });
  try {
    const { output } = await bundle.generate({ format: "iife", name: "MQTT", strict: false });
    const result = await minify(output[0].code, {
      ecma: 5,
      compress: { passes: 2, hoist_vars: true },
      mangle: { properties: { regex: /^_/ } },
      format: { ascii_only: true, comments: false },
    });
    return result.code ?? "";
  } finally {
    await bundle.close();
  }
}

export const RESULT_MARK = "<<decoded>>";

/** The byte at payload offset i. */
export const payloadByte = (i: number) => (i * 7 + 3) & 255;

export interface DecodeProbe {
  /** Whole packet, fixed header included. */
  packetBytes: number;
  topic: string;
  id: number;
  payloadBytes: number;
}

/** A QoS 1 PUBLISH of exactly `packetBytes` (2-byte remaining length: 130 .. 16386 bytes). */
export function probePacket(packetBytes: number, topic = "cfg/dev/set", id = 4660): DecodeProbe {
  const remaining = packetBytes - 3;
  if (remaining < 128 || remaining > 16383) throw new Error("probePacket: needs a 2-byte remaining length");
  return { packetBytes, topic, id, payloadBytes: remaining - 2 - topic.length - 2 };
}

/**
 * Interpreter code (ES5) run after the bundle: builds the packet 536 bytes at a time as binary
 * strings (what a socket's `data` gives), each through E.toUint8Array into a stream decoder with
 * the limit `maxPacketSize`, then prints RESULT_MARK and JSON: the decoded packet's type, topic,
 * id, payload length, whether the payload is a Uint8Array, a count of payload bytes that differ
 * from payloadByte, and process.memory().free. A throw prints RESULT_MARK + {"error": ...}.
 */
export function probeScript(p: DecodeProbe, maxPacketSize: number): string {
  const remaining = p.packetBytes - 3;
  const head = [0x32, (remaining & 127) | 128, remaining >> 7, 0, p.topic.length];
  for (let i = 0; i < p.topic.length; i++) head.push(p.topic.charCodeAt(i));
  head.push(p.id >> 8, p.id & 255);
  return `
(function () {
  var head = ${JSON.stringify(head)}, total = ${p.packetBytes}, at = 0, got = [];
  function byteAt(k) { return k < head.length ? head[k] : ((k - head.length) * 7 + 3) & 255; }
  try {
    var stream = MQTT.createPacketStream(${maxPacketSize});
    while (at < total) {
      var chunk = "", end = Math.min(at + 536, total);
      for (; at < end; at++) chunk += String.fromCharCode(byteAt(at));
      var error = MQTT.pushBytes(stream, E.toUint8Array(chunk), function (packet) { got.push(packet); });
      chunk = undefined;
      if (error) throw new Error("malformed: " + error.error);
    }
    if (got.length !== 1) throw new Error(got.length + " packets");
    var p = got[0], wrong = 0;
    for (var i = 0; i < p.payload.length; i++) if (p.payload[i] !== (((i * 7 + 3) & 255))) wrong++;
    print("${RESULT_MARK}" + JSON.stringify({ type: p.type, topic: p.topic, id: p.id, length: p.payload.length,
      uint8: p.payload instanceof Uint8Array, wrong: wrong, free: process.memory().free }));
  } catch (e) {
    print("${RESULT_MARK}" + JSON.stringify({ error: String(e) }));
  }
})();
`;
}
