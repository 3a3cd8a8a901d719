/** mqtt-packet, the reference the codec tests hold our bytes against: its parser, as a test uses it. */
import mqtt from "mqtt-packet";
import { expect } from "vitest";

/** mqtt-packet's parse (MQTT 3.1.1) of a byte stream fed in `chunks`; fails the test on a parse error. */
export function theirParse(chunks: (Uint8Array | number[])[]): mqtt.Packet[] {
  const parser = mqtt.parser({ protocolVersion: 4 });
  const packets: mqtt.Packet[] = [];
  const errors: Error[] = [];
  parser.on("packet", (p) => packets.push(p));
  parser.on("error", (e) => errors.push(e));
  for (const chunk of chunks) parser.parse(Buffer.from(chunk));
  expect(errors).toEqual([]);
  return packets;
}

/** mqtt-packet's parse of exactly one packet; fails the test on a parse error or any other count. */
export function theirParseOne(bytes: Uint8Array | number[]): mqtt.Packet {
  const packets = theirParse([bytes]);
  expect(packets).toHaveLength(1);
  return packets[0];
}
