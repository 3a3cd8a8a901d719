/**
 * The session's transport over Espruino's `net` or `tls` socket. Bytes become binary strings here
 * and nowhere else: a Uint8Array handed to `socket.write` would go out as its decimal text.
 * Espruino's native E.toString / E.toUint8Array convert (since 2v18 E.toString always returns a
 * string); src/mqtt/binary-string.ts is the portable equivalent.
 */
import { ConnectionEvent, type Transport } from "../src/session/ports";
import type { TlsCredentials } from "./config";

/** `tls` undefined: plain TCP. */
export function espruinoTransport(tls: TlsCredentials | undefined): Transport {
  return {
    connect(host, port, listener) {
      let ended = false;
      // `error` (an object with a message) and `close` (a flag) may both come, in either order:
      // the session hears of the end once, with the first one's reason.
      const end = (e: unknown) => {
        if (!ended)
          listener(
            ConnectionEvent.CLOSED,
            typeof e === "string" ? e : e && typeof e === "object" ? (e as Error).message || "socket error" : "closed",
          );
        ended = true;
      };
      // Only the certificates that are set: an option present as undefined crashes Espruino 2v29.
      const socket = tls
        ? require("tls").connect(Object.assign({ host, port }, tls), () => listener(ConnectionEvent.OPEN))
        : require("net").connect({ host, port }, () => listener(ConnectionEvent.OPEN));
      socket.on("data", (data) => listener(ConnectionEvent.DATA, E.toUint8Array(data)));
      socket.on("drain", () => listener(ConnectionEvent.DRAIN));
      socket.on("error", end);
      socket.on("close", end);
      return {
        // E.toString copies even a string (11 JsVars for a 137-byte PUBLISH, measured).
        write: (bytes) => socket.write(typeof bytes === "string" ? bytes : E.toString(bytes)),
        close: () => {
          ended = true;
          socket.removeAllListeners();
          socket.end();
        },
      };
    },
  };
}
