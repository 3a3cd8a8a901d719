/** The MQTT 3.1.1 codec: pure functions over Uint8Array, no globals of Espruino or Node. */
export * from "./packets";
export * from "./encode";
export { decodeBody, fixedHeaderError } from "./decode";
export {
  bufferedBytes,
  createPacketStream,
  decodePacket,
  pushBytes,
  streamIdle,
  type PacketStream,
} from "./stream-decoder";
export { utf8Encode, utf8Decode, isUtf8 } from "./utf8";
export { topicNameError, topicFilterError, topicMatches } from "./topic";
export { bytesToBinaryString, binaryStringToBytes } from "./binary-string";
