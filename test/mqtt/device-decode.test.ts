/**
 * The decoder on the device: the largest PUBLISH its limit allows (4,096 bytes), fed in 536-byte
 * binary-string chunks as a socket gives them, decoded by the codec bundled for Espruino. The
 * payload must be a Uint8Array (a view of the packet body): Espruino's typed-array slice()
 * returns a plain Array, one JsVar a byte, which stops the 2,500-var build with OUT OF MEMORY.
 *
 * Always runs in the host runtime (which mirrors that slice()); on Espruino's Linux build when
 * ESPRUINO is set and on the fixed 2,500-var build when ESPRUINO_SMALL is set, from flash
 * (`.bootcde`), as on a board.
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkBundle, formatFinding } from "../../tools/bundle-gate";
import { bootDirectory, startEspruino, type EspruinoDevice } from "../../tools/bench/device";
import { startBundle, type HostRuntime } from "../../tools/host-runtime/index";
import { buildDecoderBundle, probePacket, probeScript, RESULT_MARK } from "./codec-bundle";

/** The session's default limit (src/session/session.ts: maxPacketSize). */
const MAX_PACKET = 4096;
const probe = probePacket(MAX_PACKET);
const expected = { type: 3, topic: probe.topic, id: probe.id, length: probe.payloadBytes, uint8: true, wrong: 0 };

let code: Promise<string> | undefined;
const script = () => (code ??= buildDecoderBundle().then((bundle) => bundle + probeScript(probe, MAX_PACKET)));

/** Espruino's own words when memory runs out or a callback is aborted. */
const OUT_OF_MEMORY = /OUT OF MEMORY|Out of Memory|LOW_MEMORY|Execution Interrupted/;

function parseResult(lines: string[]): Record<string, unknown> {
  const line = lines.find((l) => l.includes(RESULT_MARK));
  if (!line) throw new Error(`no result line; console:\n${lines.slice(-20).join("\n")}`);
  return JSON.parse(line.slice(line.indexOf(RESULT_MARK) + RESULT_MARK.length));
}

describe("decoding a 4,096-byte PUBLISH in the interpreter", () => {
  let host: HostRuntime | undefined;
  let device: EspruinoDevice | undefined;
  afterEach(async () => {
    host?.kill();
    await host?.exited;
    await device?.kill();
    host = device = undefined;
  });

  it("the decoder bundle is ES5 that Espruino runs (bundle gate)", async () => {
    const errors = checkBundle(await script(), "decoder")
      .filter((f) => f.severity === "error")
      .map(formatFinding);
    expect(errors).toEqual([]);
  });

  it("host runtime: the payload is a Uint8Array of the right bytes", async () => {
    const lines: string[] = [];
    host = startBundle({ code: await script(), console: (l) => lines.push(l) });
    const deadline = Date.now() + 10000;
    while (!lines.some((l) => l.includes(RESULT_MARK)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(parseResult(lines)).toMatchObject(expected);
  });

  const interpreters: [string, string | undefined][] = [
    ["Espruino for Linux (ESPRUINO)", process.env.ESPRUINO],
    ["the 2,500-var build (ESPRUINO_SMALL)", process.env.ESPRUINO_SMALL],
  ];
  for (const [name, binary] of interpreters) {
    it.skipIf(!binary)(`${name}, from flash: no OUT OF MEMORY, the payload is a Uint8Array`, async () => {
      const dir = await bootDirectory(binary!, await script());
      device = startEspruino(binary!, undefined, dir, name);
      await device.waitFor(new RegExp(RESULT_MARK + "|" + OUT_OF_MEMORY.source), 20000).catch(() => undefined);
      // A moment for an error report that follows the line.
      await new Promise((r) => setTimeout(r, 200));
      const lines = device.lines.map((l) => l.text);
      expect(
        lines.filter((l) => OUT_OF_MEMORY.test(l)),
        lines.join("\n"),
      ).toEqual([]);
      const result = parseResult(lines);
      expect(result).toMatchObject(expected);
      console.log(`[device-decode] ${name}: ${MAX_PACKET}-byte PUBLISH decoded, ${result.free} JsVars free after`);
    });
  }
});
