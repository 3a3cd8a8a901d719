/**
 * One pure decoder per server-to-client packet, over a packet's body (what follows the fixed
 * header). Every read is bounds-checked; a spec violation becomes a MalformedPacket, never a throw.
 */
import { isUtf8 } from "./utf8";
import { topicNameError } from "./topic";
import { PacketType, type IncomingPacket, type MalformedPacket, type QoS } from "./packets";

export function malformed(error: string): MalformedPacket {
  return { type: PacketType.MALFORMED, error };
}

/** Reads the packet id at body[at], which the caller has checked is in range; 0 is invalid. */
function readId(body: Uint8Array, at: number): number {
  return (body[at] << 8) | body[at + 1];
}

/**
 * The flags each type must carry when a server sends it (MQTT-2.2.2), one char per type: `-` for
 * types a client never receives (0 and 15 are reserved), `p` for PUBLISH, whose flags are DUP,
 * QoS and RETAIN, else the flags' digit. A string: an array held all the time costs 19 JsVars.
 */
const SERVER_FLAGS = "--0p0020-0-0-0--";

/** Why `firstByte` cannot start a packet a client receives, or "" when it can. */
export function fixedHeaderError(firstByte: number): string {
  const type = firstByte >> 4;
  const flags = firstByte & 15;
  const expected = SERVER_FLAGS.charAt(type);
  if (expected === "-") return "unexpected packet type " + type;
  if (expected === "p") return (flags & 6) === 6 ? "PUBLISH with QoS 3" : "";
  return flags === +expected ? "" : "bad flags for type " + type;
}

/** Decodes the body of a packet whose first byte passed `fixedHeaderError`. */
export function decodeBody(firstByte: number, body: Uint8Array): IncomingPacket | MalformedPacket {
  const type = firstByte >> 4;
  const length = body.length;
  if (type === PacketType.PUBLISH) {
    const qos = ((firstByte >> 1) & 3) as QoS;
    if (length < 2) return malformed("PUBLISH truncated");
    const topicEnd = 2 + ((body[0] << 8) | body[1]);
    const idEnd = topicEnd + (qos ? 2 : 0);
    if (idEnd > length) return malformed("PUBLISH topic past packet end");
    if (!isUtf8(body, 2, topicEnd)) return malformed("PUBLISH topic not UTF-8");
    // A char at a time rather than bytesToBinaryString: topics are short, and that helper's
    // chunked apply (for long payloads) would add ~60 bytes to the device bundle just for this.
    let topic = "";
    for (let i = 2; i < topicEnd; i++) topic += String.fromCharCode(body[i]);
    const why = topicNameError(topic);
    if (why) return malformed("PUBLISH " + why);
    const id = qos ? readId(body, topicEnd) : 0;
    if (qos && !id) return malformed("PUBLISH packet id 0");
    return {
      type,
      topic,
      // A view, not a copy: Espruino's typed-array slice() returns a plain Array, one JsVar a
      // byte, so a 4,096-byte payload would take more memory than an ESP32 has free.
      payload: body.subarray(idEnd),
      qos,
      dup: (firstByte & 8) !== 0,
      retain: (firstByte & 1) !== 0,
      id,
    };
  }
  if (type === PacketType.PINGRESP) return length === 0 ? { type } : malformed("PINGRESP with a body");
  if (type === PacketType.CONNACK) {
    if (length !== 2) return malformed("CONNACK length " + length);
    if (body[0] > 1) return malformed("CONNACK reserved bits set");
    if (body[1] > 5) return malformed("CONNACK return code " + body[1]);
    if (body[0] && body[1]) return malformed("CONNACK session present with a refusal"); // MQTT-3.2.2-4
    return { type, sessionPresent: body[0] === 1, returnCode: body[1] };
  }
  if (type === PacketType.SUBACK) {
    if (length < 3) return malformed("SUBACK truncated");
    const granted: number[] = [];
    for (let i = 2; i < length; i++) {
      const code = body[i];
      if (code > 2 && code !== 0x80) return malformed("SUBACK return code " + code);
      granted.push(code);
    }
    const id = readId(body, 0);
    return id ? { type, id, granted } : malformed("SUBACK packet id 0");
  }
  // PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: exactly a packet id.
  if (length !== 2) return malformed("ack length " + length);
  const id = readId(body, 0);
  return id ? { type: type as PacketType.PUBACK, id } : malformed("ack packet id 0");
}
