/**
 * Codec benchmark: encode+decode throughput against mqtt-packet in the same run, and the
 * minified size of the codec alone (rollup + TypeScript to ES5 + terser): all of src/mqtt (the
 * host API: checked encoders, UTF-8 text conversion, topic filters), and the part the firmware
 * bundle carries (DEVICE_CODEC_EXPORTS).
 *
 *   npx tsx tools/bench/codec.ts
 *
 * Targets: ours/theirs >= 1.0 for each packet; minified size <= 3072 bytes.
 */
import { dirname, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import mqttPacket from "mqtt-packet";
import { rollup } from "rollup";
import typescript from "@rollup/plugin-typescript";
import { minify } from "terser";
import {
  createPacketStream,
  pushBytes,
  PacketType,
  encodeAck,
  encodePublish,
  utf8Encode,
  type IncomingPacket,
} from "../../src/mqtt/index.ts";
import type { BenchRow } from "./table";
import { printAlone, REPO_ROOT } from "./shared";

export const SIZE_TARGET_BYTES = 3072;

/**
 * What the firmware imports from src/mqtt (session.ts, stream-decoder.ts, decode.ts): the
 * binary-string packet builders it sends with, the stream decoder, and the checks of publish().
 */
export const DEVICE_CODEC_EXPORTS = `
export { ackText, emptyText, publishHeaderText } from "./serialize";
export { createPacketStream, pushBytes } from "./stream-decoder";
export { topicNameError } from "./topic";
export { isUtf8 } from "./utf8";
export { connackCodeName } from "./packets";
`;
export const RATIO_TARGET = 1.0;

/** ops/s of `fn`, run in batches until `ms` have passed. */
function measure(fn: () => void, ms: number): { ops: number; seconds: number } {
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn();
    ops += 1000;
    now = process.hrtime.bigint();
  }
  return { ops, seconds: Number(now - start) / 1e9 };
}

/**
 * Runs two contenders in alternating rounds (so drift in CPU clock or GC hits both alike),
 * after a warm-up, for about `totalMs` each. Returns ops/s of each.
 */
function compare(ours: () => void, theirs: () => void, totalMs = 1000, rounds = 10): [number, number] {
  measure(ours, 200);
  measure(theirs, 200);
  const sum = [
    { ops: 0, seconds: 0 },
    { ops: 0, seconds: 0 },
  ];
  for (let r = 0; r < rounds; r++) {
    // Alternate which one goes first, too.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const m = measure(k === 0 ? ours : theirs, totalMs / rounds);
      sum[k].ops += m.ops;
      sum[k].seconds += m.seconds;
    }
  }
  return [sum[0].ops / sum[0].seconds, sum[1].ops / sum[1].seconds];
}

// A QoS 1 PUBLISH of 60 bytes in all: 2 (fixed header) + 2+28 (topic) + 2 (id) + 26 (payload).
const TOPIC = "sensors/esp32-01/temperature";
const PAYLOAD_TEXT = '{"t":21.5,"ts":1700000000}';
export const PUBLISH_TOTAL_BYTES = 2 + 2 + TOPIC.length + 2 + PAYLOAD_TEXT.length;

interface Pair {
  ours: () => void;
  theirs: () => void;
}

/**
 * A long-lived stream decoder on each side, as a client keeps one: each call decodes one whole
 * packet's bytes and checks the packet came out.
 */
function decoders(): { ours(bytes: Uint8Array): void; theirs(bytes: Buffer): void } {
  const stream = createPacketStream(4096);
  let got: IncomingPacket | undefined;
  const onPacket = (p: IncomingPacket): void => {
    got = p;
  };
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let theirGot: mqttPacket.Packet | undefined;
  parser.on("packet", (p) => {
    theirGot = p;
  });
  return {
    ours(bytes) {
      pushBytes(stream, bytes, onPacket);
      if (got === undefined) throw new Error("ours: no packet");
      got = undefined;
    },
    theirs(bytes) {
      parser.parse(bytes);
      if (theirGot === undefined) throw new Error("mqtt-packet: no packet");
      theirGot = undefined;
    },
  };
}

/** Encode then decode, as a client would. */
function publishPair(): Pair {
  const wireTopic = utf8Encode(TOPIC);
  const payload = new Uint8Array(Buffer.from(PAYLOAD_TEXT, "latin1"));
  const theirPayload = Buffer.from(PAYLOAD_TEXT, "latin1");
  const decode = decoders();
  let id = 0;
  return {
    ours() {
      id = (id % 65535) + 1;
      decode.ours(encodePublish({ topic: wireTopic, payload, qos: 1, dup: false, retain: false, id }));
    },
    theirs() {
      id = (id % 65535) + 1;
      decode.theirs(
        mqttPacket.generate({
          cmd: "publish",
          topic: TOPIC,
          payload: theirPayload,
          qos: 1,
          dup: false,
          retain: false,
          messageId: id,
        }),
      );
    },
  };
}

function pubackPair(): Pair {
  const decode = decoders();
  let id = 0;
  return {
    ours() {
      id = (id % 65535) + 1;
      decode.ours(encodeAck(PacketType.PUBACK, id));
    },
    theirs() {
      id = (id % 65535) + 1;
      decode.theirs(mqttPacket.generate({ cmd: "puback", messageId: id }));
    },
  };
}

/** Checks both sides produce the same bytes for the benchmarked packets, so we time like for like. */
function checkSameBytes(): void {
  const ours = encodePublish({
    topic: utf8Encode(TOPIC),
    payload: PAYLOAD_TEXT,
    qos: 1,
    dup: false,
    retain: false,
    id: 1,
  });
  const theirs = mqttPacket.generate({
    cmd: "publish",
    topic: TOPIC,
    payload: Buffer.from(PAYLOAD_TEXT),
    qos: 1,
    dup: false,
    retain: false,
    messageId: 1,
  });
  if (!Buffer.from(ours).equals(theirs) || ours.length !== PUBLISH_TOTAL_BYTES)
    throw new Error("benchmark PUBLISH differs");
}

/**
 * A module bundled alone (default: the codec, src/mqtt/index.ts) to ES5 and minified; sizes in
 * bytes. `exportsSource`: instead of the entry file, a module of re-exports from its folder.
 */
export async function codecSize(
  entry = resolve(REPO_ROOT, "src/mqtt/index.ts"),
  tsconfig = resolve(REPO_ROOT, "src/tsconfig.json"),
  exportsSource?: string,
): Promise<{ minified: number; gzip: number; code: string }> {
  const virtualEntry = resolve(dirname(entry), "\0bench-entry.ts");
  const bundle = await rollup({
    input: exportsSource ? virtualEntry : entry,
    plugins: [
      {
        name: "bench-entry",
        resolveId: (id) => (exportsSource && id === virtualEntry ? id : null),
        load: (id) => (exportsSource && id === virtualEntry ? exportsSource : null),
      },
      typescript({
        tsconfig,
        compilerOptions: { target: "ES5", noEmit: false, removeComments: true, declaration: false, sourceMap: false },
        include: [resolve(dirname(entry), "*.ts")],
      }),
    ],
    onwarn(warning, warn) {
      warn(warning);
    },
  });
  const { output } = await bundle.generate({ format: "es" });
  await bundle.close();
  // The firmware build's terser settings (tools/build/targets.ts): `_private` members renamed too.
  const result = await minify(output[0].code, {
    ecma: 5,
    module: true,
    compress: { passes: 2 },
    mangle: { properties: { regex: /^_/ } },
    format: { ascii_only: true, comments: false },
  });
  const code = result.code ?? "";
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code };
}

/** `totalMs`: time each contender runs per packet (after a warm-up). */
export async function benchCodec(totalMs = 1000): Promise<{ rows: BenchRow[] }> {
  checkSameBytes();
  const node = `Node ${process.versions.node}`;
  const rows: BenchRow[] = [];
  const cases: Array<[string, Pair]> = [
    [`PUBLISH QoS 1, ${PUBLISH_TOTAL_BYTES} B`, publishPair()],
    ["PUBACK", pubackPair()],
  ];
  for (const [name, pair] of cases) {
    const [ours, theirs] = compare(pair.ours, pair.theirs, totalMs);
    rows.push({ name: `${name}: ours, encode+decode`, value: ours, unit: "ops/s", target: "", runtime: node });
    rows.push({
      name: `${name}: mqtt-packet, generate+parse`,
      value: theirs,
      unit: "ops/s",
      target: "",
      runtime: node,
    });
    rows.push({
      name: `${name}: ratio ours/mqtt-packet`,
      value: ours / theirs,
      unit: "x",
      target: `>= ${RATIO_TARGET.toFixed(1)}`,
      ok: ours / theirs >= RATIO_TARGET,
      runtime: node,
    });
  }
  const size = await codecSize();
  rows.push({
    name: "codec minified (terser), all of src/mqtt",
    value: size.minified,
    unit: "B",
    target: `<= ${SIZE_TARGET_BYTES}`,
    ok: size.minified <= SIZE_TARGET_BYTES,
    runtime: "build",
  });
  rows.push({
    name: "codec minified + gzip, all of src/mqtt",
    value: size.gzip,
    unit: "B",
    target: "",
    runtime: "build",
  });
  const device = await codecSize(undefined, undefined, DEVICE_CODEC_EXPORTS);
  rows.push({
    name: "codec minified (terser), the part the firmware carries",
    value: device.minified,
    unit: "B",
    target: `<= ${SIZE_TARGET_BYTES}`,
    ok: device.minified <= SIZE_TARGET_BYTES,
    runtime: "build",
  });
  return { rows };
}

await printAlone(import.meta.url, async () => (await benchCodec()).rows);
