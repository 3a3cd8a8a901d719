/** The session's Transport and Clock over Node: the session layer against a real broker on real TCP. */
import { connect, type Socket } from "node:net";
import { ConnectionEvent, type Clock, type Transport } from "../../src/session/ports";

export interface NodeTransport extends Transport {
  /** Every socket opened, newest last: a test may destroy one, as a power cut would. */
  sockets: Socket[];
}

export function nodeTransport(): NodeTransport {
  const sockets: Socket[] = [];
  return {
    sockets,
    connect(host, port, listener) {
      const socket = connect({ host, port });
      sockets.push(socket);
      let ended = false;
      const end = (reason: string) => {
        if (!ended) listener(ConnectionEvent.CLOSED, reason);
        ended = true;
      };
      socket.on("connect", () => listener(ConnectionEvent.OPEN));
      socket.on("data", (data) => listener(ConnectionEvent.DATA, new Uint8Array(data)));
      socket.on("error", (e) => end(e.message));
      socket.on("close", () => end("closed"));
      return {
        write: (bytes) => {
          // Node buffers without limit; the session only needs to hear that the bytes left.
          socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, () =>
            listener(ConnectionEvent.DRAIN),
          );
        },
        close: () => {
          ended = true;
          socket.removeAllListeners();
          socket.on("error", () => {});
          socket.end();
        },
      };
    },
  };
}

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
};
