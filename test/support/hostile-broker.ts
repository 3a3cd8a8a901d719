/**
 * A broker of our own that speaks just enough MQTT 3.1.1 (CONNECT -> CONNACK, PUBLISH QoS 1 ->
 * PUBACK, PINGREQ -> PINGRESP) and, on command, misbehaves on the open connections: bytes no
 * broker should send, then silence on that connection. Connections opened later are served well
 * again, so a test sees whether the device recovers. It parses what the device sends with
 * mqtt-packet and records every PUBLISH, so a test can check which readings were acknowledged.
 */
import net from "node:net";
import mqttPacket from "mqtt-packet";
import { seededRandom } from "../../tools/support/random";

export interface HostilePublish {
  topic: string;
  payload: string;
  qos: number;
  dup: boolean;
  id?: number;
  /** Which accepted connection carried it (1-based, in accept order). */
  connection: number;
  at: number;
}

/** Bytes a broker must never send (names for the test titles). */
export type Misbehaviour =
  | "length-longer-than-packet"
  | "five-byte-length"
  | "reserved-type-0"
  | "reserved-type-15"
  | "topic-past-end"
  | "huge-publish"
  | "random-bytes";

export interface HostileBroker {
  port: number;
  url: string;
  publishes: HostilePublish[];
  /** PUBACKs sent, per packet id as received. */
  acked: number;
  /** CONNECTs received (refused ones included). */
  connects: number;
  /** What the device sent that mqtt-packet could not parse (a client bug if ever non-empty). */
  parseErrors: string[];
  /** Connections that sent a CONNECT and are still open. */
  live(): number;
  /** Writes `kind` on every live connection, then goes silent on them. Returns the bytes written. */
  misbehave(kind: Misbehaviour, seed?: number): Buffer;
  /** Answers the next CONNECT with CONNACK `code` (1-5) and closes that connection. */
  refuseNext(code: number): void;
  /**
   * From now on (`code` 1-5): every CONNECT is answered with that refusal and the connection closed;
   * 0: every CONNECT is accepted (CONNACK 0) and the connection closed right after, before
   * anything else is read (a broker that kicks each client at once). undefined: served well again.
   */
  refuseAll(code: number | undefined): void;
  /** Closes every live connection (a clean close, as a broker shutting down). */
  disconnect(): void;
  close(): Promise<void>;
}

/** The bytes of one misbehaviour. */
export function hostileBytes(kind: Misbehaviour, seed = 1): Buffer {
  switch (kind) {
    case "length-longer-than-packet":
      // A PUBLISH announcing 4,000 bytes (under the 4,096 limit), of which 9 come.
      return Buffer.from([0x30, 0xa0, 0x1f, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x65, 0x79, 0x21]);
    case "five-byte-length":
      return Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61]);
    case "reserved-type-0":
      return Buffer.from([0x00, 0x00]);
    case "reserved-type-15":
      return Buffer.from([0xf0, 0x00]);
    case "topic-past-end":
      // Remaining length 6; the topic claims 200 bytes.
      return Buffer.from([0x30, 0x06, 0x00, 0xc8, 0x61, 0x2f, 0x62, 0x63]);
    case "huge-publish": {
      const topic = Buffer.from("sensors/flood");
      const payload = Buffer.alloc(200 * 1024, 0x41);
      return mqttPacket.generate({
        cmd: "publish",
        topic: topic.toString(),
        payload,
        qos: 0,
        dup: false,
        retain: false,
      });
    }
    case "random-bytes": {
      const random = seededRandom(seed);
      return Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
    }
  }
}

export async function startHostileBroker(): Promise<HostileBroker> {
  const publishes: HostilePublish[] = [];
  const parseErrors: string[] = [];
  /** Connections past CONNECT, each with the function that silences it. */
  const live = new Map<net.Socket, () => void>();
  const all = new Set<net.Socket>();
  const refusals: number[] = [];
  let refuseAll: number | undefined;
  let accepted = 0;
  const state = { acked: 0, connects: 0 };

  const server = net.createServer((socket) => {
    const connection = ++accepted;
    all.add(socket);
    socket.setNoDelay(true);
    let silent = false;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (packet: mqttPacket.Packet) => {
      if (!silent && !socket.destroyed) socket.write(mqttPacket.generate(packet));
    };
    parser.on("packet", (packet) => {
      if (silent) return;
      if (packet.cmd === "connect") {
        state.connects++;
        const code = refusals.length ? refusals.shift() : refuseAll;
        if (code !== undefined) {
          send({ cmd: "connack", returnCode: code, sessionPresent: false });
          silent = true;
          socket.end();
          return;
        }
        live.set(socket, () => (silent = true));
        send({ cmd: "connack", returnCode: 0, sessionPresent: false });
      } else if (packet.cmd === "publish") {
        publishes.push({
          topic: packet.topic,
          payload: Buffer.from(packet.payload).toString("utf8"),
          qos: packet.qos,
          dup: packet.dup,
          id: packet.messageId,
          connection,
          at: Date.now(),
        });
        if (packet.qos === 1) {
          state.acked++;
          send({ cmd: "puback", messageId: packet.messageId! });
        }
      } else if (packet.cmd === "pingreq") send({ cmd: "pingresp" });
      else if (packet.cmd === "subscribe")
        send({ cmd: "suback", messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
      else if (packet.cmd === "disconnect") socket.end();
    });
    parser.on("error", (e) => {
      parseErrors.push(`connection ${connection}: ${e.message}`);
      socket.destroy();
    });
    socket.on("data", (chunk) => parser.parse(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      live.delete(socket);
      all.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    publishes,
    get acked() {
      return state.acked;
    },
    get connects() {
      return state.connects;
    },
    parseErrors,
    live: () => live.size,
    misbehave(kind, seed) {
      const bytes = hostileBytes(kind, seed);
      for (const [socket, silence] of [...live]) {
        live.delete(socket);
        socket.write(bytes);
        silence();
      }
      return bytes;
    },
    refuseNext(code) {
      refusals.push(code);
    },
    refuseAll(code) {
      refuseAll = code;
    },
    disconnect() {
      for (const socket of [...live.keys()]) socket.end();
    },
    close() {
      for (const socket of all) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
